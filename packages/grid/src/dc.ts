// The DC network model as MATPOWER builds it (makeBdc): in-service elements, branch susceptances
// b = 1/(x*tap), phase-shifter injections, bus shunt conductance as load, islands with their reference
// buses, the factorised reduced susceptance matrix, DC power flow and PTDF rows. Per unit inside,
// MW and degrees at the edges.
import { InputError } from '@gridledger/base';
import type { Network } from './network.ts';
import { BusType } from './network.ts';
import { buildSymmetricCsr, factorLdl, type LdlFactor, type SymmetricCsr, solveLdl } from './sparse.ts';

/** The network prepared for DC calculations (internal 0-based indices). */
export interface DcModel {
  network: Network;
  baseMVA: number;
  /** Active buses (type != 4), internal index -> position in network.buses. */
  busRows: number[];
  /** Bus id -> internal index (active buses only). */
  busIndex: Map<number, number>;
  /** In-service branches between active buses: internal index -> position in network.branches. */
  branchRows: number[];
  brFrom: Int32Array;
  brTo: Int32Array;
  /** Series susceptance 1/(x*tap), p.u. */
  brB: Float64Array;
  /** Phase shift, radians. */
  brShiftRad: Float64Array;
  /** Flow limit (rateA), MW; 0 means unlimited. */
  rateMw: Float64Array;
  /** From-end flow injection of the phase shifter, p.u. (-b * shift). */
  pfInjPu: Float64Array;
  /** Bus injection of phase shifters, p.u. (Cf - Ct)' pfInj. */
  pBusInjPu: Float64Array;
  /** In-service generators on active buses: internal index -> position in network.generators. */
  genRows: number[];
  /** Internal bus index of each in-service generator. */
  genBus: Int32Array;
  /** Fixed demand per bus, MW (Pd + Gs). */
  loadMw: Float64Array;
  /** Island of each bus. */
  busIsland: Int32Array;
  /** Reference bus (internal index) of each island. */
  islandRef: number[];
  /** Reference angle of each island, radians (the case's Va at the reference bus). */
  islandRefAngleRad: number[];
  /** Bus susceptance matrix (all active buses), p.u. */
  bBus: SymmetricCsr;
  /** Internal bus -> index in the reduced system (-1 for reference buses). */
  reducedIndex: Int32Array;
  /** LDL^T factor of the reduced susceptance matrix. */
  factor: LdlFactor;
}

/**
 * Builds the DC model of a network: drops out-of-service and isolated elements, finds islands and
 * their reference buses (the case's type-3 bus, else the first bus with a generator, else the first
 * bus), and factorises the reduced susceptance matrix.
 * @throws InputError when the susceptance matrix is singular.
 */
