// Locational prices of the AC-OPF from the multipliers of the final QP (docs/ac-opf.md, "Prices"):
// g = sum_h y_h grad_x h over the constraint rows, J' w = g by one transposed solve, LMP_i = w[P_i] / S_b
// and lamQ_i = w[Q_i] / S_b; the reference bus takes -y_slackP / S_b and -y_slackQ / S_b. Splitting g by
// row type splits each LMP into energy (the reference LMP), loss (the rest of the slack-P row's part),
// voltage (voltage rows and the slack-Q row) and congestion (flow rows); the parts sum to the LMP.
import { type AcJacobianFactor, type AcModel, solveJacobianTransposed } from '@gridledger/grid';

/** Row gradients grouped by what they price (full-length state vectors, reference entries ignored). */
export interface PriceRows {
  /** y_slackP * grad P_r. */
  slackP: Float64Array;
  /** y_slackQ * grad Q_r plus the voltage rows' y e_{V_i}. */
  voltage: Float64Array;
  /** Flow rows' y grad|S|. */
  flow: Float64Array;
  ySlackP: number;
  ySlackQ: number;
}

/** Prices per internal bus, $/MWh ($/MVArh for lmpQ). */
export interface AcBusPrices {
  lmp: Float64Array;
  energy: Float64Array;
  loss: Float64Array;
  voltage: Float64Array;
  congestion: Float64Array;
  lmpQ: Float64Array;
  /** Full-space multipliers of the P and Q balances ($/h per p.u.: LMP x S_b), for the next Hessian. */
  yP: Float64Array;
  yQ: Float64Array;
}

/**
 * LMPs and their components from the grouped row gradients (three transposed solves with one factor).
 * @example
 * const p = busPrices(model, factor, rows); p.lmp[i]; // $/MWh
 */
export function acBusPrices(model: AcModel, factor: AcJacobianFactor, rows: PriceRows): AcBusPrices {
  const n = model.nBus;
  const base = model.baseMVA;
  const r = model.ref;
  const wS = solveJacobianTransposed(factor, rows.slackP);
  const wV = solveJacobianTransposed(factor, rows.voltage);
  const wF = solveJacobianTransposed(factor, rows.flow);
  const out: AcBusPrices = {
    lmp: new Float64Array(n),
    energy: new Float64Array(n),
    loss: new Float64Array(n),
    voltage: new Float64Array(n),
    congestion: new Float64Array(n),
    lmpQ: new Float64Array(n),
    yP: new Float64Array(n),
    yQ: new Float64Array(n),
  };
  const lambda = -rows.ySlackP / base;
  for (let i = 0; i < n; i++) {
    if (i === r) {
      out.lmp[i] = lambda;
      out.energy[i] = lambda;
      out.lmpQ[i] = -rows.ySlackQ / base;
      out.yP[i] = -rows.ySlackP;
      out.yQ[i] = -rows.ySlackQ;
      continue;
    }
    const s = wS[2 * i]! / base;
    const v = wV[2 * i]! / base;
    const c = wF[2 * i]! / base;
    out.energy[i] = lambda;
    out.loss[i] = s - lambda;
    out.voltage[i] = v;
    out.congestion[i] = c;
    out.lmp[i] = lambda + out.loss[i]! + v + c;
    const wp = wS[2 * i]! + wV[2 * i]! + wF[2 * i]!;
    const wq = wS[2 * i + 1]! + wV[2 * i + 1]! + wF[2 * i + 1]!;
    out.lmpQ[i] = wq / base;
    out.yP[i] = wp;
    out.yQ[i] = wq;
  }
  return out;
}
