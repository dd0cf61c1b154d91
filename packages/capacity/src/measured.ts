// Measured capacity: reads what the benchmarks print (bench:chain, bench:consensus, bench:e2e,
// bench:market as JSON) and holds a deployment's load against it: headroom per resource, the largest
// device count each resource allows, and which binds first. Formulas H1-H5 in docs/capacity.md.
import { InputError } from '@gridledger/base';
import { z } from 'zod';
import { type Deployment, deriveLoad, type Load, splitDevices } from './model.ts';

const chainShape = z.object({
  txPerSec: z.number().positive(),
  finalityP50Ms: z.number().nonnegative(),
  finalityP99Ms: z.number().nonnegative(),
  validators: z.number().int().positive().optional(),
});
// A clearing measurement: `ms` (bench:e2e) or `clearMs` (bench:market's `clearing` rows).
const pointShape = z
  .object({
    orders: z.number().positive(),
    ms: z.number().nonnegative().optional(),
    clearMs: z.number().nonnegative().optional(),
  })
  .loose()
  .refine((p) => p.ms !== undefined || p.clearMs !== undefined, {
    message: 'each point needs ms (or clearMs)',
  })
  .transform((p) => ({ orders: p.orders, ms: (p.ms ?? p.clearMs)! }));
const measuredShape = z
  .object({
    txPerSec: z.number().positive().optional(),
    finalityP50Ms: z.number().nonnegative().optional(),
    finalityP99Ms: z.number().nonnegative().optional(),
    validators: z.number().int().positive().optional(),
    chain: chainShape.optional(),
    // bench:chain's run at half its saturated rate: finality without a backlog (H2 adds the backlog).
    subCapacity: z
      .object({ finalityP50Ms: z.number().nonnegative(), finalityP99Ms: z.number().nonnegative() })
      .loose()
      .nullable()
      .optional(),
    clearing: z.array(pointShape).min(1).optional(),
  })
  .loose();

/** Measured capacity of this machine, merged from one or more benchmark outputs. */
export interface Measured {
  /** Sustained committed transactions per second. */
  txPerSec: number;
  finalityP50Ms: number;
  finalityP99Ms: number;
  /** Validator count of the measurement, when the benchmark says. */
  validators?: number;
  /** Clearing time against order count, sorted by orders. */
  clearing: { orders: number; ms: number }[];
  /** Files the numbers came from. */
  sources: string[];
}

/**
 * Parses one benchmark output: the whole text as JSON, or else its last non-empty line (benchmarks
 * print a table and end with one JSON object). Throws InputError naming the file and what was expected.
 */
export function parseMeasured(text: string, source: string): Partial<Measured> {
  let value: unknown;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const candidates = [text, lines[lines.length - 1] ?? ''];
  for (const c of candidates) {
    try {
      value = JSON.parse(c);
      break;
    } catch {
      // try the next candidate
    }
  }
  if (value === undefined)
    throw new InputError(`${source}: expected JSON (a benchmark's --format json output)`);
  const r = measuredShape.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(
      `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}; expected {txPerSec, finalityP50Ms, finalityP99Ms} from bench:chain, or {clearing: [{orders, ms}]}`,
    );
  }
  const v = r.data;
  const chain = v.chain ?? (v.txPerSec !== undefined ? v : undefined);
  const out: Partial<Measured> = { sources: [source] };
  if (chain) {
    const c = chainShape.safeParse(chain);
    if (!c.success) {
      throw new InputError(`${source}: txPerSec, finalityP50Ms and finalityP99Ms must all be given together`);
    }
    out.txPerSec = c.data.txPerSec;
    // Saturated finality includes the benchmark's own backlog; below capacity it is the chain's latency.
    const sub = v.subCapacity ?? undefined;
    out.finalityP50Ms = sub?.finalityP50Ms ?? c.data.finalityP50Ms;
    out.finalityP99Ms = sub?.finalityP99Ms ?? c.data.finalityP99Ms;
    if (c.data.validators !== undefined) out.validators = c.data.validators;
  }
  if (v.clearing) out.clearing = [...v.clearing].sort((a, b) => a.orders - b.orders);
  if (out.txPerSec === undefined && out.clearing === undefined) {
    throw new InputError(
      `${source}: no measurement found; expected txPerSec/finalityP50Ms/finalityP99Ms or clearing`,
    );
  }
  return out;
}

/** Merges several parsed outputs; the chain numbers are required. */
export function mergeMeasured(parts: Partial<Measured>[]): Measured {
  const m: Partial<Measured> = { clearing: [], sources: [] };
  for (const p of parts) {
    if (p.txPerSec !== undefined) {
      m.txPerSec = p.txPerSec;
      m.finalityP50Ms = p.finalityP50Ms;
      m.finalityP99Ms = p.finalityP99Ms;
      m.validators = p.validators;
    }
    if (p.clearing) m.clearing = [...m.clearing!, ...p.clearing].sort((a, b) => a.orders - b.orders);
    m.sources!.push(...(p.sources ?? []));
  }
  if (m.txPerSec === undefined) {
    throw new InputError(
      'no chain measurement (txPerSec, finalityP50Ms, finalityP99Ms) among the measured files',
    );
  }
  // Several measurements at one order count (bench:e2e measures each interval): keep the slowest, so the
  // log-log interpolation between counts is defined and the assessment stays on the safe side.
  const slowest = new Map<number, number>();
  for (const c of m.clearing!) slowest.set(c.orders, Math.max(c.ms, slowest.get(c.orders) ?? 0));
  m.clearing = [...slowest].map(([orders, ms]) => ({ orders, ms })).sort((a, b) => a.orders - b.orders);
  const out: Measured = {
    txPerSec: m.txPerSec,
    finalityP50Ms: m.finalityP50Ms!,
    finalityP99Ms: m.finalityP99Ms!,
    clearing: m.clearing!,
    sources: m.sources!,
  };
  if (m.validators !== undefined) out.validators = m.validators;
  return out;
}

