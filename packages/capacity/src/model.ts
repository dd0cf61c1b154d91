// The load model: from a deployment description (devices by kind, market interval, validators, block
// interval, retention) derive transactions per second on average and at the gate-closure peak, bytes
// per block, clearing size, settlement work and storage growth. Every formula is in docs/capacity.md.
import { InputError } from '@gridledger/base';

/** Device kinds the platform simulates, with their default market behaviour per interval. */
export const DEVICE_KINDS = ['pv', 'battery', 'ev', 'load', 'flex'] as const;
/** One of {@link DEVICE_KINDS}. */
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Per-kind behaviour: orders placed per interval when trading, and steps per order. */
export interface KindProfile {
  ordersPerInterval: number;
  stepsPerOrder: number;
}

/** Defaults: PV sells, a battery bids and offers, an EV bids, loads bid, flexible loads bid in steps. */
export const DEFAULT_PROFILES: Record<DeviceKind, KindProfile> = {
  pv: { ordersPerInterval: 1, stepsPerOrder: 1 },
  battery: { ordersPerInterval: 2, stepsPerOrder: 3 },
  ev: { ordersPerInterval: 1, stepsPerOrder: 3 },
  load: { ordersPerInterval: 1, stepsPerOrder: 1 },
  flex: { ordersPerInterval: 1, stepsPerOrder: 4 },
};

/** Default share of each kind in a deployment given only a device count (sums to 1). */
export const DEFAULT_MIX: Record<DeviceKind, number> = {
  pv: 0.35,
  battery: 0.15,
  ev: 0.15,
  load: 0.3,
  flex: 0.05,
};

/** Encoded sizes in bytes, the assumptions behind bytes per block and storage. */
export interface SizeAssumptions {
  /** Signed order transaction without steps (envelope ~110 B + call header and fields). */
  orderTxBaseBytes: number;
  /** Each price-quantity step (two ABI words). */
  orderStepBytes: number;
  cancelTxBytes: number;
  /** Signed reading transaction envelope. */
  readingTxBaseBytes: number;
  /** Each EIP-712 reading inside it (meter, interval, imported, exported, 65-byte signature). */
  readingBytes: number;
  /** Receipt and index entries stored per transaction. */
  receiptBytes: number;
  /** Block header without its commit certificate. */
  headerBytes: number;
  /** Commit-certificate bytes per validator (index + ed25519 signature + round data). */
  certBytesPerValidator: number;
  /** State kept per order, per promise, per reading, and per bus and per branch for each cleared interval. */
  stateOrderBytes: number;
  statePromiseBytes: number;
  stateReadingBytes: number;
  stateBusBytes: number;
  stateBranchBytes: number;
}

/** Default sizes, measured on the encodings the chain uses (see docs/capacity.md). */
export const DEFAULT_SIZES: SizeAssumptions = {
  orderTxBaseBytes: 240,
  orderStepBytes: 64,
  cancelTxBytes: 180,
  readingTxBaseBytes: 150,
  readingBytes: 230,
  receiptBytes: 160,
  headerBytes: 420,
  certBytesPerValidator: 104,
  stateOrderBytes: 200,
  statePromiseBytes: 260,
  stateReadingBytes: 120,
  stateBusBytes: 48,
  stateBranchBytes: 48,
};

/** A deployment to plan for. All durations in seconds. */
export interface Deployment {
  devices: Record<DeviceKind, number>;
  intervalS: number;
  validators: number;
  blockIntervalS: number;
  /** Share of devices that place orders in an interval (0..1]. */
  tradingShare: number;
  /** Share of placed orders that are cancelled and replaced before the gate (0..1). */
  cancelShare: number;
  /** Share of placed orders that clear (0..1]: drives promises and settlement work. */
  clearedShare: number;
  /** Readings packed into one transaction (>= 1). */
  readingsPerTx: number;
  /** Orders arrive in the last submissionWindowS seconds before the gate. */
  submissionWindowS: number;
  /** Readings of the last interval arrive within readingWindowS after it ends. */
  readingWindowS: number;
  /** The gate closes this long before delivery: the clearing must be committed within it. */
  gateLeadS: number;
  /** Buses and branches of the network the market clears on. */
  buses: number;
  branches: number;
  /** Days of blocks and state kept; null keeps everything. */
  retentionDays: number | null;
  profiles: Record<DeviceKind, KindProfile>;
  sizes: SizeAssumptions;
}

