// The digital twin of the second settlement (settlement.ts step 6, docs/market-rules.md §10a): the power
// flow of every party's metered net injection on the network the interval cleared on (cleared-network.ts),
// stored per branch as `actualFlowW` (from-end real power, W) with a FlowDeviation event where it differs
// from the cleared flow by more than FLOW_DEVIATION_W or breaks the branch's limit.
// The model is the market's (`pricing`):
// - DC: the lossless DC power flow, the upstream connection balancing the total at its bus; the limit is
//   on |P|.
// - AC: the Newton power flow (solveCasePowerFlow of @gridledger/grid) on the network AC pricing clears on
//   (clearing-ac.ts acNetworkAt: the upstream bus is the reference, with the reactive source behind the
//   substation), so the substation absorbs the losses and closes the reactive balance. Injections are
//   real power at unity power factor, as the AC clearing and real-time prices take orders; the reference
//   bus holds the |V| the interval cleared at (acIntervalKeys vm, µp.u.; the network's setpoint when the
//   interval was not AC-priced). The stored flow is the from-end P, compared with the cleared AC from-end P;
//   the limit (RATE_A, MVA) is on the apparent power at either end, as in the AC-OPF, and the event's
//   `limitW` is then in VA. One rounding boundary: the float flows become integer W and VA (mwToW, round
//   half away from zero) and everything after is integer. A pure function of its inputs: a fresh model per
//   call, no solver state carried over.
// When the AC power flow has no solution (metered injections the feeder cannot carry, an island) the twin
// stores no flows, writes `twinComputed` 0 and emits DigitalTwinFailed(interval, reason); settlement goes
// on (as the real-time prices fall back when their model fails).
import { mwToW, whToMw } from '@gridledger/base';
import type { CallContext } from '@gridledger/execution';
import { branchFlows, type Network, solveCasePowerFlow, solveDcPowerFlow } from '@gridledger/grid';
import { MARKET_ADDRESS } from './addresses.ts';
import { clearedNetworkOf } from './cleared-network.ts';
import { acIntervalKeys, acNetworkAt } from './clearing-ac.ts';
import { intervalMinutes, type MarketConfig, pricingOf } from './config.ts';
import { MARKET_EVENTS } from './market.ts';
import { marketKeys } from './market-keys.ts';
import { SETTLEMENT_EVENTS } from './settlement-events.ts';
import type { PartyPosition } from './settlement-positions.ts';
import { decodeSigned, encodeSigned, type StateReader } from './words.ts';

/** A flow deviation is reported when |actual - cleared| exceeds this many W (or the limit is broken). */
export const FLOW_DEVIATION_W = 1_000n;

/**
 * The metered net injection of each party's bus, MW over the interval ((export - import) Wh, estimates
 * for missing readings), with the upstream connection balancing the total at its bus. Every meter counts.
 * @example meteredInjectionsMw(config, partyPositions(state, config, k)).get(18) // -0.6
 */
export function meteredInjectionsMw(
  config: MarketConfig,
  positions: readonly PartyPosition[],
): Map<number, number> {
  const minutes = intervalMinutes(config);
  const wh = new Map<number, bigint>();
  let total = 0n;
  for (const p of positions) {
    const x = p.exportedWh - p.importedWh;
    wh.set(p.bus, (wh.get(p.bus) ?? 0n) + x);
    total += x;
  }
  wh.set(config.upstream.bus, (wh.get(config.upstream.bus) ?? 0n) - total);
  return new Map([...wh].map(([b, x]) => [b, whToMw(x, minutes)]));
}

/** One branch's twin flow: from-end real power (W) and the larger apparent power of its two ends (VA; DC: |P|). */
export interface TwinBranchFlow {
  index: number;
  pFromW: bigint;
  sMaxVA: bigint;
}

/** The twin's flows per branch (network order), or why the power flow has none. */
export type TwinFlows = { ok: true; branches: TwinBranchFlow[] } | { ok: false; reason: string };

/**
 * The AC power flow of `injectionMw` (net injection per bus, MW, unity power factor) on `network` with the
 * upstream bus `upstreamBus` as the reference holding |V| = `vRefPu` and absorbing the losses. Out-of-service
 * branches carry 0. Never throws: a network AC pricing cannot use, no convergence (30 Newton iterations,
 * 1e-9 p.u.) or a singular Jacobian is `ok: false` with the reason.
 * @example acTwinFlows(clearedNetworkOf(state, k)!, 1, 1.0, new Map([[18, -0.6]]))
 */