export function buildDcModel(network: Network): DcModel {
  const busRows: number[] = [];
  const busIndex = new Map<number, number>();
  network.buses.forEach((b, r) => {
    if (b.type !== BusType.NONE) {
      busIndex.set(b.id, busRows.length);
      busRows.push(r);
    }
  });
  const n = busRows.length;
  const branchRows: number[] = [];
  network.branches.forEach((br, r) => {
    if (br.status > 0 && busIndex.has(br.from) && busIndex.has(br.to)) branchRows.push(r);
  });
  const m = branchRows.length;
  const brFrom = new Int32Array(m);
  const brTo = new Int32Array(m);
  const brB = new Float64Array(m);
  const brShiftRad = new Float64Array(m);
  const pfInjPu = new Float64Array(m);
  const pBusInjPu = new Float64Array(n);
  const rateMw = new Float64Array(m);
  const tr = new Int32Array(4 * m + n);
  const tc = new Int32Array(4 * m + n);
  const tv = new Float64Array(4 * m + n);
  for (let k = 0; k < m; k++) {
    const br = network.branches[branchRows[k]!]!;
    const f = busIndex.get(br.from)!;
    const t = busIndex.get(br.to)!;
    const tap = br.tap === 0 ? 1 : br.tap;
    const b = 1 / (br.xPu * tap);
    brFrom[k] = f;
    brTo[k] = t;
    brB[k] = b;
    brShiftRad[k] = (br.shiftDeg * Math.PI) / 180;
    pfInjPu[k] = -b * brShiftRad[k]!;
    pBusInjPu[f]! += pfInjPu[k]!;
    pBusInjPu[t]! -= pfInjPu[k]!;
    rateMw[k] = br.rateAMw;
    const o = 4 * k;
    tr[o] = f;
    tc[o] = f;
    tv[o] = b;
    tr[o + 1] = t;
    tc[o + 1] = t;
    tv[o + 1] = b;
    tr[o + 2] = f;
    tc[o + 2] = t;
    tv[o + 2] = -b;
    tr[o + 3] = t;
    tc[o + 3] = f;
    tv[o + 3] = -b;
  }
  for (let i = 0; i < n; i++) {
    tr[4 * m + i] = i;
    tc[4 * m + i] = i;
  }
  const bBus = buildSymmetricCsr(n, tr, tc, tv);

  const genRows: number[] = [];
  network.generators.forEach((g, r) => {
    if (g.status > 0 && busIndex.has(g.bus)) genRows.push(r);
  });
  const genBus = Int32Array.from(genRows, (r) => busIndex.get(network.generators[r]!.bus)!);
  const loadMw = Float64Array.from(busRows, (r) => network.buses[r]!.pdMw + network.buses[r]!.gsMw);

  // Islands by breadth-first search over in-service branches.
  const busIsland = new Int32Array(n).fill(-1);
  const islandRef: number[] = [];
  const islandRefAngleRad: number[] = [];
  const hasGen = new Uint8Array(n);
  for (const g of genBus) hasGen[g] = 1;
  for (let s = 0; s < n; s++) {
    if (busIsland[s]! >= 0) continue;
    const id = islandRef.length;
    const members = [s];
    busIsland[s] = id;
    for (let q = 0; q < members.length; q++) {
      const v = members[q]!;
      for (let k = bBus.p[v]!; k < bBus.p[v + 1]!; k++) {
        const u = bBus.i[k]!;
        if (busIsland[u]! < 0) {
          busIsland[u] = id;
          members.push(u);
        }
      }
    }
    members.sort((a, b) => a - b);
    const ref =
      members.find((v) => network.buses[busRows[v]!]!.type === BusType.REF) ??
      members.find((v) => hasGen[v] === 1) ??
      members[0]!;
    islandRef.push(ref);
    islandRefAngleRad.push((network.buses[busRows[ref]!]!.vaDeg * Math.PI) / 180);
  }

  const reducedIndex = new Int32Array(n).fill(-1);
  const isRef = new Uint8Array(n);
  for (const r of islandRef) isRef[r] = 1;
  let nr = 0;
  for (let i = 0; i < n; i++) if (!isRef[i]) reducedIndex[i] = nr++;
  const nnz = bBus.p[n]!;
  const rr = new Int32Array(nnz);
  const rc = new Int32Array(nnz);
  const rv = new Float64Array(nnz);
  let e = 0;
  for (let i = 0; i < n; i++) {
    const ri = reducedIndex[i]!;
    if (ri < 0) continue;
    for (let k = bBus.p[i]!; k < bBus.p[i + 1]!; k++) {
      const rj = reducedIndex[bBus.i[k]!]!;
      if (rj >= 0) {
        rr[e] = ri;
        rc[e] = rj;
        rv[e] = bBus.x[k]!;
        e++;
      }
    }
  }
  let factor: LdlFactor;
  try {
    factor = factorLdl(buildSymmetricCsr(nr, rr.subarray(0, e), rc.subarray(0, e), rv.subarray(0, e)));
  } catch (err) {
    throw new InputError(
      `${network.name}: the DC susceptance matrix is singular (check zero or cancelling reactances)`,
      {
        cause: err,
      },
    );
  }
  return {
    network,
    baseMVA: network.baseMVA,
    busRows,
    busIndex,
    branchRows,
    brFrom,
    brTo,
    brB,
    brShiftRad,
    rateMw,
    pfInjPu,
    pBusInjPu,
    genRows,
    genBus,
    loadMw,
    busIsland,
    islandRef,
    islandRefAngleRad,
    bBus,
    reducedIndex,
    factor,
  };
}

/**
 * Bus angles (radians, internal order) for given net bus injections in MW (generation minus load,
 * internal order): solves B theta = P/baseMVA - Pbusinj with the reference angles fixed. The reference
 * buses absorb any mismatch.
 */
