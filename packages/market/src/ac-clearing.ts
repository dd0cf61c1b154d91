// AC network clearing (`clearNetworkAc`): participants' orders for one interval cleared with the case's
// generators (offers at their cost curves) and loads (fixed demand, P and Q) by maximising welfare under
// the AC model (ac-opf.ts). Order steps are real-power injections (sell) or withdrawals (buy) at unity
// power factor, priced at their bus's AC LMP; as in the DC engine (network-clearing.ts).
import { InputError } from '@gridledger/base';
import type { Network } from '@gridledger/grid';
import { solveAcOpf } from './ac-opf.ts';
import type { AcBranchResult, AcBusResult, AcOpfOptions, AcOpfResult, AcStatus } from './ac-opf-types.ts';
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
  /**
   * The surplus split by price component, $/h: Σ_i component_i x net withdrawal_i. `energy + loss` is the
   * loss surplus (marginal-loss prices collect about twice the cost of the losses, and pay the energy that
   * covers them), `congestion` the congestion rent, `voltage` the value of binding voltage limits and
   * of reactive power at the reference. The four sum to `surplus` (to rounding).
   */
  surplusSplit: { energy: number; loss: number; congestion: number; voltage: number };
  /** MW produced per network generator row (0 for status 0 rows). */
  generatorsMw: number[];
  lossesMw: number;
  iterations: number;
  /** The AC-OPF's own result (generators' P and Q, cleared MW per step, KKT residuals). */
  opf: AcOpfResult;
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
  const surplusSplit = { energy: Number.NaN, loss: Number.NaN, congestion: Number.NaN, voltage: Number.NaN };
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
    // Net withdrawal per bus (loads, buys minus generation, sells), in bus-id order of first appearance.
    const withdrawal = new Map<number, number>();
    const add = (bus: number, mw: number) => withdrawal.set(bus, (withdrawal.get(bus) ?? 0) + mw);
    for (const b of network.buses) if (b.type !== 4) add(b.id, b.pdMw);
    r.generators.forEach((g) => {
      add(g.bus, -g.pgMw);
    });
    for (const o of orderResults) add(o.bus, (o.side === 'buy' ? 1 : -1) * o.cleared);
    surplusSplit.energy = 0;
    surplusSplit.loss = 0;
    surplusSplit.congestion = 0;
    surplusSplit.voltage = 0;
    const at = new Map(r.buses.map((b) => [b.id, b]));
    for (const [bus, w] of withdrawal) {
      const b = at.get(bus);
      if (b === undefined || !Number.isFinite(b.lmp)) continue;
      surplusSplit.energy += b.lmpEnergy * w;
      surplusSplit.loss += b.lmpLoss * w;
      surplusSplit.congestion += b.lmpCongestion * w;
      surplusSplit.voltage += b.lmpVoltage * w;
    }
  }
  return {
    status: r.status,
    ...(r.reason ? { reason: r.reason } : {}),
    welfare: ok ? -r.objective : Number.NaN,
    buses: r.buses,
    orders: orderResults,
    branches: r.branches,
    surplus,
    surplusSplit,
    generatorsMw,
    lossesMw: r.lossesMw,
    iterations: r.iterations,
    opf: r,
  };
}
