// AC network clearing (`clearNetworkAc`): participants' orders for one interval cleared with the case's
// generators (offers at their cost curves) and loads (fixed demand, P and Q) by maximising welfare under
// the AC model (ac-opf.ts). Order steps are real-power injections (sell) or withdrawals (buy) at unity
// power factor, priced at their bus's AC LMP; as in the DC engine (network-clearing.ts).
import { InputError } from '@gridledger/base';
import type { Network } from '@gridledger/grid';
import { solveAcOpf } from './ac-opf.ts';
import type { AcBranchResult, AcBusResult, AcOpfOptions, AcStatus } from './ac-opf-types.ts';
import type { Order, OrderResult } from './types.ts';

/** Result of {@link clearNetworkAc}. */
export interface AcClearingResult {
  status: AcStatus;
  reason?: string;
  /** Bids' value minus offers' cost minus generation cost, $/h. */
  welfare: number;
  buses: AcBusResult[];
  orders: OrderResult[];
  branches: AcBranchResult[];
  /** What buyers (and fixed loads) pay minus what sellers (and generators) receive at their LMPs, $/h. */
  surplus: number;
  /** MW produced per network generator row (0 for status 0 rows). */
  generatorsMw: number[];
  lossesMw: number;
  iterations: number;
}

/**
 * Clears orders on a network by welfare maximisation under AC power flow, voltage and flow limits.
 * @throws InputError for a non-finite price or a negative quantity (bad orders are misuse).
 * @example
 * const r = await clearNetworkAc(net, [{ id: 'a', bus: 18, side: 'buy', steps: [{ price: 50, quantity: 0.1 }] }]);
 * r.orders[0].cleared; // MW
 */
export async function clearNetworkAc(
  network: Network,
  orders: readonly Order[],
  options: AcOpfOptions = {},
): Promise<AcClearingResult> {
  for (const o of orders) {
    if (o.side !== 'buy' && o.side !== 'sell') {
      throw new InputError(`order "${o.id}": expected side "buy" or "sell", got "${String(o.side)}"`);
    }
    o.steps.forEach((s, k) => {
      if (!Number.isFinite(s.price))
        throw new InputError(`order "${o.id}" step ${k + 1}: expected a finite price, got ${s.price}`);
      if (!Number.isFinite(s.quantity) || s.quantity < 0) {
        throw new InputError(`order "${o.id}" step ${k + 1}: expected a quantity >= 0 MW, got ${s.quantity}`);
      }
    });
  }
  const r = await solveAcOpf(network, options, orders);
  const ok = r.status === 'optimal';
  const lmpAt = new Map(r.buses.map((b) => [b.id, b.lmp]));
  let s0 = 0;
  const orderResults: OrderResult[] = orders.map((o) => {
    const clearedSteps = o.steps.map((_, j) => (ok ? r.stepMw[s0 + j]! : 0));
    s0 += o.steps.length;
    return {
      id: o.id,
      bus: o.bus,
      side: o.side,
      cleared: clearedSteps.reduce((a, b) => a + b, 0),
      clearedSteps,
      price: ok ? (lmpAt.get(o.bus) ?? Number.NaN) : Number.NaN,
    };
  });
  const generatorsMw = r.generators.map((g) => g.pgMw);
  let surplus = Number.NaN;
  if (ok) {
    surplus = 0;
    for (const b of network.buses) {
      const lmp = lmpAt.get(b.id)!;
      if (Number.isFinite(lmp)) surplus += lmp * b.pdMw;
    }
    r.generators.forEach((g) => {
      surplus -= (lmpAt.get(g.bus) ?? 0) * g.pgMw;
    });
    for (const o of orderResults) surplus += (o.side === 'buy' ? 1 : -1) * o.price * o.cleared;
  }
  return {
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    welfare: ok ? -r.objective : Number.NaN,
    buses: r.buses,
    orders: orderResults,
    branches: r.branches,
    surplus,
    generatorsMw,
    lossesMw: r.lossesMw,
    iterations: r.iterations,
  };
}
