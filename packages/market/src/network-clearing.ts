// Network clearing (`clearNetwork`): participants' orders for one interval cleared together with the
// case's own generators (offers at their cost curves) and loads (fixed demand) by maximising social
// welfare subject to the DC network (same formulation as the OPF), with prices, flows, congestion
// prices, congestion rent and the optimality certificate.
//
// Definitions (also in docs/market-rules.md):
// - welfare ($/h) = sum over cleared buy steps of price*MW - sum over cleared sell steps of price*MW
//   - generation cost of the case's generators (constant cost terms included) = -(optimal objective).
// - congestionRent ($/h) = what buyers pay minus what sellers receive at their buses' LMPs, where
//   buyers are buy orders and the case's fixed loads (Pd + Gs) and sellers are sell orders and the
//   case's generators: sum_i LMP_i * (load_i + bought_i - generated_i - sold_i). Without phase shifters
//   it equals sum over branches of (muFrom + muTo) * rateA >= 0.
import { InputError } from '@gridledger/base';
import type { Network } from '@gridledger/grid';
import { buildCertificate, type Certificate } from './certificate.ts';
import { busPrices } from './lmp.ts';
import { branchResults, type DispatchOptions, solveDispatch } from './opf.ts';
import type { BusPrice, ClearingResult, Order, OrderResult } from './types.ts';

/** Result of {@link clearNetwork}: the clearing plus its optimality certificate. */
export interface NetworkClearingResult extends ClearingResult {
  certificate: Certificate;
  /** MW produced per network generator row (0 for status 0 rows). */
  generatorsMw: number[];
}

function checkSteps(orders: readonly Order[]): void {
  for (const o of orders) {
    if (o.side !== 'buy' && o.side !== 'sell') {
      throw new InputError(`order "${o.id}": expected side "buy" or "sell", got "${String(o.side)}"`);
    }
    o.steps.forEach((s, k) => {
      if (!Number.isFinite(s.price)) {
        throw new InputError(`order "${o.id}" step ${k + 1}: expected a finite price, got ${s.price}`);
      }
      if (!Number.isFinite(s.quantity) || s.quantity < 0) {
        throw new InputError(`order "${o.id}" step ${k + 1}: expected a quantity >= 0 MW, got ${s.quantity}`);
      }
    });
  }
}

/**
 * Clears orders on a network by welfare maximisation under DC power flow and line limits.
 * Generators of the case take part as offers at their cost curves, its loads as fixed demand; a network
 * with neither is a pure order book. Infeasible or unbounded problems give `status` and `reason`.
 * @throws InputError for an order at an unknown bus or with a non-finite price or negative quantity.
 * @example
 * const r = await clearNetwork(net, [{ id: 'a', bus: 1, side: 'buy', steps: [{ price: 50, quantity: 2 }] }]);
 * r.orders[0].cleared; // MW
 */
export async function clearNetwork(
  network: Network,
  orders: readonly Order[],
  options: DispatchOptions = {},
): Promise<NetworkClearingResult> {
  checkSteps(orders);
  const { model, steps, dispatch: d } = await solveDispatch(network, orders, options);
  const buses: BusPrice[] = busPrices(model, d).map(({ id, lmp, lmpEnergy, lmpCongestion }) => ({
    id,
    lmp,
    lmpEnergy,
    lmpCongestion,
  }));
  const branches = branchResults(model, d);
  const optimal = d.status === 'optimal';
  const orderResults: OrderResult[] = orders.map((o, k) => {
    const s0 = steps.orderStart[k]!;
    const clearedSteps = o.steps.map((_, j) => (optimal ? d.stepMw[s0 + j]! : 0));
    return {
      id: o.id,
      bus: o.bus,
      side: o.side,
      cleared: clearedSteps.reduce((a, b) => a + b, 0),
      clearedSteps,
      price: optimal ? d.lmp[model.busIndex.get(o.bus)!]! : Number.NaN,
    };
  });
  const generatorsMw = network.generators.map(() => 0);
  model.genRows.forEach((r, k) => {
    generatorsMw[r] = d.pgMw[k]!;
  });
  let rent = 0;
  if (optimal) {
    const n = model.busRows.length;
    const netWithdrawal = new Float64Array(n);
    for (let i = 0; i < n; i++) netWithdrawal[i] = model.loadMw[i]!;
    for (let k = 0; k < model.genRows.length; k++) netWithdrawal[model.genBus[k]!]! -= d.pgMw[k]!;
    for (let s = 0; s < d.stepMw.length; s++) netWithdrawal[steps.bus[s]!]! -= steps.sign[s]! * d.stepMw[s]!;
    for (let i = 0; i < n; i++) rent += d.lmp[i]! * netWithdrawal[i]!;
  }
  return {
    status: d.status,
    ...(d.reason ? { reason: d.reason } : {}),
    welfare: optimal ? -d.objective : Number.NaN,
    buses,
    orders: orderResults,
    branches,
    congestionRent: optimal ? rent : Number.NaN,
    certificate: buildCertificate(d.program, d.solution),
    generatorsMw,
  };
}
