// The AC-OPF's result in network order: per bus the prices and their components, voltage and angle (NaN
// when not priced); per generator P and Q; per branch the flows at both ends, loss, loading of RATE_A and
// the flow-limit multipliers (MATPOWER's mu_Sf/mu_St, $/MVAh); totals (objective $/h with the orders'
// value, losses MW). Out-of-service rows are zero; nothing is published unless the status is optimal.
import { type AcModel, branchFlows } from '@gridledger/grid';
import { type GenCostData, generationCost, type Steps } from './ac-opf-inputs.ts';
import type { Point, State } from './ac-opf-state.ts';
import type { FlowRow } from './ac-opf-subproblem.ts';
import type {
  AcBranchResult,
  AcBusResult,
  AcGeneratorResult,
  AcOpfResult,
  AcStatus,
} from './ac-opf-types.ts';
import type { AcBusPrices } from './ac-prices.ts';

/** Builds the result in network order (out-of-service rows zero, unpriced buses NaN). */
export function assemble(
  model: AcModel,
  costs: GenCostData,
  steps: Steps,
  st: State,
  pt: Point | undefined,
  status: AcStatus,
  reason: string | undefined,
  iterations: number,
  prices: AcBusPrices | undefined,
  rowsY: { flow: FlowRow[]; y: Float64Array; flow0: number } | undefined,
): AcOpfResult {
  const net = model.network;
  const base = model.baseMVA;
  const ok = status === 'optimal' && prices !== undefined && pt !== undefined;
  const buses: AcBusResult[] = net.buses.map((b) => ({
    id: b.id,
    lmp: Number.NaN,
    lmpEnergy: Number.NaN,
    lmpLoss: Number.NaN,
    lmpCongestion: Number.NaN,
    lmpVoltage: Number.NaN,
    lmpQ: Number.NaN,
    vm: Number.NaN,
    vaDeg: Number.NaN,
  }));
  const generators: AcGeneratorResult[] = net.generators.map((g) => ({
    index: g.index,
    bus: g.bus,
    pgMw: 0,
    qgMvar: 0,
  }));
  const branches: AcBranchResult[] = net.branches.map((b) => ({
    index: b.index,
    from: b.from,
    to: b.to,
    pFromMw: 0,
    qFromMvar: 0,
    pToMw: 0,
    qToMvar: 0,
    lossMw: 0,
    loadingPct: b.rateAMw > 0 ? 0 : null,
    muFrom: 0,
    muTo: 0,
  }));
  let objective = Number.NaN;
  let lossesMw = Number.NaN;
  const stepMw: number[] = [];
  if (ok) {
    for (let i = 0; i < model.nBus; i++) {
      const b = buses[model.busRows[i]!]!;
      b.lmp = prices.lmp[i]!;
      b.lmpEnergy = prices.energy[i]!;
      b.lmpLoss = prices.loss[i]!;
      b.lmpCongestion = prices.congestion[i]!;
      b.lmpVoltage = prices.voltage[i]!;
      b.lmpQ = prices.lmpQ[i]!;
      b.vm = pt.vm[i]!;
      b.vaDeg = (pt.va[i]! * 180) / Math.PI;
    }
    for (let k = 0; k < model.genRows.length; k++) {
      const g = generators[model.genRows[k]!]!;
      g.pgMw = st.pg[k]! * base;
      g.qgMvar = st.qg[k]! * base;
    }
    const fl = branchFlows(model, pt.vm, pt.e, pt.f);
    for (let l = 0; l < model.branchRows.length; l++) {
      const br = branches[model.branchRows[l]!]!;
      br.pFromMw = fl.pf[l]! * base;
      br.qFromMvar = fl.qf[l]! * base;
      br.pToMw = fl.pt[l]! * base;
      br.qToMvar = fl.qt[l]! * base;
      br.lossMw = br.pFromMw + br.pToMw;
      const rateMw = net.branches[model.branchRows[l]!]!.rateAMw;
      if (rateMw > 0) {
        const sf = Math.sqrt(br.pFromMw * br.pFromMw + br.qFromMvar * br.qFromMvar);
        const stt = Math.sqrt(br.pToMw * br.pToMw + br.qToMvar * br.qToMvar);
        br.loadingPct = (100 * Math.max(sf, stt)) / rateMw;
      }
    }
    if (rowsY) {
      rowsY.flow.forEach((fr, q) => {
        const mu = Math.max(0, -rowsY.y[rowsY.flow0 + q]!) / base;
        const br = branches[model.branchRows[fr.l]!]!;
        if (fr.end === 0) br.muFrom += mu;
        else br.muTo += mu;
      });
    }
    objective = generationCost(model, costs, st.pg);
    for (let s = 0; s < steps.bus.length; s++) {
      const mw = st.xs[s]! * base;
      stepMw.push(mw);
      objective += steps.sign[s]! * steps.price[s]! * mw;
    }
    let inj = 0;
    for (let i = 0; i < model.nBus; i++) inj += pt.p[i]!;
    lossesMw = inj * base;
  }
  return {
    case: net.name,
    status,
    ...(reason ? { reason } : {}),
    objective,
    lossesMw,
    baseMVA: base,
    iterations,
    buses,
    generators,
    branches,
    stepMw,
    timingMs: { build: 0, solve: 0 },
  };
}
