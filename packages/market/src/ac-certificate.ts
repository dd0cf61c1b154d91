// The certificate of an AC clearing (format "gridledger-ac-v1"): the AC-OPF's solution in integers (bus
// voltages in pico-p.u. and pico-radians; prices and their components in µ$/MWh; generator, branch and
// cleared-step powers in W and var; losses in W; flow-limit prices in µ$/MVAh) with the final QP's KKT
// residuals, and its check (verifyAcCertificate), which needs no solver: at the stored voltages it
// recomputes every bus's P and Q injection (one pass over Ybus) and compares it with the stored dispatch
// (power-flow residual), checks voltage, generator, step and apparent-power limits, that the components
// sum to each LMP, and the complementarity of every order step and polynomial-cost generator with its
// bus's price. A certificate is a pure function of the solve's result, so its bytes are the same wherever
// the solve is. docs/ac-opf.md "On chain" is the reference.
import {
  dollarsPerMWhToMicros,
  dollarsToMicros,
  microsPerMWhToDollars,
  mwToW,
  roundHalfAwayFromZero,
  wToMw,
} from '@gridledger/base';
import {
  branchFlows,
  buildAcModel,
  busInjections,
  checkAcNetwork,
  type Network,
  voltageParts,
} from '@gridledger/grid';
import type { AcOpfResult } from './ac-opf-types.ts';
import type { Order } from './types.ts';

/** One bus of an AC certificate. */
export interface AcCertificateBus {
  id: number;
  vmPicoPu: bigint;
  vaPicoRad: bigint;
  /** µ$/MWh; lmp = energy + loss + congestion + voltage up to the rounding of each (<= 3 µ$/MWh). */
  lmp: bigint;
  lmpEnergy: bigint;
  lmpLoss: bigint;
  lmpCongestion: bigint;
  lmpVoltage: bigint;
  /** µ$/MVArh */
  lmpQ: bigint;
}

/** One in-service branch: flows at both ends (W, var) and flow-limit prices (µ$/MVAh). */
export interface AcCertificateBranch {
  index: number;
  pFromW: bigint;
  qFromVar: bigint;
  pToW: bigint;
  qToVar: bigint;
  muFrom: bigint;
  muTo: bigint;
}

/** The integer certificate of an AC clearing. */
export interface AcCertificate {
  format: 'gridledger-ac-v1';
  /** In-service buses in network order. */
  buses: AcCertificateBus[];
  /** In-service generators in network order: index, W, var. */
  generators: { index: number; pW: bigint; qVar: bigint }[];
  /** Cleared power per order step (orders in input order, steps flattened), W. */
  stepsW: bigint[];
  /** In-service branches in network order. */
  branches: AcCertificateBranch[];
  lossesW: bigint;
  /** Generation cost plus offers' cost minus bids' value, µ$/h. */
  objectiveMicrosPerH: bigint;
  iterations: number;
  /** Final QP: stationarity in µ$/h per p.u., largest violation in pico-p.u. */
  qpStationarityMicros: bigint;
  qpPrimalPicoPu: bigint;
}

const PICO = 1e12;
const pico = (x: number) => roundHalfAwayFromZero(x * PICO);
const unpico = (x: bigint) => Number(x) / PICO;

/**
 * The certificate of an optimal AC-OPF result (solveAcOpf or clearNetworkAc's `opf`) on `network`.
 * @throws Error when the result is not optimal (there is nothing to certify).
 */
