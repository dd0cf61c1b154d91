// The single-bus (copper-plate) uniform-price double auction: the fast, sort-based path for clearing an
// order book on one bus. Same answer as welfare-maximising clearing (clearNetwork on a one-bus network);
// the rules for ties, the margin and the price are in docs/market-rules.md ("Single-bus auction").
import { InputError } from '@gridledger/base';
import type { ClearingResult, Order, OrderResult } from './types.ts';

/** Options for {@link clearSingleBus}. */
export interface AuctionOptions {
  /** The bus every order must be at; by default the first order's bus. */
  bus?: number;
}

/** The interval of uniform prices that support the auction's allocation, $/MWh (infinite ends when open). */
export interface PriceRange {
  low: number;
  high: number;
}

/** Result of {@link clearSingleBus}: a {@link ClearingResult} plus the auction's own facts. */
export interface AuctionResult extends ClearingResult {
  /**
   * Every price in this range clears the market with the same allocation; the optimiser's LMP is one of
   * them. `low === high` when the price is unique. The auction's price is chosen from it by the price rule.
   */
  priceRange: PriceRange;
  /** MW bought (equal to MW sold). */
  clearedMw: number;
}

/** Distinct prices of the positive-quantity steps, descending (bids) or ascending (offers). */
function priceLevels(prices: Float64Array, descending: boolean): Float64Array {
  const sorted = prices.slice().sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i]!;
  }
  const levels = sorted.subarray(0, n);
  if (descending) levels.reverse();
  return levels;
}

