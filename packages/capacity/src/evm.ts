// Capacity of an EVM network for the market's contracts (docs/capacity.md "On an EVM chain"): the gas a
// deployment spends per interval (orders or sealed commits and reveals, cancellations, readings, the
// clearing, the settlement), from the gas bench:evm measures on anvil, held against what the network's
// blocks carry in each window of the interval (block gas limit · window / block time); the clearing and
// the settlement (the second settlement, every market's) go in chunks sized to the block (docs/evm.md
// "Chunked clearing", "Settlement in chunks"), so no single transaction binds. Gives the most devices each
// constraint allows, the one that binds first, and the clearing's and the settlement's chunks.
import { InputError } from '@gridledger/base';
import { DEVICE_KINDS, type Deployment, deriveLoad } from './model.ts';

/** Gas of the market's operations (bench:evm's `model`, packages/evm/bench/gas.bench.ts). */
export interface EvmGas {
  /** placeOrder of one step (not the interval's first). */
  placeOrder: number;
  /** The interval's first order also creates its lists: once per interval. */
  firstOrderExtra: number;
  /** Each step beyond the first. */
  orderStep: number;
  cancelOrder: number;
  /** submitReadings of one reading, and per reading in a batch of 50. */
  reading: number;
  readingBatched: number;
  /** The clearing's transactions (begin, submitOrders, finish, applyChunk): base + per order. */
  clearingBase: number;
  clearingPerOrder: number;
  /** Of which the `finish` transaction (the header: prices, flows, the upstream; not the orders). */
  finishBase: number;
  /** The heavier chunk transaction (applyChunk: payments, parties, promises): base + per order. */
  chunkBase: number;
  chunkPerOrder: number;
  /**
   * The second settlement in chunks (MarketRealtime, docs/evm.md "Settlement in chunks"): a chunk's base,
   * per meter (the meters phase), per missing reading (penalties), per party (the credits and deviations
   * passes together, a party without sales), per promise (burned).
   */
  settleChunkBase: number;
  settleChunkPerMeter: number;
  settleChunkPerPenalty: number;
  settleChunkPerParty: number;
  settleChunkPerPromise: number;
  /** Sealed bids: commitOrder, revealOrder of one step (not the first), each further step. */
  commitOrder: number;
  revealOrder: number;
  revealStep: number;
  /** closeReveal per unrevealed commitment (forfeit and release). */
  forfeitPerCommitment: number;
}

/**
 * bench:evm on anvil 1.7.1 (solc 0.8.37, via-IR, 200 runs), 3-bus test network, 2026-12-03 after the
 * flat-price settlement went (issue 16: every market runs the second settlement); docs/evm.md "Tests and gas". Gas is deterministic: a rerun gives the same numbers until the contracts change.
 */
export const DEFAULT_EVM_GAS: EvmGas = {
  placeOrder: 242_960,
  firstOrderExtra: 68_388,
  orderStep: 33_727,
  cancelOrder: 62_620,
  reading: 93_663,
  readingBatched: 48_439,
  clearingBase: 1_755_987,
  clearingPerOrder: 178_254,
  finishBase: 639_048,
  chunkBase: 471_287,
  chunkPerOrder: 148_519,
  settleChunkBase: 91_851,
  settleChunkPerMeter: 71_120,
  settleChunkPerPenalty: 116_003,
  settleChunkPerParty: 78_323,
  settleChunkPerPromise: 89_118,
  commitOrder: 198_721,
  revealOrder: 242_635,
  revealStep: 22_233,
  forfeitPerCommitment: 21_338,
};

const GAS_FIELDS = Object.keys(DEFAULT_EVM_GAS) as (keyof EvmGas)[];

/**
 * Reads the gas model from bench:evm's JSON output (`npm run bench:evm -- --format json`): the last line
 * holding `{"bench":"evm-gas", …, "model": {…}}`.
 * @throws InputError naming the file and the missing or malformed field.
 */
export function parseEvmGas(text: string, source = 'input'): EvmGas {
  let model: Record<string, unknown> | undefined;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as { bench?: unknown; model?: unknown };
      if (v.bench === 'evm-gas' && typeof v.model === 'object' && v.model !== null) {
        model = v.model as Record<string, unknown>;
      }
    } catch {
      // not a JSON line
    }
  }
  if (model === undefined) {
    throw new InputError(
      `${source}: no bench:evm gas model found; pass the output of \`npm run bench:evm -- --format json\``,
    );
  }
  const out = {} as EvmGas;
  for (const f of GAS_FIELDS) {
    const v = model[f];
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : Number.NaN;
    if (!(Number.isSafeInteger(n) && n >= 0)) {
      throw new InputError(`${source}: model.${f}: expected whole gas >= 0, got ${JSON.stringify(v)}`);
    }
    out[f] = n;
  }
  return out;
}

