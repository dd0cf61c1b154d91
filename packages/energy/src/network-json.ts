// The on-chain form of a network: buses and branches only (the DC model's data), as JSON. A MATPOWER
// case parsed off-chain with @gridledger/grid becomes this form with `networkToJson`; its generators
// and loads are dropped, since on chain only orders and the upstream connection take part.
import type { Network } from '@gridledger/grid';

/** One bus of the on-chain network. */
export interface NetworkJsonBus {
  id: number;
  /** MATPOWER bus type (3 = reference). */
  type: number;
  /** AC pricing only (absent: 0.9 / 1.1 p.u., and 1 p.u. at the reference): voltage limits and setpoint. */
  vminPu?: number;
  vmaxPu?: number;
  vmPu?: number;
}

/** One branch of the on-chain network (index = 1-based row, as in the case file). */
export interface NetworkJsonBranch {
  index: number;
  from: number;
  to: number;
  xPu: number;
  /** Limit, MW (0 = unlimited), both directions. */
  rateAMw: number;
  tap: number;
  shiftDeg: number;
  status: number;
  angminDeg: number;
  angmaxDeg: number;
  /** AC pricing only (absent: 0): series resistance and total line charging, p.u. */
  rPu?: number;
  bPu?: number;
}

/** The network as the registry stores it. */
export interface NetworkJson {
  name: string;
  baseMVA: number;
  buses: NetworkJsonBus[];
  branches: NetworkJsonBranch[];
}

/**
 * The on-chain form of a parsed case (generators and loads dropped); with `ac`, also what AC pricing
 * needs: resistance and charging of branches, voltage limits and setpoints of buses.
 */
export function networkToJson(net: Network, options: { ac?: boolean } = {}): NetworkJson {
  const ac = options.ac === true;
  return {
    name: net.name,
    baseMVA: net.baseMVA,
    buses: net.buses.map((b) => ({
      id: b.id,
      type: b.type,
      ...(ac ? { vminPu: b.vminPu, vmaxPu: b.vmaxPu, vmPu: b.vmPu } : {}),
    })),
    branches: net.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      xPu: b.xPu,
      rateAMw: b.rateAMw,
      tap: b.tap,
      shiftDeg: b.shiftDeg,
      status: b.status,
      angminDeg: b.angminDeg,
      angmaxDeg: b.angmaxDeg,
      ...(ac ? { rPu: b.rPu, bPu: b.bPu } : {}),
    })),
  };
}

/**
 * Checks an untrusted JSON value; returns the network or a reason.
 * Rules: a finite positive baseMVA; 1..100,000 buses with distinct non-negative integer ids and exactly
 * one reference bus (type 3); branches between known buses with finite non-zero reactance, rateAMw >= 0,
 * index equal to its 1-based position. The optional AC fields, where present: vminPu, vmaxPu, vmPu in
 * (0, 2] with vminPu <= vmaxPu; rPu >= 0; bPu finite.
 */