/** Index of `price` in `levels` (sorted ascending or descending, distinct, price present). */
function levelOf(levels: Float64Array, price: number, descending: boolean): number {
  let lo = 0;
  let hi = levels.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = levels[mid]!;
    if (descending ? v > price : v < price) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Clears an order book on one bus by a uniform-price double auction.
 *
 * Rules (docs/market-rules.md): bids are taken in descending price, offers in ascending price, and matched
 * while the bid's price is at least the offer's (so zero-surplus trades at equal prices do clear: the
 * most volume among the welfare-maximising allocations). All steps at the last (marginal) bid price share
 * that level's cleared MW pro rata to their quantities, and likewise for offers; no tie-break key is
 * needed and the result does not depend on the order of the input. The price is the midpoint of the
 * range of market-clearing prices ({@link AuctionResult.priceRange}) when both ends are finite, the
 * finite end when only one is, and 0 when the book has no positive quantity at all.
 *
 * Runs in O(S log S) for S steps using typed arrays; quantities within 1e-12 of the book's total of a
 * level are treated as that level being exhausted.
 *
 * @throws {InputError} for an empty book or orders at different buses.
 * @example
 * const r = clearSingleBus([
 *   { id: 'b', bus: 1, side: 'buy', steps: [{ price: 40, quantity: 5 }] },
 *   { id: 's', bus: 1, side: 'sell', steps: [{ price: 20, quantity: 3 }] },
 * ]);
 * r.buses[0].lmp; // 40: the bid is marginal (partly cleared), so it sets the price
 */
export function clearSingleBus(orders: readonly Order[], options: AuctionOptions = {}): AuctionResult {
  if (orders.length === 0) throw new InputError('single-bus auction: the order book is empty');
  const bus = options.bus ?? orders[0]!.bus;

  // Pass 1: count positive-quantity steps per side, check buses.
  let nb = 0;
  let ns = 0;
  for (const o of orders) {
    if (o.bus !== bus) {
      throw new InputError(`single-bus auction: order "${o.id}" is at bus ${o.bus}, expected bus ${bus}`);
    }
    for (const s of o.steps) {
      if (s.quantity > 0) {
        if (o.side === 'buy') nb++;
        else ns++;
      }
    }
  }
  const bp = new Float64Array(nb);
  const sp = new Float64Array(ns);
  nb = 0;
  ns = 0;
  for (const o of orders) {
    const buy = o.side === 'buy';
    for (const s of o.steps) {
      if (s.quantity > 0) {
        if (buy) bp[nb++] = s.price;
        else sp[ns++] = s.price;
      }
    }
  }
  const bLev = priceLevels(bp, true);
  const sLev = priceLevels(sp, false);
  const bQty = new Float64Array(bLev.length);
  const sQty = new Float64Array(sLev.length);
  let totalB = 0;
  let totalS = 0;
  for (const o of orders) {
    const buy = o.side === 'buy';
    for (const s of o.steps) {
      const q = s.quantity;
      if (q > 0) {
        if (buy) {
          bQty[levelOf(bLev, s.price, true)]! += q;
          totalB += q;
        } else {
          sQty[levelOf(sLev, s.price, false)]! += q;
          totalS += q;
        }
      }
    }
  }

  // Walk the two curves, matching the highest remaining bid with the lowest remaining offer.
  const tol = 1e-12 * Math.max(totalB, totalS);
  const bDone = new Float64Array(bLev.length);
  const sDone = new Float64Array(sLev.length);
  let i = 0;
  let j = 0;
  let remB = bLev.length > 0 ? bQty[0]! : 0;
  let remS = sLev.length > 0 ? sQty[0]! : 0;
  let volume = 0;
  while (i < bLev.length && j < sLev.length && bLev[i]! >= sLev[j]!) {
    const q = Math.min(remB, remS);
    bDone[i]! += q;
    sDone[j]! += q;
    volume += q;
    remB -= q;
    remS -= q;
    if (remB <= tol) {
      bDone[i] = bQty[i]!;
      i++;
      remB = i < bLev.length ? bQty[i]! : 0;
    }
    if (remS <= tol) {
      sDone[j] = sQty[j]!;
      j++;
      remS = j < sLev.length ? sQty[j]! : 0;
    }
  }

  // The marginal levels (last with anything cleared) and the next levels with anything left.
  const lastB = i < bLev.length && bDone[i]! > 0 ? i : i - 1;
  const lastS = j < sLev.length && sDone[j]! > 0 ? j : j - 1;
  const low = Math.max(lastS >= 0 ? sLev[lastS]! : -Infinity, i < bLev.length ? bLev[i]! : -Infinity);
  const high = Math.min(lastB >= 0 ? bLev[lastB]! : Infinity, j < sLev.length ? sLev[j]! : Infinity);
  const price =
    Number.isFinite(low) && Number.isFinite(high)
      ? low === high
        ? low
        : low + (high - low) / 2
      : Number.isFinite(low)
        ? low
        : Number.isFinite(high)
          ? high
          : 0;

  let welfare = 0;
  for (let k = 0; k <= lastB; k++) welfare += bLev[k]! * bDone[k]!;
  for (let k = 0; k <= lastS; k++) welfare -= sLev[k]! * sDone[k]!;

  // Allocation per step: inside the margin fully, at the margin pro rata, outside nothing.
  const pB = lastB >= 0 ? bLev[lastB]! : Infinity;
  const fB = lastB >= 0 ? bDone[lastB]! / bQty[lastB]! : 0;
  const pS = lastS >= 0 ? sLev[lastS]! : -Infinity;
  const fS = lastS >= 0 ? sDone[lastS]! / sQty[lastS]! : 0;
  const results: OrderResult[] = new Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    const o = orders[k]!;
    const steps = o.steps;
    const cleared: number[] = new Array(steps.length);
    let sum = 0;
    if (o.side === 'buy') {
      for (let m = 0; m < steps.length; m++) {
        const s = steps[m]!;
        const x = s.price > pB ? s.quantity : s.price === pB ? s.quantity * fB : 0;
        cleared[m] = x;
        sum += x;
      }
    } else {
      for (let m = 0; m < steps.length; m++) {
        const s = steps[m]!;
        const x = s.price < pS ? s.quantity : s.price === pS ? s.quantity * fS : 0;
        cleared[m] = x;
        sum += x;
      }
    }
    results[k] = { id: o.id, bus, side: o.side, cleared: sum, clearedSteps: cleared, price };
  }

  return {
    status: 'optimal',
    welfare,
    buses: [{ id: bus, lmp: price, lmpEnergy: price, lmpCongestion: 0 }],
    orders: results,
    branches: [],
    congestionRent: 0,
    priceRange: { low, high },
    clearedMw: volume,
  };
}