/** The EVM network: block gas limit and block time. */
export interface EvmNetwork {
  blockGas: number;
  blockTimeS: number;
}

/** One constraint: gas per device and per interval in a window, against what the window carries. */
export interface EvmConstraint {
  name: string;
  /** What the window is, in words. */
  window: string;
  /** Gas the network carries in the window (one block for a single transaction). */
  availableGas: number;
  perDeviceGas: number;
  fixedGas: number;
  /** Gas at the deployment's device count. */
  requiredGas: number;
  maxDevices: number;
}

/** What an EVM network carries. */
export interface EvmCapacity {
  network: EvmNetwork;
  sealed: boolean;
  devices: number;
  /** Per device and interval: orders, steps per order, cancels, readings, cleared orders, promises. */
  perDevice: { orders: number; stepsPerOrder: number; cancels: number; readings: number; cleared: number };
  gasPerInterval: number;
  constraints: EvmConstraint[];
  /** The most devices the network carries per interval, and the constraint that binds first. */
  maxDevices: number;
  binding: string;
  /**
   * The clearing in chunks at the deployment's device count: at most `ordersPerChunk` orders per chunk
   * (80 % of a block, as the operator cuts them), `chunks` chunks, and the largest transaction's gas.
   */
  clearingChunks: { ordersPerChunk: number; chunks: number; largestTxGas: number };
  /**
   * The settlement's chunks at the deployment's device count (80 % of a block each): at most
   * `itemsPerChunk` items (meters, parties, promises) per chunk, `chunks` in all, the largest's gas.
   */
  settlementChunks: { itemsPerChunk: number; chunks: number; largestTxGas: number };
}

/** Share of a block the operator fills with one chunk (packages/evm chunkGasBudget). */
const CHUNK_BLOCK_SHARE = 0.8;

/** Options of {@link evmCapacity}. */
export interface EvmCapacityOptions {
  gas?: EvmGas;
  /** Sealed bids with this reveal window (s, <= the gate lead); absent: an open book. */
  revealWindowS?: number;
}

/**
 * The devices an EVM network carries per interval for deployment `d` (its interval, windows, mix and
 * shares; its device count is where `requiredGas` is evaluated). Formulas E1-E8 in docs/capacity.md
 * (E8: the settlement's chunks).
 * @throws InputError on a bad network or reveal window.
 */
