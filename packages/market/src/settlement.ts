// Settlement maths: the one boundary where a clearing's floats (MW, $/MWh) become integers (Wh,
// micro-dollars) for an interval of given length, with a rounding rule under which money balances
// exactly. The rule and its reasoning are in docs/market-rules.md ("Settlement in integers").
import {
  dollarsPerMWhToMicros,
  floorDiv,
  InputError,
  mwToWh,
  roundHalfAwayFromZero,
  WH_PER_MWH,
} from '@gridledger/base';
import type { Network } from '@gridledger/grid';
import type { ClearingResult, OrderResult, Side } from './types.ts';

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
  /**
   * True when bought and sold energy balanced in the clearing (to within 1 Wh, or 1e-9 of the total) and
   * were apportioned from one total.
   */
  balanced: boolean;
}

/**
 * The case's own generators (sellers, at their cleared output) and loads (buyers, `Pd + Gs` per bus) as
 * settlement parties, ids `gen<row>` and `load<bus>`; isolated buses (type 4) and zero amounts are left out.
 * @param generatorsMw cleared MW per generator row, as `clearNetwork` returns it.
 * @example settleClearing(r, { extraParties: caseSettlementParties(net, r.generatorsMw) })
 */
export function caseSettlementParties(network: Network, generatorsMw: readonly number[]): SettlementParty[] {
  const parties: SettlementParty[] = [];
  network.generators.forEach((g, k) => {
    const mw = generatorsMw[k] ?? 0;
    if (g.status > 0 && mw !== 0)
      parties.push({ id: `gen${g.index}`, kind: 'generator', bus: g.bus, side: 'sell', mw });
  });
  for (const b of network.buses) {
    const mw = b.pdMw + b.gsMw;
    if (b.type !== 4 && mw !== 0)
      parties.push({ id: `load${b.id}`, kind: 'load', bus: b.id, side: 'buy', mw });
  }
  return parties;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

/**
 * Largest-remainder (Hamilton) apportionment: integers W_i, each the floor or the ceiling of e_i, that
 * sum to exactly `target`. Units go to the largest fractional parts first (taken from the smallest when
 * the floors already exceed the target), ties broken by id then input position. Integers are exact in
 * float64 (checked by the caller to stay below 2^53 Wh); the top-d selection sorts the fractional parts
 * only, and the ids only of parties tied at the threshold.
 */
function apportion(exact: Float64Array, idOf: (k: number) => string, target: number): Float64Array {
  const n = exact.length;
  const out = new Float64Array(n);
  const frac = new Float64Array(n);
  let floors = 0;
  for (let k = 0; k < n; k++) {
    const f = Math.floor(exact[k]!);
    out[k] = f;
    frac[k] = exact[k]! - f;
    floors += f;
  }
  let d = target - floors;
  if (d === 0 || n === 0) return out;
  const byKey = (a: number, b: number) => {
    const ia = idOf(a);
    const ib = idOf(b);
    return ia < ib ? -1 : ia > ib ? 1 : a - b;
  };
  if (d > 0 && d <= n) {
    const sorted = frac.slice().sort();
    const t = sorted[n - d]!;
    const ties: number[] = [];
    let given = 0;
    for (let k = 0; k < n; k++) {
      if (frac[k]! > t) {
        out[k]! += 1;
        given++;
      } else if (frac[k] === t) ties.push(k);
    }
    ties.sort(byKey);
    for (let m = 0; m < d - given; m++) out[ties[m]!]! += 1;
    return out;
  }
  // Rare (float residue around the totals): walk the whole order, cyclically.
  const order = Array.from({ length: n }, (_, k) => k);
  if (d > 0) {
    order.sort((a, b) => frac[b]! - frac[a]! || byKey(a, b));
    for (let k = 0; d > 0; k = (k + 1) % n, d--) out[order[k]!]! += 1;
  } else {
    order.sort((a, b) => frac[a]! - frac[b]! || byKey(a, b));
    for (let k = 0, guard = 0; d < 0 && guard < 4 * n + 8; k = (k + 1) % n, guard++) {
      if (out[order[k]!]! > 0) {
        out[order[k]!]! -= 1;
        d++;
      }
    }
  }
  return out;
}

/** Parties settled together, with the integer Wh their buyers and their sellers get in total. */
interface EnergyGroup {
  buyers: number[];
  sellers: number[];
  boughtWh: number;
  soldWh: number;
}

/** Unbalanced clearing (parties missing): one group, each side's total rounded on its own. */
function sideGroups(n: number, isBuy: Uint8Array, eB: number, eS: number): EnergyGroup[] {
  const g: EnergyGroup = {
    buyers: [],
    sellers: [],
    boughtWh: Number(roundHalfAwayFromZero(eB)),
    soldWh: Number(roundHalfAwayFromZero(eS)),
  };
  for (let i = 0; i < n; i++) (isBuy[i] === 1 ? g.buyers : g.sellers).push(i);
  return [g];
}

/**
 * Balanced clearing: parties grouped by their integer price. Each group's net purchase b - s (float Wh)
 * becomes an integer N (its floor or ceiling) with sum N = 0, the ceilings going to the dearest groups
 * (which maximises sum price x N, so the rent is at least its float value at the rounded prices). Then
 * each group's sold total is the floor or ceiling of its float total such that bought = sold + N is the
 * floor or ceiling of its own (preferring the rounded sold total), so every party can get the floor or
 * the ceiling of its exact energy.
 */
function priceGroups(
  n: number,
  isBuy: Uint8Array,
  exact: Float64Array,
  priceOf: (i: number) => bigint,
): EnergyGroup[] {
  const index = new Map<bigint, number>();
  const price: bigint[] = [];
  const groups: (EnergyGroup & { b: number; s: number })[] = [];
  for (let i = 0; i < n; i++) {
    const p = priceOf(i);
    let g = index.get(p);
    if (g === undefined) {
      g = groups.length;
      index.set(p, g);
      price.push(p);
      groups.push({ buyers: [], sellers: [], boughtWh: 0, soldWh: 0, b: 0, s: 0 });
    }
    const gr = groups[g]!;
    if (isBuy[i] === 1) {
      gr.buyers.push(i);
      gr.b += exact[i]!;
    } else {
      gr.sellers.push(i);
      gr.s += exact[i]!;
    }
  }
  const G = groups.length;
  const net = new Float64Array(G);
  let units = 0;
  for (let g = 0; g < G; g++) {
    const f = Math.floor(groups[g]!.b - groups[g]!.s);
    net[g] = f;
    units -= f;
  }
  // Dearest first; ceilings only where the net is fractional, then (float edge) anywhere.
  const byPrice = Array.from({ length: G }, (_, g) => g).sort((x, y) =>
    price[x]! > price[y]! ? -1 : price[x]! < price[y]! ? 1 : 0,
  );
  const fractional = (g: number) => groups[g]!.b - groups[g]!.s > net[g]!;
  for (const pass of [true, false]) {
    for (const g of byPrice) {
      if (units <= 0) break;
      if (fractional(g) === pass && net[g] === Math.floor(groups[g]!.b - groups[g]!.s)) {
        net[g]! += 1;
        units--;
      }
    }
  }
  for (let k = G - 1; units < 0 && G > 0; k = (k - 1 + G) % G) {
    net[byPrice[k]!]! -= 1; // float edge: take back from the cheapest
    units++;
  }
  for (let g = 0; g < G; g++) {
    const gr = groups[g]!;
    const N = net[g]!;
    const lo = Math.floor(gr.b);
    const hi = Math.ceil(gr.b);
    const rounded = Number(roundHalfAwayFromZero(gr.s));
    const other = rounded === Math.floor(gr.s) ? Math.ceil(gr.s) : Math.floor(gr.s);
    const fits = (sold: number) => sold + N >= lo && sold + N <= hi && sold >= 0;
    const sold = fits(rounded) ? rounded : fits(other) ? other : rounded;
    gr.soldWh = sold;
    gr.boughtWh = sold + N;
  }
  return groups;
}

/**
 * Settles a clearing in integers for an interval of `intervalMinutes`.
 *
 * Rule (docs/market-rules.md):
 * 1. Price: each bus's LMP is rounded half away from zero to integer micro-dollars per MWh.
 * 2. Energy: each party's exact energy e = MW × minutes / 60 × 10^6 Wh. Integer totals per price group
 *    (parties at the same integer price) and side: the groups' net purchases are rounded to floors or
 *    ceilings summing to 0, ceilings to the dearest groups; then each total is apportioned to its parties
 *    by largest remainder. Every party gets the floor or the ceiling of its exact Wh; bought Wh = sold Wh.
 * 3. Money: a buyer pays ceil(Wh × price / 10^6) µ$, a seller receives floor(Wh × price / 10^6) µ$.
 * 4. Congestion rent = buyers' payments - sellers' receipts: the identity holds by construction; the rent
 *    is at least the float rent at the rounded prices, so >= 0 by construction wherever each island has
 *    one price, and otherwise unless the congestion is worth less than the price rounding.
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
  const priceByBus = new Map<number, bigint>();
  const setPrice = (bus: number, lmp: number) => {
    if (Number.isFinite(lmp)) priceByBus.set(bus, dollarsPerMWhToMicros(lmp));
  };
  for (const b of result.buses) setPrice(b.id, b.lmp);
  for (const o of result.orders) if (!priceByBus.has(o.bus)) setPrice(o.bus, o.price);

  // Parties in columns: orders first (input order), then the extra parties. A negative quantity is the
  // other side (a negative load generates).
  const extra = options.extraParties ?? [];
  const nOrders = result.orders.length;
  const n = nOrders + extra.length;
  const party = (i: number) => (i < nOrders ? result.orders[i]! : extra[i - nOrders]!);
  const isBuy = new Uint8Array(n);
  const exact = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = party(i);
    const mw = i < nOrders ? (p as OrderResult).cleared : (p as SettlementParty).mw;
    if (!Number.isFinite(mw)) {
      const kind = i < nOrders ? 'order' : (p as SettlementParty).kind;
      throw new InputError(`settlement: ${kind} "${p.id}" has a non-finite MW ${mw}`);
    }
    const buy = (p.side === 'buy') !== mw < 0;
    isBuy[i] = buy ? 1 : 0;
    exact[i] = mwToWh(Math.abs(mw), minutes);
    if (!priceByBus.has(p.bus)) {
      const kind = i < nOrders ? 'order' : (p as SettlementParty).kind;
      throw new InputError(`settlement: no finite price at bus ${p.bus} for ${kind} "${p.id}"`);
    }
  }

  // Energy: integer totals per price group and side, then largest remainder inside each.
  let eB = 0;
  let eS = 0;
  for (let i = 0; i < n; i++) {
    if (isBuy[i] === 1) eB += exact[i]!;
    else eS += exact[i]!;
  }
  if (!(Math.max(eB, eS) < 2 ** 52)) {
    throw new InputError(`settlement: energy of ${Math.max(eB, eS)} Wh is beyond the exact integer range`);
  }
  // Solver tolerance (about 1e-7 MW on a balance row) is far below 1 Wh; a missing party is far above.
  const balanced = Math.abs(eB - eS) <= Math.max(1, 1e-9 * Math.max(eB, eS));
  const priceOf = (i: number) => priceByBus.get(party(i).bus)!;
  const groups = balanced ? priceGroups(n, isBuy, exact, priceOf) : sideGroups(n, isBuy, eB, eS);
  const energy = new Float64Array(n);
  for (const g of groups) {
    for (const [idx, target] of [
      [g.buyers, g.boughtWh],
      [g.sellers, g.soldWh],
    ] as const) {
      const w = apportion(
        Float64Array.from(idx, (i) => exact[i]!),
        (k) => party(idx[k]!).id,
        target,
      );
      for (let k = 0; k < idx.length; k++) energy[idx[k]!] = w[k]!;
    }
  }

  // Money: rounding favours the operator on both sides.
  let buyersPayMicros = 0n;
  let sellersReceiveMicros = 0n;
  let boughtWh = 0n;
  let soldWh = 0n;
  const settled: PartySettlement[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = party(i);
    const wh = BigInt(energy[i]!);
    const price = priceByBus.get(p.bus)!;
    const gross = wh * price;
    const buy = isBuy[i] === 1;
    const amountMicros = buy ? ceilDiv(gross, WH_PER_MWH) : floorDiv(gross, WH_PER_MWH);
    if (buy) {
      buyersPayMicros += amountMicros;
      boughtWh += wh;
    } else {
      sellersReceiveMicros += amountMicros;
      soldWh += wh;
    }
    settled[i] = {
      id: p.id,
      kind: i < nOrders ? 'order' : (p as SettlementParty).kind,
      bus: p.bus,
      side: buy ? 'buy' : 'sell',
      energyWh: wh,
      priceMicrosPerMWh: price,
      amountMicros,
    };
  }
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