/**
 * Clearing time in ms for `orders`, interpolated log-log between measured points and extrapolated with
 * the slope of the nearest segment (a power law t = a * orders^b); one point scales linearly.
 */
export function clearingMs(points: { orders: number; ms: number }[], orders: number): number | null {
  if (points.length === 0) return null;
  if (points.length === 1) return (points[0]!.ms * orders) / points[0]!.orders;
  let i = 0;
  while (i < points.length - 2 && orders > points[i + 1]!.orders) i++;
  const a = points[i]!;
  const b = points[i + 1]!;
  const la = Math.log(Math.max(a.ms, 1e-6));
  const lb = Math.log(Math.max(b.ms, 1e-6));
  const slope = (lb - la) / (Math.log(b.orders) - Math.log(a.orders));
  return Math.exp(la + slope * (Math.log(orders) - Math.log(a.orders)));
}

/** One resource held against its measured capacity. */
export interface Headroom {
  resource: 'throughput' | 'finality at peak' | 'clearing time';
  required: number;
  available: number;
  unit: string;
  /** available / required for throughput; budget / predicted time for the latency rows (> 1 means room). */
  headroom: number;
  /** Largest device count (same mix) this resource allows. */
  maxDevices: number;
}

/** The verdict of holding a deployment against measured capacity. */
export interface Assessment {
  load: Load;
  capacityTps: number;
  predictedFinalityS: number;
  rows: Headroom[];
  /** The resource that limits the device count first. */
  binding: Headroom['resource'];
  maxDevices: number;
  notes: string[];
}

/** Options of {@link assess}. */
export interface AssessOptions {
  /** Orders must be final within this many seconds of submission (default 2 s). */
  latencyBudgetS?: number;
}

/** Capacity scaled to the deployment's validator count (H1): all validators share one machine. */
export function capacityTps(m: Measured, validators: number): number {
  return m.validators === undefined ? m.txPerSec : (m.txPerSec * m.validators) / validators;
}

/** Predicted finality at the peak (H2): measured p99 plus the drain time of the backlog built in the window. */
export function finalityAtPeakS(m: Measured, load: Load, d: Deployment, capTps: number): number {
  const backlog = Math.max(0, load.peakTps - capTps) * d.submissionWindowS;
  return m.finalityP99Ms / 1000 + backlog / capTps;
}

/** Holds a deployment against measured capacity (H1-H5). */
export function assess(d: Deployment, m: Measured, opts: AssessOptions = {}): Assessment {
  const budget = opts.latencyBudgetS ?? 2;
  if (!(budget > 0)) throw new InputError(`latency budget must be greater than zero, got ${budget}`);
  const load = deriveLoad(d);
  const cap = capacityTps(m, d.validators);
  const notes: string[] = [];
  if (m.validators !== undefined && m.validators !== d.validators) {
    notes.push(
      `measured with ${m.validators} validators; capacity scaled to ${d.validators} (all on one machine)`,
    );
  }
  const scaled = (n: number): Deployment => ({ ...d, devices: splitDevices(n, d.devices) });
  const maxDevicesWhere = (ok: (n: number) => boolean): number => {
    if (!ok(1)) return 0;
    let lo = 1;
    let hi = 2;
    while (ok(hi) && hi < 1e10) {
      lo = hi;
      hi *= 2;
    }
    if (hi >= 1e10) return Number.POSITIVE_INFINITY;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (ok(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  };
  const peakAt = (n: number) => deriveLoad(scaled(n));
  const rows: Headroom[] = [];
  rows.push({
    resource: 'throughput',
    required: load.peakTps,
    available: cap,
    unit: 'tx/s',
    headroom: cap / load.peakTps,
    maxDevices: maxDevicesWhere((n) => peakAt(n).peakTps <= cap),
  });
  const predicted = finalityAtPeakS(m, load, d, cap);
  rows.push({
    resource: 'finality at peak',
    required: predicted,
    available: budget,
    unit: 's',
    headroom: budget / predicted,
    maxDevices: maxDevicesWhere((n) => finalityAtPeakS(m, peakAt(n), d, cap) <= budget),
  });
  const clearMs = clearingMs(m.clearing, load.clearingOrders);
  if (clearMs === null) {
    notes.push(
      'no clearing measurement given: clearing time not assessed (add bench:e2e or bench:market JSON)',
    );
  } else {
    rows.push({
      resource: 'clearing time',
      required: clearMs / 1000,
      available: d.gateLeadS,
      unit: 's',
      headroom: (d.gateLeadS * 1000) / clearMs,
      maxDevices: maxDevicesWhere(
        (n) => (clearingMs(m.clearing, peakAt(n).clearingOrders) ?? 0) <= d.gateLeadS * 1000,
      ),
    });
  }
  let bind = rows[0]!;
  for (const r of rows) if (r.maxDevices < bind.maxDevices) bind = r;
  return {
    load,
    capacityTps: cap,
    predictedFinalityS: predicted,
    rows,
    binding: bind.resource,
    maxDevices: bind.maxDevices,
    notes,
  };
}
