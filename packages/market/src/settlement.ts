// Settlement maths: the one boundary where a clearing's floats (MW, $/MWh) become integers (Wh,
// micro-dollars) for an interval of given length, with a rounding rule under which money balances
// exactly. The rule and its reasoning are in docs/market-rules.md ("Settlement in integers").
import { floorDiv, InputError, roundHalfAwayFromZero, WH_PER_MWH } from '@gridledger/base';
import type { ClearingResult, Side } from './types.ts';

/** Micro-dollars (µUSD, 10^-6 $) per dollar: the settlement currency's smallest unit. */
export const MICROS_PER_USD = 1_000_000n;

/** Default market interval, minutes. */
export const DEFAULT_INTERVAL_MINUTES = 60;

/** One party to settle: an order, or one of the case's own generators or loads. */
export interface SettlementParty {
  id: string;
  kind: 'order' | 'generator' | 'load';
  bus: number;
  side: Side;
  /** Cleared MW over the interval (a negative value settles as the other side). */
  mw: number;
}

/** A party's integer settlement. */
export interface PartySettlement {
  id: string;
  kind: SettlementParty['kind'];
  bus: number;
  side: Side;
  /** Energy bought or sold over the interval, Wh (never negative). */
  energyWh: bigint;
  /** The bus's LMP rounded to integer micro-dollars per MWh. */
  priceMicrosPerMWh: bigint;
  /** Paid by a buyer, or received by a seller, micro-dollars (negative when the price is). */
  amountMicros: bigint;
}

/** Options for {@link settleClearing}. */
export interface SettlementOptions {
  /** Length of the market interval, whole minutes (default 60). */
  intervalMinutes?: number;
  /**
   * Parties that are not orders but took part in the clearing: the case's generators (sell) and loads
   * (buy). Without them, a network with its own generation or load does not balance by itself.
   */
  extraParties?: readonly SettlementParty[];
}

/** The integer settlement of one clearing. */
export interface Settlement {
  intervalMinutes: number;
  parties: PartySettlement[];
  /** Sum of buyers' payments, micro-dollars. */
  buyersPayMicros: bigint;
  /** Sum of sellers' receipts, micro-dollars. */
  sellersReceiveMicros: bigint;
  /** buyersPayMicros - sellersReceiveMicros: the grid operator's congestion rent plus rounding, micro-dollars. */
  congestionRentMicros: bigint;
  /** Total Wh bought and total Wh sold (equal when the clearing balanced). */
  boughtWh: bigint;
  soldWh: bigint;
  /** True when bought and sold energy balanced in the clearing and were apportioned from one total. */
  balanced: boolean;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

interface Exact {
  index: number;
  id: string;
  whole: bigint;
  frac: number;
}

/**
 * Largest-remainder (Hamilton) apportionment: integers W_i, each the floor or the ceiling of e_i, that
 * sum to exactly `target`. Units go to the largest fractional parts first (taken from the smallest when
 * the floors already exceed the target), ties broken by id then input position.
 */
function apportion(exact: readonly number[], ids: readonly string[], target: bigint): bigint[] {
  const items: Exact[] = exact.map((e, index) => {
    const f = Math.floor(e);
    return { index, id: ids[index]!, whole: BigInt(f), frac: e - f };
  });
  const out = items.map((x) => x.whole);
  let diff = target - out.reduce((a, b) => a + b, 0n);
  if (diff === 0n || items.length === 0) return out;
  const byKey = (a: Exact, b: Exact) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.index - b.index);
  if (diff > 0n) {
    const order = [...items].sort((a, b) => b.frac - a.frac || byKey(a, b));
    for (let k = 0; diff > 0n; k = (k + 1) % order.length, diff--) out[order[k]!.index]! += 1n;
  } else {
    const order = [...items].sort((a, b) => a.frac - b.frac || byKey(a, b));
    for (
      let k = 0, guard = 0;
      diff < 0n && guard < 4 * order.length + 8;
      k = (k + 1) % order.length, guard++
    ) {
      const i = order[k]!.index;
      if (out[i]! > 0n) {
        out[i]! -= 1n;
        diff++;
      }
    }
  }
  return out;
}

/**
 * Settles a clearing in integers for an interval of `intervalMinutes`.
 *
 * Rule (docs/market-rules.md):
 * 1. Price: each bus's LMP is rounded half away from zero to integer micro-dollars per MWh.
 * 2. Energy: each party's exact energy e = MW × minutes / 60 × 10^6 Wh. Per side (buyers, sellers) the
 *    total is rounded half away from zero (one total for both sides when they balance, their mean) and
 *    apportioned to the parties by largest remainder, so every party gets the floor or the ceiling of
 *    its exact Wh and bought Wh equal sold Wh exactly.
 * 3. Money: a buyer pays ceil(Wh × price / 10^6) µ$, a seller receives floor(Wh × price / 10^6) µ$.
 * 4. Congestion rent = buyers' payments - sellers' receipts: the identity holds by construction; the rent
 *    is >= 0 whenever all parties face one integer price (one bus, or no binding line), because then
 *    energy balances exactly and rounding only ever favours the operator.
 *
 * @throws {InputError} when the result is not optimal, the interval is not a positive whole number of
 *   minutes, or a party's MW or its bus's price is not finite.
 * @example settleClearing(clearSingleBus(orders), { intervalMinutes: 15 }).congestionRentMicros
 */
