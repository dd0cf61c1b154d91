// Real-time (ex-post) nodal prices of an interval from its metered state, for the second settlement.
// The method (docs/market-rules.md §10a), DC model: a DC-OPF in which every bus's metered net injection
// is an order that must clear unless the network cannot carry it (an injection is a sell at the price
// floor, a withdrawal a buy at the price cap), and the upstream connection balances the rest at its
// tariffs (offer at the import price, bid at the export price, unbounded). Where the metered state is
// feasible, every fixed order clears and the prices are the upstream's marginal tariff, shifted by the
// congestion of lines the metered flows hold at their limits; where it is not (metered flows above a
// limit), the LP curtails the fixed orders behind the overloaded line, and those buses are priced at the
// floor (injections the line could not carry) or the cap (withdrawals it could not serve). The prices are
// the nodal balance duals (the engine's midpoint where they are not unique), clamped into [floor, cap].
// Why this and not the forward book: ex-post prices must reflect what was delivered, and the only
// real-time resource on the chain is the upstream connection; the metered parties are price takers.
// The pricer is a function behind a small signature so an AC model can stand in for the DC one.
import { dollarsPerMWhToMicros, microsPerMWhToDollars } from '@gridledger/base';
import type { Network } from '@gridledger/grid';
import { clearNetwork, type Order } from '@gridledger/market';
import { maxBig, minBig } from './words.ts';

/** What a real-time pricer needs: the network, the metered state and the price bounds. */
export interface RealtimePricingInput {
  /** The network with the limits in force at delivery. */
  network: Network;
  /** Metered net injection per bus, MW over the interval (export − import of the parties there). */
  injectionMw: ReadonlyMap<number, number>;
  upstream: { bus: number; importPriceMicrosPerMWh: bigint; exportPriceMicrosPerMWh: bigint };
  priceCapMicrosPerMWh: bigint;
  priceFloorMicrosPerMWh: bigint;
}

/** Real-time price per bus, µ$/MWh within [floor, cap]; `ok: false` with a reason when it cannot price. */
export type RealtimePrices =
  | { ok: true; pricesMicrosPerMWh: Map<number, bigint> }
  | { ok: false; reason: string };

/** A real-time pricing model (DC today; an AC one plugs in with the same signature). */
export type RealtimePricer = (input: RealtimePricingInput) => Promise<RealtimePrices>;

const FIXED_ID = (bus: number) => `rt-bus-${bus}`;

/**
 * DC real-time prices: the fixed-injection DC-OPF described above.
 * @example const rt = await dcRealtimePrices({ network, injectionMw, upstream, priceCapMicrosPerMWh, priceFloorMicrosPerMWh })
 */
export const dcRealtimePrices: RealtimePricer = async (input) => {
  const cap = microsPerMWhToDollars(input.priceCapMicrosPerMWh);
  const floor = microsPerMWhToDollars(input.priceFloorMicrosPerMWh);
  const orders: Order[] = [];
  let total = 0;
  for (const b of input.network.buses) {
    const x = input.injectionMw.get(b.id) ?? 0;
    if (x === 0) continue;
    total += Math.abs(x);
    orders.push({
      id: FIXED_ID(b.id),
      bus: b.id,
      side: x > 0 ? 'sell' : 'buy',
      steps: [{ price: x > 0 ? floor : cap, quantity: Math.abs(x) }],
    });
  }
  // The upstream can take or give anything the buses inject or withdraw (plus 1 MW so it is never exhausted).
  const upMw = total + 1;
  orders.push(
    {
      id: 'rt-upstream-offer',
      bus: input.upstream.bus,
      side: 'sell',
      steps: [{ price: microsPerMWhToDollars(input.upstream.importPriceMicrosPerMWh), quantity: upMw }],
    },
    {
      id: 'rt-upstream-bid',
      bus: input.upstream.bus,
      side: 'buy',
      steps: [{ price: microsPerMWhToDollars(input.upstream.exportPriceMicrosPerMWh), quantity: upMw }],
    },
  );
  const result = await clearNetwork(input.network, orders);
  if (result.status !== 'optimal') return { ok: false, reason: `real-time DC-OPF ended ${result.status}` };
  const prices = new Map<number, bigint>();
  for (const b of result.buses) {
    const p = dollarsPerMWhToMicros(Number.isFinite(b.lmp) ? b.lmp : 0);
    prices.set(b.id, maxBig(input.priceFloorMicrosPerMWh, minBig(input.priceCapMicrosPerMWh, p)));
  }
  return { ok: true, pricesMicrosPerMWh: prices };
};