export function acTwinFlows(
  network: Network,
  upstreamBus: number,
  vRefPu: number,
  injectionMw: ReadonlyMap<number, number>,
): TwinFlows {
  try {
    for (const [bus, x] of injectionMw)
      if (!Number.isFinite(x)) return { ok: false, reason: `non-finite injection at bus ${bus}` };
    const metered: Network = {
      ...network,
      buses: network.buses.map((b) => ({
        ...b,
        pdMw: -(injectionMw.get(b.id) ?? 0),
        qdMvar: 0,
        ...(b.id === upstreamBus ? { vmPu: vRefPu } : {}),
      })),
    };
    const ac = acNetworkAt(metered, upstreamBus);
    if (typeof ac === 'string') return { ok: false, reason: ac };
    const pf = solveCasePowerFlow(ac);
    if (pf.status !== 'converged' || !('model' in pf))
      return { ok: false, reason: `AC power flow ${pf.status}${pf.reason ? `: ${pf.reason}` : ''}` };
    const { model } = pf;
    const fl = branchFlows(model, pf.vm, pf.e, pf.f);
    const byRow = new Map<number, TwinBranchFlow>();
    const base = model.baseMVA;
    for (let l = 0; l < model.branchRows.length; l++) {
      const sf = Math.sqrt(fl.pf[l]! * fl.pf[l]! + fl.qf[l]! * fl.qf[l]!);
      const st = Math.sqrt(fl.pt[l]! * fl.pt[l]! + fl.qt[l]! * fl.qt[l]!);
      byRow.set(model.branchRows[l]!, {
        index: ac.branches[model.branchRows[l]!]!.index,
        pFromW: mwToW(fl.pf[l]! * base),
        sMaxVA: mwToW(Math.max(sf, st) * base),
      });
    }
    return {
      ok: true,
      branches: ac.branches.map((br, row) => byRow.get(row) ?? { index: br.index, pFromW: 0n, sMaxVA: 0n }),
    };
  } catch (e) {
    return { ok: false, reason: `AC power flow error: ${(e as Error).message}` };
  }
}

/**
 * The DC power flow of `injectionMw` on `network` (each island balanced), as TwinFlows with sMaxVA = |P|.
 * @example dcTwinFlows(clearedNetworkOf(state, k)!, meteredInjectionsMw(config, positions))
 */
export function dcTwinFlows(network: Network, injectionMw: ReadonlyMap<number, number>): TwinFlows {
  const net: Network = {
    ...network,
    buses: network.buses.map((b) => ({ ...b, pdMw: -(injectionMw.get(b.id) ?? 0) })),
  };
  const pf = solveDcPowerFlow(net, []);
  return {
    ok: true,
    branches: net.branches.map((br, i) => {
      const p = mwToW(pf.flowMw[i]!);
      return { index: br.index, pFromW: p, sMaxVA: p < 0n ? -p : p };
    }),
  };
}

/** The |V| (p.u.) the reference bus `bus` cleared interval `k` at, or undefined when it was not AC-priced. */
function clearedVmPu(state: StateReader, k: bigint, bus: number): number | undefined {
  const K = acIntervalKeys(k);
  if (state.get(K.priced) !== 1n) return undefined;
  const micro = decodeSigned(state.get(K.vm(bus)));
  return micro > 0n ? Number(micro) / 1e6 : undefined;
}

/**
 * The digital twin of interval `k` (header): stores each branch's actual flow, `twinComputed`, and emits
 * FlowDeviation (or DigitalTwinFailed) events.
 */
export function recordActualFlows(
  ctx: CallContext,
  config: MarketConfig,
  k: bigint,
  positions: readonly PartyPosition[],
): void {
  const net = clearedNetworkOf(ctx.state, k);
  if (net === undefined) return;
  const iv = marketKeys.interval(k);
  const inj = meteredInjectionsMw(config, positions);
  const ac = pricingOf(config) === 'ac';
  let flows: TwinFlows;
  if (ac) {
    const up = config.upstream.bus;
    const vRef = clearedVmPu(ctx.state, k, up) ?? net.buses.find((b) => b.id === up)?.vmPu ?? 1;
    flows = acTwinFlows(net, up, vRef, inj);
  } else flows = dcTwinFlows(net, inj);
  if (!flows.ok) {
    ctx.write(iv.twinComputed, 0n);
    ctx.emit(MARKET_ADDRESS, SETTLEMENT_EVENTS.twinFailed, { interval: k, reason: flows.reason });
    return;
  }
  ctx.write(iv.twinComputed, 1n);
  const byIndex = new Map(net.branches.map((br) => [br.index, br]));
  for (const f of flows.branches) {
    ctx.write(iv.actualFlowW(f.index), encodeSigned(f.pFromW));
    const cleared = decodeSigned(ctx.state.get(iv.flowW(f.index)));
    const limitW = mwToW(byIndex.get(f.index)!.rateAMw);
    const overLimit = limitW > 0n && f.sMaxVA > limitW;
    const diff = f.pFromW - cleared;
    if (overLimit || diff > FLOW_DEVIATION_W || -diff > FLOW_DEVIATION_W) {
      ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.flowDeviation, {
        interval: k,
        branch: BigInt(f.index),
        clearedFlowW: cleared,
        actualFlowW: f.pFromW,
        limitW,
        overLimit,
      });
    }
  }
}
