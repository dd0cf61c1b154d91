// State keys of the market module (prefix <market address>), shared by orders, clearing, promises and
// settlement. Integer fields only; signed values use two's complement words (words.ts).
import type { Address } from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';

const M = MARKET_ADDRESS;

/** Order status values. */
export const ORDER_STATUS = { open: 1n, cancelled: 2n, cleared: 3n, released: 4n } as const;
/** Interval status values (0 = not cleared yet). */
export const INTERVAL_STATUS = { cleared: 1n, failed: 2n, settled: 3n } as const;
/** Sealed-bid commitment status values (sealed-orders.ts). */
export const COMMIT_STATUS = { committed: 1n, revealed: 2n, cancelled: 3n, forfeited: 4n } as const;
/** Side codes in the ABI and state. */
export const SIDE = { buy: 0n, sell: 1n } as const;

const M64 = (1n << 64n) - 1n;
const M96 = (1n << 96n) - 1n;
const I96 = 1n << 95n;

/**
 * An order's clearing outcome as one uint256 word: clearedWh (uint64) << 192 | price (int96, two's
 * complement) << 96 | amount (int96). Undefined when a field does not fit (the clearing then fails).
 */
export function encodeOrderOutcome(o: {
  clearedWh: bigint;
  price: bigint;
  amount: bigint;
}): bigint | undefined {
  if (o.clearedWh < 0n || o.clearedWh > M64) return undefined;
  if (o.price < -I96 || o.price >= I96 || o.amount < -I96 || o.amount >= I96) return undefined;
  return (o.clearedWh << 192n) | ((o.price & M96) << 96n) | (o.amount & M96);
}

/** The fields of {@link encodeOrderOutcome}'s word (0: not cleared, all zero). */
export function decodeOrderOutcome(w: bigint): { clearedWh: bigint; price: bigint; amount: bigint } {
  const s96 = (v: bigint) => (v >= I96 ? v - (1n << 96n) : v);
  return { clearedWh: (w >> 192n) & M64, price: s96((w >> 96n) & M96), amount: s96(w & M96) };
}