export function evmCapacity(d: Deployment, net: EvmNetwork, opts: EvmCapacityOptions = {}): EvmCapacity {
  const g = opts.gas ?? DEFAULT_EVM_GAS;
  if (!(Number.isSafeInteger(net.blockGas) && net.blockGas > 0)) {
    throw new InputError(`block gas must be a whole number > 0, got ${net.blockGas}`);
  }
  if (!(Number.isFinite(net.blockTimeS) && net.blockTimeS > 0)) {
    throw new InputError(`block time must be greater than zero, got ${net.blockTimeS}`);
  }
  const sealed = opts.revealWindowS !== undefined;
  const reveal = opts.revealWindowS ?? 0;
  if (sealed && !(reveal > 0 && reveal < d.gateLeadS)) {
    throw new InputError(
      `reveal window must be above zero and shorter than the gate lead (${d.gateLeadS} s) so the clearing has time, got ${reveal} s`,
    );
  }
  const load = deriveLoad(d);
  const n = load.devices;
  let steps = 0;
  for (const k of DEVICE_KINDS) {
    steps += d.devices[k] * d.tradingShare * d.profiles[k].ordersPerInterval * d.profiles[k].stepsPerOrder;
  }
  const o = load.ordersPerInterval / n; // E1: orders per device
  const stepsPerOrder = load.ordersPerInterval > 0 ? steps / load.ordersPerInterval : 1;
  const c = load.cancelsPerInterval / n;
  const cleared = o * d.clearedShare;
  const perBlocks = (s: number) => Math.floor(s / net.blockTimeS) * net.blockGas; // whole blocks in s
  // E2: order gas per device (sealed: the commitment before the gate, the reveal after it)
  const place = g.placeOrder + (stepsPerOrder - 1) * g.orderStep;
  const commitGas = o * g.commitOrder + c * g.cancelOrder;
  const revealGas = o * (g.revealOrder + (stepsPerOrder - 1) * g.revealStep);
  const orderGas = sealed ? commitGas : o * place + c * g.cancelOrder;
  // E3: readings (one meter per device)
  const readingGas = d.readingsPerTx > 1 ? g.readingBatched : g.reading;
  // E4: clearing
  const clearingPerDevice = o * g.clearingPerOrder;
  // E8: the settlement in chunks: a meter, a party (its two passes) and its promises per device, a
  // chunk's base per phase (meters, penalties, credits, promises, deviations) and beginSettle's
  const settlePerDevice = g.settleChunkPerMeter + g.settleChunkPerParty + cleared * g.settleChunkPerPromise;
  const settleFixed = 6 * g.settleChunkBase;
  const fixedOrders = g.firstOrderExtra;
  const constraints: EvmConstraint[] = [];
  const add = (
    name: string,
    window: string,
    availableGas: number,
    perDeviceGas: number,
    fixedGas: number,
  ) => {
    const max =
      perDeviceGas > 0 ? Math.max(0, Math.floor((availableGas - fixedGas) / perDeviceGas)) : Infinity;
    constraints.push({
      name,
      window,
      availableGas,
      perDeviceGas,
      fixedGas,
      requiredGas: fixedGas + perDeviceGas * n,
      maxDevices: max,
    });
  };
  // E6: the whole interval carries everything
  const total = orderGas + (sealed ? revealGas : 0) + readingGas + clearingPerDevice + settlePerDevice;
  const fixedTotal = fixedOrders + g.clearingBase + settleFixed;
  add('interval', `${d.intervalS} s: everything`, perBlocks(d.intervalS), total, fixedTotal);
  // E7: each window alone
  add(
    sealed ? 'commitments' : 'orders',
    `the last ${d.submissionWindowS} s before the gate`,
    perBlocks(d.submissionWindowS),
    orderGas,
    sealed ? 0 : fixedOrders,
  );
  if (sealed) add('reveals', `the ${reveal} s reveal window`, perBlocks(reveal), revealGas, fixedOrders);
  add(
    'clearing',
    `${d.gateLeadS - reveal} s from the ${sealed ? 'reveal close' : 'gate'} to the interval`,
    perBlocks(d.gateLeadS - reveal),
    clearingPerDevice,
    g.clearingBase,
  );
  add('readings', `${d.readingWindowS} s after the interval`, perBlocks(d.readingWindowS), readingGas, 0);
  // E7: the clearing's chunks, each within 80 % of a block (any book: more chunks, in E4's window)
  const ordersPerChunk = Math.floor((CHUNK_BLOCK_SHARE * net.blockGas - g.chunkBase) / g.chunkPerOrder);
  if (!(ordersPerChunk >= 1) || g.finishBase > net.blockGas) {
    throw new InputError(
      `a block of ${net.blockGas} gas cannot carry one clearing chunk (${g.chunkBase} + ${g.chunkPerOrder} gas per order within 80 % of it) or the finish transaction (${g.finishBase} gas)`,
    );
  }
  const ordersNow = o * n;
  const chunks = Math.max(1, Math.ceil(ordersNow / ordersPerChunk));
  const largestTxGas = Math.max(
    g.finishBase,
    g.chunkBase + g.chunkPerOrder * Math.min(Math.ceil(ordersNow), ordersPerChunk),
  );
  // E8: the settlement's chunks, each within 80 % of a block (any interval: more chunks)
  const perItem = Math.max(
    g.settleChunkPerMeter,
    g.settleChunkPerPenalty,
    g.settleChunkPerParty,
    g.settleChunkPerPromise,
  );
  const room = CHUNK_BLOCK_SHARE * net.blockGas - g.settleChunkBase;
  const itemsPerChunk = Math.floor(room / perItem);
  if (!(itemsPerChunk >= 1)) {
    throw new InputError(
      `a block of ${net.blockGas} gas cannot carry one settlement chunk (${g.settleChunkBase} + ${perItem} gas per item within 80 % of it)`,
    );
  }
  const work = settlePerDevice * n;
  const settlementChunks = {
    itemsPerChunk,
    chunks: Math.max(5, Math.ceil(work / room) + 5),
    largestTxGas: Math.ceil(g.settleChunkBase + Math.min(work, itemsPerChunk * perItem)),
  };
  const bind = constraints.reduce((a, b) => (b.maxDevices < a.maxDevices ? b : a));
  return {
    network: net,
    sealed,
    devices: n,
    perDevice: { orders: o, stepsPerOrder, cancels: c, readings: 1, cleared },
    gasPerInterval: fixedTotal + total * n,
    constraints,
    maxDevices: bind.maxDevices,
    binding: bind.name,
    clearingChunks: { ordersPerChunk, chunks, largestTxGas },
    settlementChunks,
  };
}
