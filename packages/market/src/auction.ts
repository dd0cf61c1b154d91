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

/**
 * The allocation of a single-bus auction in flat typed arrays (input order): what the hot path produces.
 * {@link clearSingleBus} turns it into per-order objects.
 */
export interface AuctionAllocation {
  bus: number;
  /** The auction's uniform price, $/MWh (see the price rule). */
  price: number;
  priceRange: PriceRange;
  /** MW bought (equal to MW sold). */
  clearedMw: number;
  /** $/h: bids' value minus offers' cost over the cleared steps. */
  welfare: number;
  /** MW cleared per order, in input order. */
  clearedByOrder: Float64Array;
  /** MW cleared per step, orders' steps concatenated in input order. */
  clearedByStep: Float64Array;
  /** Order k's steps are clearedByStep[stepStart[k] .. stepStart[k+1]). */
  stepStart: Uint32Array;
}

/**
 * Distinct prices by open addressing on the float's bits, growing as needed: `add` returns the price's
 * index in order of first appearance. Expected O(1) per step; only the distinct prices are sorted later.
 */
class PriceTable {
  distinct = new Float64Array(64);
  size = 0;
  private slots = new Int32Array(128).fill(-1);
  private mask = 127;
  private readonly f = new Float64Array(1);
  private readonly u = new Uint32Array(this.f.buffer);

  private hash(p: number): number {
    this.f[0] = p;
    const h = Math.imul(this.u[0]! ^ Math.imul(this.u[1]!, 0x9e3779b1), 0x85ebca6b);
    return (h ^ (h >>> 15)) & this.mask;
  }

  add(p: number): number {
    let h = this.hash(p);
    for (;;) {
      const d = this.slots[h]!;
      if (d < 0) break;
      if (this.distinct[d] === p) return d;
      h = (h + 1) & this.mask;
    }
    const d = this.size++;
    if (d === this.distinct.length) {
      const grown = new Float64Array(d * 2);
      grown.set(this.distinct);
      this.distinct = grown;
    }
    this.distinct[d] = p;
    this.slots[h] = d;
    if (this.size * 2 > this.slots.length) this.grow();
    return d;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    this.mask = this.slots.length - 1;
    for (let d = 0; d < this.size; d++) {
      let h = this.hash(this.distinct[d]!);
      while (this.slots[h]! >= 0) h = (h + 1) & this.mask;
      this.slots[h] = d;
    }
  }
}

/**
 * Solves the single-bus uniform-price double auction into flat arrays (the hot path; see
 * {@link clearSingleBus} for the rules and the per-order result).
 *
 * Distinct prices are found by hashing and only they are sorted, so the work is O(S + L log L) for S steps
 * and L distinct prices, in typed arrays; a level's remaining quantity within 1e-12 of the book's larger
 * side total counts as exhausted (float residue such as 0.1 + 0.2 - 0.3).
 * @throws {InputError} for an empty book, orders at different buses, or a non-finite price or quantity.
 * @example
 * const a = solveSingleBus(orders);
 * a.price; // $/MWh
 * a.clearedByOrder[0]; // MW cleared for orders[0]
 */