/** The market's state keys. */
export const marketKeys = {
  /** Next order id (ids start at 1). */
  nextOrder: `${M}:next`,
  /** Next interval to clear; next interval to settle. */
  clearNext: `${M}:clearNext`,
  settleNext: `${M}:settleNext`,
  /** Next promise token id (ids start at 1). */
  nextPromise: `${M}:pnext`,
  /** Next sealed-bid commitment id (ids start at 1; sealed-orders.ts). */
  nextCommit: `${M}:cnext`,
  /**
   * The commitment id of an owner's commitment hash (0: none), so no owner commits one hash twice (per
   * owner: a copy of another's hash by front-running must not block the original).
   */
  commitByHash: (owner: Address, hash: bigint) => `${M}:ch:${owner}:${hash}`,
  commit: (id: bigint) => ({
    owner: `${M}:c:${id}:owner`,
    interval: `${M}:c:${id}:iv`,
    /** keccak256(abi.encode(owner, interval, bus, side, steps, salt)) as a uint256. */
    hash: `${M}:c:${id}:h`,
    /** Cash the market holds for the commitment (0 once revealed, cancelled or forfeited). */
    deposit: `${M}:c:${id}:dep`,
    /** The deposit as committed (kept after release, for views). */
    committed: `${M}:c:${id}:dep0`,
    status: `${M}:c:${id}:st`,
    /** The order its reveal placed. */
    order: `${M}:c:${id}:o`,
  }),
  order: (id: bigint) => ({
    owner: `${M}:o:${id}:owner`,
    interval: `${M}:o:${id}:iv`,
    bus: `${M}:o:${id}:bus`,
    side: `${M}:o:${id}:side`,
    steps: `${M}:o:${id}:n`,
    stepWh: (j: number) => `${M}:o:${id}:wh:${j}`,
    stepPrice: (j: number) => `${M}:o:${id}:px:${j}`,
    /** Cash held by the market for this order (buy: its maximum cost; sell: imbalance collateral). */
    escrow: `${M}:o:${id}:esc`,
    status: `${M}:o:${id}:st`,
    /**
     * The clearing outcome in one word (encodeOrderOutcome): cleared Wh, the LMP at the order's bus
     * (signed cash units per MWh) and the amount paid (buy) or received (sell) (signed cash units).
     */
    outcome: `${M}:o:${id}:out`,
  }),
  interval: (k: bigint) => ({
    /** Number of order slots (cancelled orders keep theirs). */
    orders: `${M}:iv:${k}:n`,
    order: (i: number) => `${M}:iv:${k}:o:${i}`,
    liveOf: (a: Address) => `${M}:iv:${k}:acct:${a}`,
    /** An owner's orders at a bus on one side (0 buy, 1 sell), for self-trade prevention: count, ids. */
    ownCount: (a: Address, bus: bigint, side: bigint) => `${M}:iv:${k}:own:${a}:${bus}:${side}:n`,
    ownOrder: (a: Address, bus: bigint, side: bigint, i: bigint) =>
      `${M}:iv:${k}:own:${a}:${bus}:${side}:${i}`,
    /** Sealed-bid commitments of the interval: count, ids by slot, an account's live commitments. */
    commits: `${M}:iv:${k}:cn`,
    commitAt: (i: bigint) => `${M}:iv:${k}:c:${i}`,
    commitsOf: (a: Address) => `${M}:iv:${k}:cacct:${a}`,
    status: `${M}:iv:${k}:st`,
    /** LMP per bus, signed cash units per MWh. */
    lmp: (bus: number) => `${M}:iv:${k}:lmp:${bus}`,
    /**
     * The bus's range of clearing prices (docs/market-rules.md §6a), signed cash units per MWh; an open
     * end is ±(2^127 − 1).
     */
    lmpLow: (bus: number) => `${M}:iv:${k}:lmplo:${bus}`,
    lmpHigh: (bus: number) => `${M}:iv:${k}:lmphi:${bus}`,
    /** Flow per branch, signed W (from-end). */
    flowW: (branch: number) => `${M}:iv:${k}:flow:${branch}`,
    /** Flow per branch computed at settlement from the metered injections (digital twin), signed W. */
    actualFlowW: (branch: number) => `${M}:iv:${k}:aflow:${branch}`,
    /** 1 when the digital twin computed `actualFlowW` (0: its AC power flow had no solution, none stored). */
    twinComputed: `${M}:iv:${k}:twok`,
    /** Congestion prices per branch, cash units per MWh per MW, rounded; from->to and to->from. */
    muFrom: (branch: number) => `${M}:iv:${k}:muf:${branch}`,
    muTo: (branch: number) => `${M}:iv:${k}:mut:${branch}`,
    /** Congestion rent paid into the rent fund (RENT_FUND_ADDRESS), signed cash units. */
    rent: `${M}:iv:${k}:rent`,
    /** Upstream cleared energy, Wh, and its LMP-valued amounts (signed). */
    upSoldWh: `${M}:iv:${k}:up:swh`,
    upBoughtWh: `${M}:iv:${k}:up:bwh`,
    upReceived: `${M}:iv:${k}:up:rcv`,
    upPaid: `${M}:iv:${k}:up:pay`,
    /**
     * keccak256 of the clearing result JSON (floats as the engine returned them) and of the certificate
     * JSON; the texts themselves are in the ClearingRecorded log of the clearing block (clearing-record.ts).
     */
    resultHash: `${M}:iv:${k}:resh`,
    certificateHash: `${M}:iv:${k}:certh`,
    /** Height of the block that cleared the interval (where its ClearingRecorded log is). */
    clearedAtHeight: `${M}:iv:${k}:ch`,
    /** Number of promises of the interval; their token ids are firstPromise .. firstPromise + n - 1. */
    promises: `${M}:iv:${k}:pn`,
    firstPromise: `${M}:iv:${k}:p1`,
    /**
     * The interval's meters are the first `expectedCount` registered (every meter registered before its
     * clearing); settlement waits for their readings until the deadline; how many reported.
     */
    expectedCount: `${M}:iv:${k}:emn`,
    reportedCount: `${M}:iv:${k}:got`,
    /** The registry's network version at the clearing (real-time prices need the same network). */
    networkVersion: `${M}:iv:${k}:netv`,
    /** Real-time (ex-post) price per bus, signed µ$/MWh (settlement). */
    rtLmp: (bus: number) => `${M}:iv:${k}:rtlmp:${bus}`,
    /** 1 when the real-time prices were computed (else deviations settled at the forward prices). */
    rtPriced: `${M}:iv:${k}:rtok`,
    /** Energy-balance mismatch, signed Wh; flagged: 1 held, 2 released, 3 cancelled by the operator. */
    balanceMismatchWh: `${M}:iv:${k}:bal`,
    flagged: `${M}:iv:${k}:flag`,
    /** Payments held by a flagged energy balance: count, and each (account, µ$). */
    heldCount: `${M}:iv:${k}:held:n`,
    heldTo: (i: bigint) => `${M}:iv:${k}:held:${i}:to`,
    heldAmount: (i: bigint) => `${M}:iv:${k}:held:${i}:amt`,
    /** A party's settled deviation (signed Wh), for a true-up by a late reading. */
    deviationWh: (owner: Address, bus: number) => `${M}:iv:${k}:dev:${owner}:${bus}`,
    /** 1 + the import estimated for a meter with no reading at settlement, Wh (0: it had a reading). */
    estimatedImportWh: (meter: bigint) => `${M}:iv:${k}:est:${meter}`,
  }),
  promise: (id: bigint) => ({
    settled: `${M}:p:${id}:settled`,
    /** Credits minted for it at settlement, Wh. */
    deliveredWh: `${M}:p:${id}:dlv`,
  }),
};