export function checkNetworkJson(
  v: unknown,
): { ok: true; network: NetworkJson } | { ok: false; reason: string } {
  const fail = (reason: string) => ({ ok: false as const, reason: `network: ${reason}` });
  if (typeof v !== 'object' || v === null) return fail('expected a JSON object');
  const o = v as Record<string, unknown>;
  const fin = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (!fin(o.baseMVA) || o.baseMVA <= 0) return fail('expected baseMVA > 0');
  if (!Array.isArray(o.buses) || o.buses.length === 0 || o.buses.length > 100_000)
    return fail('expected 1..100000 buses');
  if (!Array.isArray(o.branches) || o.branches.length > 400_000) return fail('expected a branches array');
  const ids = new Set<number>();
  let refs = 0;
  const buses: NetworkJsonBus[] = [];
  for (const [i, b] of (o.buses as unknown[]).entries()) {
    const x = b as Record<string, unknown>;
    if (!Number.isSafeInteger(x?.id) || (x.id as number) < 0)
      return fail(`bus ${i + 1}: expected an integer id >= 0`);
    if (!Number.isSafeInteger(x.type) || (x.type as number) < 1 || (x.type as number) > 4)
      return fail(`bus ${x.id}: expected type 1..4`);
    if (ids.has(x.id as number)) return fail(`bus ${x.id}: duplicate id`);
    ids.add(x.id as number);
    if (x.type === 3) refs++;
    const bus: NetworkJsonBus = { id: x.id as number, type: x.type as number };
    for (const f of ['vminPu', 'vmaxPu', 'vmPu'] as const) {
      if (x[f] === undefined) continue;
      if (!fin(x[f]) || x[f] <= 0 || x[f] > 2) return fail(`bus ${x.id}: expected ${f} in (0, 2]`);
      bus[f] = x[f];
    }
    if ((bus.vminPu ?? 0.9) > (bus.vmaxPu ?? 1.1)) return fail(`bus ${x.id}: expected vminPu <= vmaxPu`);
    buses.push(bus);
  }
  if (refs !== 1) return fail(`expected exactly one reference bus (type 3), got ${refs}`);
  const branches: NetworkJsonBranch[] = [];
  for (const [i, b] of (o.branches as unknown[]).entries()) {
    const x = b as Record<string, unknown>;
    const where = `branch ${i + 1}`;
    if (x?.index !== i + 1) return fail(`${where}: expected index ${i + 1}`);
    if (!ids.has(x.from as number) || !ids.has(x.to as number)) return fail(`${where}: unknown bus`);
    if (!fin(x.xPu) || x.xPu === 0) return fail(`${where}: expected a finite non-zero xPu`);
    if (!fin(x.rateAMw) || x.rateAMw < 0) return fail(`${where}: expected rateAMw >= 0`);
    for (const f of ['tap', 'shiftDeg', 'status', 'angminDeg', 'angmaxDeg'] as const)
      if (!fin(x[f])) return fail(`${where}: expected a finite ${f}`);
    if (x.rPu !== undefined && (!fin(x.rPu) || x.rPu < 0)) return fail(`${where}: expected rPu >= 0`);
    if (x.bPu !== undefined && !fin(x.bPu)) return fail(`${where}: expected a finite bPu`);
    branches.push({
      index: i + 1,
      from: x.from as number,
      to: x.to as number,
      xPu: x.xPu,
      rateAMw: x.rateAMw,
      tap: x.tap as number,
      shiftDeg: x.shiftDeg as number,
      status: x.status as number,
      angminDeg: x.angminDeg as number,
      angmaxDeg: x.angmaxDeg as number,
      ...(x.rPu === undefined ? {} : { rPu: x.rPu as number }),
      ...(x.bPu === undefined ? {} : { bPu: x.bPu as number }),
    });
  }
  return {
    ok: true,
    network: { name: typeof o.name === 'string' ? o.name : 'network', baseMVA: o.baseMVA, buses, branches },
  };
}

/**
 * The engine's rate for an on-chain limit of 0: the engine reads a rate of 0 as unlimited (MATPOWER's
 * convention), so a line limited to 0 W is given the smallest non-zero on-chain limit, 1 W (10^-6 MW):
 * at most 1 W crosses it (the clearing's integer apportionment rounds that to 0 or 1 Wh per hour), and
 * the digital twin flags any metered flow above 1 W.
 */
export const ZERO_LIMIT_MW = 1e-6;

/**
 * The engine's network for an on-chain network, with line limits overridden (`limitsMw`, by branch index;
 * an override of 0 means the line carries nothing, see {@link ZERO_LIMIT_MW}) and status overridden
 * (`inService`, by branch index; an out-of-service branch gets status 0, which the engine leaves out):
 * no generators, no loads. The registered `rateAMw` of 0 still means unlimited.
 */
export function networkFromJson(
  n: NetworkJson,
  limitsMw: ReadonlyMap<number, number> = new Map(),
  inService: ReadonlyMap<number, boolean> = new Map(),
): Network {
  const rate = (b: NetworkJsonBranch) => {
    const o = limitsMw.get(b.index);
    if (o === undefined) return b.rateAMw;
    return o > 0 ? o : ZERO_LIMIT_MW;
  };
  const status = (b: NetworkJsonBranch) => {
    const o = inService.get(b.index);
    if (o === undefined) return b.status;
    return o ? 1 : 0;
  };
  return {
    name: n.name,
    baseMVA: n.baseMVA,
    buses: n.buses.map((b) => ({
      id: b.id,
      type: b.type,
      pdMw: 0,
      qdMvar: 0,
      gsMw: 0,
      bsMvar: 0,
      area: 1,
      vmPu: b.vmPu ?? 1,
      vaDeg: 0,
      baseKv: 0,
      zone: 1,
      vmaxPu: b.vmaxPu ?? 1.1,
      vminPu: b.vminPu ?? 0.9,
    })),
    generators: [],
    branches: n.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      rPu: b.rPu ?? 0,
      xPu: b.xPu,
      bPu: b.bPu ?? 0,
      rateAMw: rate(b),
      rateBMw: 0,
      rateCMw: 0,
      tap: b.tap,
      shiftDeg: b.shiftDeg,
      status: status(b),
      angminDeg: b.angminDeg,
      angmaxDeg: b.angmaxDeg,
    })),
    extra: {},
  };
}