export function solveSingleBus(orders: readonly Order[], options: AuctionOptions = {}): AuctionAllocation {
  if (orders.length === 0) throw new InputError('single-bus auction: the order book is empty');
  const bus = options.bus ?? orders[0]!.bus;
  const n = orders.length;

  // Flatten: one pass to count, one to fill. Zero-quantity steps take part in nothing.
  const stepStart = new Uint32Array(n + 1);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const o = orders[k]!;
    if (o.bus !== bus) {
      throw new InputError(`single-bus auction: order "${o.id}" is at bus ${o.bus}, expected bus ${bus}`);
    }
    stepStart[k] = total;
    total += o.steps.length;
  }
  stepStart[n] = total;
  const qty = new Float64Array(total);
  const isBuy = new Uint8Array(total);
  // Holds each step's distinct-price index first, then (in place) its level: the price's rank.
  const levelOf = new Int32Array(total);
  const table = new PriceTable();
  for (let k = 0; k < n; k++) {
    const o = orders[k]!;
    const buy = o.side === 'buy' ? 1 : 0;
    const steps = o.steps;
    let t = stepStart[k]!;
    for (let m = 0; m < steps.length; m++, t++) {
      const st = steps[m]!;
      if (!Number.isFinite(st.price) || !(st.quantity >= 0) || st.quantity === Infinity) {
        throw new InputError(
          `single-bus auction: order "${o.id}" step ${m + 1}: expected a finite price and a finite quantity >= 0 MW, got price ${st.price}, quantity ${st.quantity}`,
        );
      }
      levelOf[t] = table.add(st.price + 0); // -0 and 0 are one price
      qty[t] = st.quantity;
      isBuy[t] = buy;
    }
  }

  // Price levels: distinct prices ascending, with the bid and offer MW at each.
  const nLev = table.size;
  const lev = table.distinct.slice(0, nLev).sort();
  const rank = new Int32Array(nLev);
  for (let d = 0; d < nLev; d++) {
    const p = table.distinct[d]!;
    let lo = 0;
    let hi = nLev - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lev[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    rank[d] = lo;
  }
  const bidQ = new Float64Array(nLev);
  const offQ = new Float64Array(nLev);
  let totalB = 0;
  let totalS = 0;
  for (let t = 0; t < total; t++) {
    const r = rank[levelOf[t]!]!;
    levelOf[t] = r;
    const q = qty[t]!;
    if (isBuy[t] === 1) {
      bidQ[r]! += q;
      totalB += q;
    } else {
      offQ[r]! += q;
      totalS += q;
    }
  }

  // Walk: bids from the top level down, offers from the bottom up, skipping levels empty for that side.
  const tol = 1e-12 * Math.max(totalB, totalS);
  const bidDone = new Float64Array(nLev);
  const offDone = new Float64Array(nLev);
  let i = nLev - 1;
  while (i >= 0 && !(bidQ[i]! > 0)) i--;
  let j = 0;
  while (j < nLev && !(offQ[j]! > 0)) j++;
  let remB = i >= 0 ? bidQ[i]! : 0;
  let remS = j < nLev ? offQ[j]! : 0;
  let lastB = -1;
  let lastS = -1;
  let volume = 0;
  while (i >= 0 && j < nLev && lev[i]! >= lev[j]!) {
    const q = Math.min(remB, remS);
    bidDone[i]! += q;
    offDone[j]! += q;
    volume += q;
    remB -= q;
    remS -= q;
    lastB = i;
    lastS = j;
    if (remB <= tol) {
      bidDone[i] = bidQ[i]!;
      i--;
      while (i >= 0 && !(bidQ[i]! > 0)) i--;
      remB = i >= 0 ? bidQ[i]! : 0;
    }
    if (remS <= tol) {
      offDone[j] = offQ[j]!;
      j++;
      while (j < nLev && !(offQ[j]! > 0)) j++;
      remS = j < nLev ? offQ[j]! : 0;
    }
  }

  // Range of clearing prices: at least the marginal offer and the best unserved bid; at most the
  // marginal bid and the best unused offer. (i, j) point at the levels with quantity left, if any.
  const low = Math.max(lastS >= 0 ? lev[lastS]! : -Infinity, i >= 0 ? lev[i]! : -Infinity);
  const high = Math.min(lastB >= 0 ? lev[lastB]! : Infinity, j < nLev ? lev[j]! : Infinity);
  const p =
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
  for (let k = 0; k < nLev; k++) welfare += lev[k]! * (bidDone[k]! - offDone[k]!);

  // Allocation per step: inside the margin fully, at the margin pro rata, outside nothing.
  const fB = lastB >= 0 ? bidDone[lastB]! / bidQ[lastB]! : 0;
  const fS = lastS >= 0 ? offDone[lastS]! / offQ[lastS]! : 0;
  const bMargin = lastB >= 0 ? lastB : nLev;
  const sMargin = lastS;
  const clearedByStep = new Float64Array(total);
  const clearedByOrder = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sum = 0;
    const end = stepStart[k + 1]!;
    for (let t = stepStart[k]!; t < end; t++) {
      const r = levelOf[t]!;
      const q = qty[t]!;
      let x = 0;
      if (q > 0) {
        if (isBuy[t] === 1) x = r > bMargin ? q : r === bMargin ? q * fB : 0;
        else x = r < sMargin ? q : r === sMargin ? q * fS : 0;
      }
      clearedByStep[t] = x;
      sum += x;
    }
    clearedByOrder[k] = sum;
  }
  return {
    bus,
    price: p,
    priceRange: { low, high },
    clearedMw: volume,
    welfare,
    clearedByOrder,
    clearedByStep,
    stepStart,
  };
}

function stepsOf(x: Float64Array, start: number, end: number): number[] {
  const out: number[] = new Array(end - start);
  for (let t = start; t < end; t++) out[t - start] = x[t]!;
  return out;
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
 * @throws {InputError} for an empty book or orders at different buses.
 * @example
 * const r = clearSingleBus([
 *   { id: 'b', bus: 1, side: 'buy', steps: [{ price: 40, quantity: 5 }] },
 *   { id: 's', bus: 1, side: 'sell', steps: [{ price: 20, quantity: 3 }] },
 * ]);
 * r.buses[0].lmp; // 40: the bid is marginal (partly cleared), so it sets the price
 */
export function clearSingleBus(orders: readonly Order[], options: AuctionOptions = {}): AuctionResult {
  const a = solveSingleBus(orders, options);
  const results: OrderResult[] = new Array(orders.length);
  for (let k = 0; k < orders.length; k++) {
    const o = orders[k]!;
    const s = a.stepStart[k]!;
    results[k] = {
      id: o.id,
      bus: a.bus,
      side: o.side,
      cleared: a.clearedByOrder[k]!,
      clearedSteps: stepsOf(a.clearedByStep, s, a.stepStart[k + 1]!),
      price: a.price,
    };
  }
  return {
    status: 'optimal',
    welfare: a.welfare,
    buses: [
      {
        id: a.bus,
        lmp: a.price,
        lmpLow: a.priceRange.low,
        lmpHigh: a.priceRange.high,
        lmpEnergy: a.price,
        lmpCongestion: 0,
      },
    ],
    orders: results,
    branches: [],
    congestionRent: 0,
    priceRange: a.priceRange,
    clearedMw: a.clearedMw,
  };
}