/** Builds a deployment from a device count with the default mix and defaults for everything else. */
export function defaultDeployment(
  devices: number,
  overrides: Partial<Omit<Deployment, 'devices'>> = {},
): Deployment {
  const counts = splitDevices(devices);
  const d: Deployment = {
    devices: counts,
    intervalS: 300,
    validators: 4,
    blockIntervalS: 1,
    tradingShare: 0.9,
    cancelShare: 0.05,
    clearedShare: 0.7,
    readingsPerTx: 1,
    submissionWindowS: 60,
    readingWindowS: 60,
    gateLeadS: 60,
    buses: Math.max(1, Math.ceil(devices / 20)),
    branches: Math.max(0, Math.ceil(devices / 20) - 1),
    retentionDays: null,
    profiles: DEFAULT_PROFILES,
    sizes: DEFAULT_SIZES,
    ...overrides,
  };
  checkDeployment(d);
  return d;
}

/** Splits a device count over the default mix by largest remainder, so the parts sum to the count. */
export function splitDevices(
  total: number,
  mix: Record<DeviceKind, number> = DEFAULT_MIX,
): Record<DeviceKind, number> {
  const weight = DEVICE_KINDS.reduce((a, k) => a + mix[k], 0);
  const raw = DEVICE_KINDS.map((k) => (total * mix[k]) / weight);
  const floors = raw.map(Math.floor);
  let left = total - floors.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => ({ i, frac: r - floors[i]! })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    floors[i]!++;
    left--;
  }
  return Object.fromEntries(DEVICE_KINDS.map((k, i) => [k, floors[i]!])) as Record<DeviceKind, number>;
}

/** Throws InputError naming the first field that is out of range. */
export function checkDeployment(d: Deployment): void {
  const positive = (v: number, name: string) => {
    if (!(Number.isFinite(v) && v > 0)) throw new InputError(`${name} must be greater than zero, got ${v}`);
  };
  const share = (v: number, name: string, allowZero: boolean) => {
    if (!(Number.isFinite(v) && v <= 1 && (allowZero ? v >= 0 : v > 0))) {
      throw new InputError(`${name} must be a share in ${allowZero ? '[0, 1]' : '(0, 1]'}, got ${v}`);
    }
  };
  let total = 0;
  for (const k of DEVICE_KINDS) {
    const n = d.devices[k];
    if (!(Number.isInteger(n) && n >= 0))
      throw new InputError(`devices.${k} must be a whole number >= 0, got ${n}`);
    total += n;
  }
  if (total <= 0) throw new InputError('the deployment has no devices: give at least one');
  positive(d.intervalS, 'interval');
  positive(d.blockIntervalS, 'block interval');
  positive(d.submissionWindowS, 'submission window');
  positive(d.readingWindowS, 'reading window');
  positive(d.gateLeadS, 'gate lead time');
  if (!(Number.isInteger(d.validators) && d.validators >= 1)) {
    throw new InputError(`validators must be a whole number >= 1, got ${d.validators}`);
  }
  if (!(Number.isInteger(d.readingsPerTx) && d.readingsPerTx >= 1)) {
    throw new InputError(`readings per transaction must be a whole number >= 1, got ${d.readingsPerTx}`);
  }
  if (!(Number.isInteger(d.buses) && d.buses >= 1))
    throw new InputError(`buses must be a whole number >= 1, got ${d.buses}`);
  if (!(Number.isInteger(d.branches) && d.branches >= 0)) {
    throw new InputError(`branches must be a whole number >= 0, got ${d.branches}`);
  }
  share(d.tradingShare, 'trading share', false);
  share(d.cancelShare, 'cancel share', true);
  share(d.clearedShare, 'cleared share', true);
  if (d.submissionWindowS > d.intervalS) {
    throw new InputError(
      `submission window (${d.submissionWindowS} s) cannot exceed the interval (${d.intervalS} s)`,
    );
  }
  if (d.retentionDays !== null) positive(d.retentionDays, 'retention (days)');
}