export function buildAcCertificate(network: Network, r: AcOpfResult): AcCertificate {
  if (r.status !== 'optimal') throw new Error(`AC certificate: the result is ${r.status}, not optimal`);
  const inBus = new Set(network.buses.filter((b) => b.type !== 4).map((b) => b.id));
  const buses: AcCertificateBus[] = [];
  for (const b of r.buses) {
    if (!inBus.has(b.id)) continue;
    buses.push({
      id: b.id,
      vmPicoPu: pico(b.vm),
      vaPicoRad: pico((b.vaDeg * Math.PI) / 180),
      lmp: dollarsPerMWhToMicros(b.lmp),
      lmpEnergy: dollarsPerMWhToMicros(b.lmpEnergy),
      lmpLoss: dollarsPerMWhToMicros(b.lmpLoss),
      lmpCongestion: dollarsPerMWhToMicros(b.lmpCongestion),
      lmpVoltage: dollarsPerMWhToMicros(b.lmpVoltage),
      lmpQ: dollarsPerMWhToMicros(b.lmpQ),
    });
  }
  const generators = r.generators
    .filter((_, k) => network.generators[k]!.status > 0 && inBus.has(network.generators[k]!.bus))
    .map((g) => ({ index: g.index, pW: mwToW(g.pgMw), qVar: mwToW(g.qgMvar) }));
  const branches = r.branches
    .filter((_, k) => {
      const b = network.branches[k]!;
      return b.status > 0 && inBus.has(b.from) && inBus.has(b.to);
    })
    .map((b) => ({
      index: b.index,
      pFromW: mwToW(b.pFromMw),
      qFromVar: mwToW(b.qFromMvar),
      pToW: mwToW(b.pToMw),
      qToVar: mwToW(b.qToMvar),
      muFrom: dollarsPerMWhToMicros(b.muFrom),
      muTo: dollarsPerMWhToMicros(b.muTo),
    }));
  return {
    format: 'gridledger-ac-v1',
    buses,
    generators,
    stepsW: r.stepMw.map(mwToW),
    branches,
    lossesW: mwToW(r.lossesMw),
    objectiveMicrosPerH: dollarsToMicros(r.objective),
    iterations: r.iterations,
    qpStationarityMicros: dollarsToMicros(r.residuals?.qpStationarity ?? 1e12),
    qpPrimalPicoPu: pico(r.residuals?.qpPrimal ?? 1),
  };
}

/** Tolerances of {@link verifyAcCertificate}. */
export interface AcCertificateTolerances {
  /** Power-flow residual and limit slack, p.u. (default max(1e-6, 4 W / baseMVA)). */
  pu?: number;
  /** Price complementarity, $/MWh (default 1e-3). */
  price?: number;
  /** Final QP stationarity, $/h per p.u. (default 1e-3). */
  stationarity?: number;
}

/** Outcome of {@link verifyAcCertificate}: the failures found, and the largest power-flow residual. */
export interface AcCertificateCheck {
  ok: boolean;
  failures: string[];
  powerFlowResidualPu: number;
}

/**
 * Checks an AC certificate against the network and the orders it claims to clear (no solver: one pass
 * over Ybus and the limits). Returns every failure found (at most 20 listed).
 * @example verifyAcCertificate(net, orders, buildAcCertificate(net, r.opf)).ok
 */