export function solveAngles(model: DcModel, injectionMw: ArrayLike<number>): Float64Array {
  const n = model.busRows.length;
  const theta = new Float64Array(n);
  model.islandRef.forEach((r, k) => {
    theta[r] = model.islandRefAngleRad[k]!;
  });
  const rhs = new Float64Array(model.factor.n);
  for (let i = 0; i < n; i++) {
    const ri = model.reducedIndex[i]!;
    if (ri >= 0) rhs[ri] = injectionMw[i]! / model.baseMVA - model.pBusInjPu[i]!;
  }
  // Move the known reference angles to the right-hand side.
  for (const r of model.islandRef) {
    const tr = theta[r]!;
    if (tr === 0) continue;
    for (let k = model.bBus.p[r]!; k < model.bBus.p[r + 1]!; k++) {
      const ri = model.reducedIndex[model.bBus.i[k]!]!;
      if (ri >= 0) rhs[ri]! -= model.bBus.x[k]! * tr;
    }
  }
  const z = solveLdl(model.factor, rhs);
  for (let i = 0; i < n; i++) {
    const ri = model.reducedIndex[i]!;
    if (ri >= 0) theta[i] = z[ri]!;
  }
  return theta;
}

/** From-end flows in MW of the in-service branches (internal order) for bus angles in radians. */
export function branchFlowsMw(model: DcModel, thetaRad: ArrayLike<number>): Float64Array {
  const m = model.branchRows.length;
  const out = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    out[k] =
      (model.brB[k]! * (thetaRad[model.brFrom[k]!]! - thetaRad[model.brTo[k]!]!) + model.pfInjPu[k]!) *
      model.baseMVA;
  }
  return out;
}

/**
 * Power transfer distribution factors of one in-service branch (internal index): the change of its
 * from-end flow (MW) per MW injected at each bus and withdrawn at its island's reference bus.
 * One sparse solve with the factorised susceptance matrix.
 */
export function ptdfRow(model: DcModel, branch: number): Float64Array {
  const n = model.busRows.length;
  const rhs = new Float64Array(model.factor.n);
  const b = model.brB[branch]!;
  const rf = model.reducedIndex[model.brFrom[branch]!]!;
  const rt = model.reducedIndex[model.brTo[branch]!]!;
  if (rf >= 0) rhs[rf] = b;
  if (rt >= 0) rhs[rt]! -= b;
  const z = solveLdl(model.factor, rhs);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = model.reducedIndex[i]!;
    if (ri >= 0) row[i] = z[ri]!;
  }
  return row;
}

/** Result of {@link solveDcPowerFlow}, in the network's row order. */
export interface DcPowerFlowResult {
  /** Bus angle, degrees, per network bus (NaN for isolated buses). */
  vaDeg: number[];
  /** From-end flow, MW, per network branch (0 when out of service). */
  flowMw: number[];
  /** Injection the reference bus of each island must add to balance, MW (0 when balanced). */
  slackMw: number[];
}

/**
 * DC power flow: bus angles and branch flows for a dispatch.
 * @param pgMw generation per network generator row (defaults to each generator's Pg in the case);
 *   out-of-service generators are ignored.
 * @example
 * const pf = solveDcPowerFlow(net, reference.gen.map((g) => g.Pg));
 */
export function solveDcPowerFlow(
  network: Network,
  pgMw?: ArrayLike<number>,
  model = buildDcModel(network),
): DcPowerFlowResult {
  const n = model.busRows.length;
  const inj = new Float64Array(n);
  for (let i = 0; i < n; i++) inj[i] = -model.loadMw[i]!;
  model.genRows.forEach((r, k) => {
    inj[model.genBus[k]!]! += pgMw ? pgMw[r]! : network.generators[r]!.pgMw;
  });
  const theta = solveAngles(model, inj);
  const flows = branchFlowsMw(model, theta);
  const vaDeg = new Array<number>(network.buses.length).fill(Number.NaN);
  model.busRows.forEach((r, i) => {
    vaDeg[r] = (theta[i]! * 180) / Math.PI;
  });
  const flowMw = new Array<number>(network.branches.length).fill(0);
  model.branchRows.forEach((r, k) => {
    flowMw[r] = flows[k]!;
  });
  const slackMw = model.islandRef.map(() => 0);
  for (let i = 0; i < n; i++) slackMw[model.busIsland[i]!]! -= inj[i]!;
  return { vaDeg, flowMw, slackMw };
}