export function settleClearing(result: ClearingResult, options: SettlementOptions = {}): Settlement {
  const minutes = options.intervalMinutes ?? DEFAULT_INTERVAL_MINUTES;
  if (!Number.isSafeInteger(minutes) || minutes <= 0) {
    throw new InputError(
      `settlement: expected the interval to be a positive whole number of minutes, got ${minutes}`,
    );
  }
  if (result.status !== 'optimal') {
    throw new InputError(
      `settlement: only an optimal clearing can be settled, got status "${result.status}"${result.reason ? ` (${result.reason})` : ''}`,
    );
  }
  const lmpByBus = new Map<number, number>();
  for (const b of result.buses) lmpByBus.set(b.id, b.lmp);
  for (const o of result.orders) if (!lmpByBus.has(o.bus)) lmpByBus.set(o.bus, o.price);
  const parties: SettlementParty[] = result.orders.map((o) => ({
    id: o.id,
    kind: 'order' as const,
    bus: o.bus,
    side: o.side,
    mw: o.cleared,
  }));
  if (options.extraParties) parties.push(...options.extraParties);

  // Normalise: a negative quantity is the other side (a negative load generates).
  const norm = parties.map((p) => {
    if (!Number.isFinite(p.mw))
      throw new InputError(`settlement: ${p.kind} "${p.id}" has a non-finite MW ${p.mw}`);
    const flip = p.mw < 0;
    return {
      ...p,
      side: flip ? (p.side === 'buy' ? ('sell' as const) : ('buy' as const)) : p.side,
      mw: Math.abs(p.mw),
    };
  });
  const prices = norm.map((p) => {
    const lmp = lmpByBus.get(p.bus);
    if (lmp === undefined || !Number.isFinite(lmp)) {
      throw new InputError(`settlement: no finite price at bus ${p.bus} for ${p.kind} "${p.id}"`);
    }
    return roundHalfAwayFromZero(lmp * 1e6);
  });

  // Energy per side by largest remainder from one rounded total.
  const exact = norm.map((p) => (p.mw * minutes * 1e6) / 60);
  const buyIdx: number[] = [];
  const sellIdx: number[] = [];
  norm.forEach((p, i) => {
    (p.side === 'buy' ? buyIdx : sellIdx).push(i);
  });
  const sum = (idx: number[]) => idx.reduce((a, i) => a + exact[i]!, 0);
  const eB = sum(buyIdx);
  const eS = sum(sellIdx);
  const balanced = Math.abs(eB - eS) <= 1e-9 * Math.max(eB, eS) + 1e-6;
  const tB = balanced ? roundHalfAwayFromZero((eB + eS) / 2) : roundHalfAwayFromZero(eB);
  const tS = balanced ? tB : roundHalfAwayFromZero(eS);
  const energy: bigint[] = new Array(norm.length).fill(0n);
  for (const [idx, target] of [
    [buyIdx, tB],
    [sellIdx, tS],
  ] as const) {
    const w = apportion(
      idx.map((i) => exact[i]!),
      idx.map((i) => norm[i]!.id),
      target,
    );
    idx.forEach((i, k) => {
      energy[i] = w[k]!;
    });
  }

  // Money: rounding favours the operator on both sides.
  let buyersPayMicros = 0n;
  let sellersReceiveMicros = 0n;
  let boughtWh = 0n;
  let soldWh = 0n;
  const settled: PartySettlement[] = norm.map((p, i) => {
    const wh = energy[i]!;
    const price = prices[i]!;
    const gross = wh * price;
    const amountMicros = p.side === 'buy' ? ceilDiv(gross, WH_PER_MWH) : floorDiv(gross, WH_PER_MWH);
    if (p.side === 'buy') {
      buyersPayMicros += amountMicros;
      boughtWh += wh;
    } else {
      sellersReceiveMicros += amountMicros;
      soldWh += wh;
    }
    return {
      id: p.id,
      kind: p.kind,
      bus: p.bus,
      side: p.side,
      energyWh: wh,
      priceMicrosPerMWh: price,
      amountMicros,
    };
  });
  return {
    intervalMinutes: minutes,
    parties: settled,
    buyersPayMicros,
    sellersReceiveMicros,
    congestionRentMicros: buyersPayMicros - sellersReceiveMicros,
    boughtWh,
    soldWh,
    balanced,
  };
}