export function verifyAcCertificate(
  network: Network,
  orders: readonly Order[],
  cert: AcCertificate,
  tol: AcCertificateTolerances = {},
): AcCertificateCheck {
  const failures: string[] = [];
  const fail = (s: string) => {
    if (failures.length < 20) failures.push(s);
  };
  const tPrice = tol.price ?? 1e-3;
  const done = (res = Number.NaN): AcCertificateCheck => ({
    ok: failures.length === 0,
    failures,
    powerFlowResidualPu: res,
  });
  const stop = (s: string, res = Number.NaN) => {
    fail(s);
    return done(res);
  };
  if (cert.format !== 'gridledger-ac-v1') fail(`unknown format ${String(cert.format)}`);
  const problem = checkAcNetwork(network);
  if (problem) fail(`network: ${problem}`);
  if (failures.length > 0) return done();
  const model = buildAcModel(network, true);
  const base = model.baseMVA;
  const n = model.nBus;
  // Powers are stored in whole W: a few W of rounding, in p.u.
  const tPu = tol.pu ?? Math.max(1e-6, 4e-6 / base);
  if (cert.buses.length !== n) return stop(`expected ${n} buses, got ${cert.buses.length}`);
  if (cert.generators.length !== model.genRows.length)
    return stop(`expected ${model.genRows.length} generators, got ${cert.generators.length}`);
  if (cert.branches.length !== model.branchRows.length)
    return stop(`expected ${model.branchRows.length} branches, got ${cert.branches.length}`);
  let nSteps = 0;
  for (const o of orders) nSteps += o.steps.length;
  if (cert.stepsW.length !== nSteps) return stop(`expected ${nSteps} steps, got ${cert.stepsW.length}`);
  const vm = new Float64Array(n);
  const va = new Float64Array(n);
  const pSpec = new Float64Array(n);
  const qSpec = new Float64Array(n);
  const lmpAt = new Map<number, bigint>();
  for (let i = 0; i < n; i++) {
    const b = network.buses[model.busRows[i]!]!;
    const c = cert.buses[i]!;
    if (c.id !== b.id) return stop(`bus ${i + 1}: expected id ${b.id}, got ${c.id}`);
    vm[i] = unpico(c.vmPicoPu);
    va[i] = unpico(c.vaPicoRad);
    pSpec[i] = -b.pdMw / base;
    qSpec[i] = -b.qdMvar / base;
    lmpAt.set(b.id, c.lmp);
    if (vm[i]! < b.vminPu - tPu || vm[i]! > b.vmaxPu + tPu)
      fail(`bus ${b.id}: |V| ${vm[i]} outside [${b.vminPu}, ${b.vmaxPu}]`);
    const sum = c.lmpEnergy + c.lmpLoss + c.lmpCongestion + c.lmpVoltage - c.lmp;
    if (sum > 3n || sum < -3n)
      fail(`bus ${b.id}: the components sum to the LMP ${sum > 0n ? '+' : ''}${sum} µ$/MWh`);
  }
  for (let k = 0; k < model.genRows.length; k++) {
    const g = network.generators[model.genRows[k]!]!;
    const c = cert.generators[k]!;
    if (c.index !== g.index) return stop(`generator ${k + 1}: expected index ${g.index}`);
    const pMw = wToMw(c.pW);
    const qMvar = wToMw(c.qVar);
    const i = model.genBus[k]!;
    pSpec[i] = pSpec[i]! + pMw / base;
    qSpec[i] = qSpec[i]! + qMvar / base;
    if (pMw < g.pminMw - tPu * base || pMw > g.pmaxMw + tPu * base)
      fail(`generator ${g.index}: P ${pMw} MW outside [${g.pminMw}, ${g.pmaxMw}]`);
    if (qMvar < g.qminMvar - tPu * base || qMvar > g.qmaxMvar + tPu * base)
      fail(`generator ${g.index}: Q ${qMvar} MVAr outside [${g.qminMvar}, ${g.qmaxMvar}]`);
    // Complementarity of a polynomial cost with its bus's price (P only; PWL costs are not checked).
    const cost = g.cost;
    if (cost?.model === 'polynomial' && cost.coefficients.length <= 3) {
      const co = cost.coefficients;
      const c2 = co.length === 3 ? co[0]! : 0;
      const c1 = co.length >= 2 ? co[co.length - 2]! : 0;
      const mc = c1 + 2 * c2 * pMw;
      const lmp = microsPerMWhToDollars(lmpAt.get(g.bus)!);
      const tQ = tPu * base;
      if (pMw > g.pminMw + tQ && lmp < mc - tPrice)
        fail(
          `generator ${g.index}: produces ${pMw} MW above its minimum at an LMP ${lmp} below its marginal cost ${mc}`,
        );
      if (pMw < g.pmaxMw - tQ && lmp > mc + tPrice)
        fail(
          `generator ${g.index}: produces ${pMw} MW below its maximum at an LMP ${lmp} above its marginal cost ${mc}`,
        );
    }
  }
  let s = 0;
  for (const o of orders) {
    const b = model.busIndex.get(o.bus);
    if (b === undefined) return stop(`order ${o.id}: bus ${o.bus} is not in service`);
    const lmp = microsPerMWhToDollars(lmpAt.get(o.bus)!);
    for (const st of o.steps) {
      const mw = wToMw(cert.stepsW[s++]!);
      const tQ = 2e-6 + 1e-9 * st.quantity;
      if (mw < -tQ || mw > st.quantity + tQ)
        fail(`order ${o.id}: cleared ${mw} MW outside [0, ${st.quantity}]`);
      const sign = o.side === 'sell' ? 1 : -1;
      pSpec[b] = pSpec[b]! + (sign * mw) / base;
      // A sell step clears (partly) only if the price is at least its price, and fully if above; a buy
      // step the other way round.
      const under = sign * (lmp - st.price);
      if (mw > tQ && under < -tPrice) fail(`order ${o.id}: a step at ${st.price} $/MWh clears at ${lmp}`);
      if (mw < st.quantity - tQ && under > tPrice)
        fail(`order ${o.id}: a step at ${st.price} $/MWh is not fully cleared at ${lmp}`);
    }
  }
  // Power flow at the stored voltages.
  const e = new Float64Array(n);
  const f = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  voltageParts(vm, va, e, f);
  busInjections(model, e, f, p, q);
  let res = 0;
  let lossPu = 0;
  for (let i = 0; i < n; i++) {
    res = Math.max(res, Math.abs(p[i]! - pSpec[i]!), Math.abs(q[i]! - qSpec[i]!));
    lossPu += p[i]!;
  }
  if (!(res <= tPu)) fail(`power-flow residual ${res.toExponential(2)} p.u. above ${tPu}`);
  if (Math.abs(wToMw(cert.lossesW) / base - lossPu) > tPu * Math.max(1, n / 100))
    fail(`losses ${wToMw(cert.lossesW)} MW differ from the voltages' ${lossPu * base} MW`);
  // Branch flows at the stored voltages, and their limits.
  const fl = branchFlows(model, vm, e, f);
  for (let l = 0; l < model.branchRows.length; l++) {
    const br = network.branches[model.branchRows[l]!]!;
    const c = cert.branches[l]!;
    if (c.index !== br.index) return stop(`branch ${l + 1}: expected index ${br.index}`, res);
    const got = [c.pFromW, c.qFromVar, c.pToW, c.qToVar].map((w) => wToMw(w) / base);
    const want = [fl.pf[l]!, fl.qf[l]!, fl.pt[l]!, fl.qt[l]!];
    for (let j = 0; j < 4; j++)
      if (Math.abs(got[j]! - want[j]!) > tPu) fail(`branch ${br.index}: flow differs from the voltages'`);
    if (br.rateAMw > 0) {
      const sMax = Math.max(
        Math.sqrt(got[0]! * got[0]! + got[1]! * got[1]!),
        Math.sqrt(got[2]! * got[2]! + got[3]! * got[3]!),
      );
      if (sMax > br.rateAMw / base + tPu)
        fail(`branch ${br.index}: ${sMax * base} MVA above RATE_A ${br.rateAMw}`);
    }
  }
  if (cert.qpStationarityMicros > dollarsToMicros(tol.stationarity ?? 1e-3))
    fail(`final QP stationarity residual ${cert.qpStationarityMicros} µ$/h per p.u. above tolerance`);
  if (unpico(cert.qpPrimalPicoPu) > tPu) fail('final QP infeasible beyond tolerance');
  return done(res);
}