/** Everything the load model derives; rates per second, sizes in bytes. */
export interface Load {
  devices: number;
  ordersPerInterval: number;
  cancelsPerInterval: number;
  readingsPerInterval: number;
  readingTxsPerInterval: number;
  txsPerInterval: number;
  avgTps: number;
  peakTps: number;
  avgTxBytes: number;
  avgBlockBytes: number;
  peakBlockBytes: number;
  clearingOrders: number;
  clearingBuses: number;
  /** Promises minted and settled per interval (merit-order decomposition bound). */
  promisesPerInterval: number;
  /** Settlement operations per interval: each promise settled, each reading checked. */
  settlementOpsPerInterval: number;
  storageBytesPerDay: number;
  storageBytesPerYear: number;
  /** Bytes held by one node in steady state (retention) or after a year (no retention). */
  storageBytesHeld: number;
}

/** Derives the load of a deployment (formulas L1-L12 in docs/capacity.md). */
export function deriveLoad(d: Deployment): Load {
  checkDeployment(d);
  const s = d.sizes;
  let devices = 0;
  let orders = 0;
  let orderBytes = 0;
  for (const k of DEVICE_KINDS) {
    const n = d.devices[k];
    devices += n;
    const o = n * d.tradingShare * d.profiles[k].ordersPerInterval; // L1
    orders += o;
    orderBytes += o * (s.orderTxBaseBytes + s.orderStepBytes * d.profiles[k].stepsPerOrder);
  }
  const cancels = orders * d.cancelShare; // L2
  const readings = devices; // L3: one meter per device, one reading per interval
  const readingTxs = Math.ceil(readings / d.readingsPerTx);
  const txs = orders + cancels + readingTxs; // L4
  const txBytes =
    orderBytes + cancels * s.cancelTxBytes + readingTxs * s.readingTxBaseBytes + readings * s.readingBytes;
  const avgTxBytes = txs > 0 ? txBytes / txs : 0;
  const avgTps = txs / d.intervalS; // L5
  const peakTps = (orders + cancels) / d.submissionWindowS + readingTxs / d.readingWindowS; // L6
  const blockOverhead = s.headerBytes + s.certBytesPerValidator * d.validators;
  const avgBlockBytes = blockOverhead + avgTps * d.blockIntervalS * avgTxBytes; // L7
  const peakBlockBytes = blockOverhead + peakTps * d.blockIntervalS * avgTxBytes;
  const cleared = orders * d.clearedShare;
  const promises = Math.max(0, cleared - 1); // L9: merit order makes at most sells + buys - 1 trades
  const settlementOps = promises + readings; // L10
  const intervalsPerDay = 86400 / d.intervalS;
  const blocksPerDay = 86400 / d.blockIntervalS;
  const stateBytesPerInterval =
    orders * s.stateOrderBytes +
    promises * s.statePromiseBytes +
    readings * s.stateReadingBytes +
    d.buses * s.stateBusBytes +
    d.branches * s.stateBranchBytes;
  const storageBytesPerDay = // L11
    blocksPerDay * blockOverhead + intervalsPerDay * (txBytes + txs * s.receiptBytes + stateBytesPerInterval);
  const storageBytesPerYear = storageBytesPerDay * 365;
  const storageBytesHeld =
    d.retentionDays === null ? storageBytesPerYear : storageBytesPerDay * d.retentionDays; // L12
  return {
    devices,
    ordersPerInterval: orders,
    cancelsPerInterval: cancels,
    readingsPerInterval: readings,
    readingTxsPerInterval: readingTxs,
    txsPerInterval: txs,
    avgTps,
    peakTps,
    avgTxBytes,
    avgBlockBytes,
    peakBlockBytes,
    clearingOrders: orders,
    clearingBuses: d.buses,
    promisesPerInterval: promises,
    settlementOpsPerInterval: settlementOps,
    storageBytesPerDay,
    storageBytesPerYear,
    storageBytesHeld,
  };
}