/** The JSON form of an AC certificate (integers as decimal strings). */
export function encodeAcCertificateJson(c: AcCertificate): unknown {
  return JSON.parse(JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
}

/** Reads {@link encodeAcCertificateJson}'s form back. */
export function decodeAcCertificateJson(j: unknown): AcCertificate {
  const o = j as Record<string, unknown>;
  const big = (v: unknown) => BigInt(v as string);
  const objs = (v: unknown) => v as Record<string, unknown>[];
  return {
    format: o.format as 'gridledger-ac-v1',
    buses: objs(o.buses).map((b) => ({
      id: b.id as number,
      vmPicoPu: big(b.vmPicoPu),
      vaPicoRad: big(b.vaPicoRad),
      lmp: big(b.lmp),
      lmpEnergy: big(b.lmpEnergy),
      lmpLoss: big(b.lmpLoss),
      lmpCongestion: big(b.lmpCongestion),
      lmpVoltage: big(b.lmpVoltage),
      lmpQ: big(b.lmpQ),
    })),
    generators: objs(o.generators).map((g) => ({
      index: g.index as number,
      pW: big(g.pW),
      qVar: big(g.qVar),
    })),
    stepsW: (o.stepsW as string[]).map(big),
    branches: objs(o.branches).map((b) => ({
      index: b.index as number,
      pFromW: big(b.pFromW),
      qFromVar: big(b.qFromVar),
      pToW: big(b.pToW),
      qToVar: big(b.qToVar),
      muFrom: big(b.muFrom),
      muTo: big(b.muTo),
    })),
    lossesW: big(o.lossesW),
    objectiveMicrosPerH: big(o.objectiveMicrosPerH),
    iterations: o.iterations as number,
    qpStationarityMicros: big(o.qpStationarityMicros),
    qpPrimalPicoPu: big(o.qpPrimalPicoPu),
  };
}
