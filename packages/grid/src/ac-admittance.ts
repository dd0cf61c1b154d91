// The AC network model: in-service buses, branches and generators in per unit, each branch's four
// admittances and the bus admittance matrix Ybus exactly as MATPOWER's makeYbus builds them (series
// admittance, line charging, off-nominal taps, phase shifters, bus shunts). Also the checks that make a
// network unusable for AC (no reference bus, buses not connected to it).
import { InputError } from '@gridledger/base';
import { BusType, type Network } from './network.ts';
import { cosDet, sinDet } from './trig.ts';

/** Admittance data of one in-service branch (per unit): from-end and to-end self and mutual terms. */
export interface AcBranchAdmittance {
  /** Y_ff = (y_s + j b/2) / |tau|^2. */
  gff: number;
  bff: number;
  /** Y_ft = -y_s / conj(tau). */
  gft: number;
  bft: number;
  /** Y_tf = -y_s / tau. */
  gtf: number;
  btf: number;
  /** Y_tt = y_s + j b/2. */
  gtt: number;
  btt: number;
}

/** The AC model of a network (internal bus numbering 0..nBus-1 in network order). */
export interface AcModel {
  network: Network;
  baseMVA: number;
  nBus: number;
  /** Internal bus -> row of network.buses. */
  busRows: Int32Array;
  /** Bus id -> internal bus. */
  busIndex: Map<number, number>;
  /** Internal index of the reference bus. */
  ref: number;
  /** Demand and shunts per internal bus, per unit. */
  pdPu: Float64Array;
  qdPu: Float64Array;
  gsPu: Float64Array;
  bsPu: Float64Array;
  /** In-service branches: row of network.branches, internal end buses, admittances. */
  branchRows: Int32Array;
  brFrom: Int32Array;
  brTo: Int32Array;
  branchY: AcBranchAdmittance[];
  /** Ybus in compressed rows (columns sorted, diagonal included): G + jB. */
  yp: Int32Array;
  yi: Int32Array;
  yg: Float64Array;
  yb: Float64Array;
  /** Position of the diagonal entry of each row in yi/yg/yb. */
  ydiag: Int32Array;
  /** In-service generators at in-service buses: row of network.generators and internal bus. */
  genRows: Int32Array;
  genBus: Int32Array;
}

/** Why a network cannot be modelled for AC, or undefined when it can. */
export function checkAcNetwork(network: Network): string | undefined {
  if (!(network.baseMVA > 0)) return `${network.name}: baseMVA must be positive, got ${network.baseMVA}`;
  const live = network.buses.filter((b) => b.type !== BusType.NONE);
  if (live.length === 0) return `${network.name}: no in-service bus`;
  const ref = live.find((b) => b.type === BusType.REF);
  if (!ref) return `${network.name}: no reference bus (type 3); mark the substation or slack bus as type 3`;
  const idx = new Map<number, number>();
  live.forEach((b, k) => {
    idx.set(b.id, k);
  });
  const adj: number[][] = live.map(() => []);
  for (const br of network.branches) {
    if (!(br.status > 0)) continue;
    const f = idx.get(br.from);
    const t = idx.get(br.to);
    if (f === undefined || t === undefined) continue;
    if (br.rPu === 0 && br.xPu === 0) return `${network.name}: branch ${br.index} has zero impedance`;
    adj[f]!.push(t);
    adj[t]!.push(f);
  }
  const seen = new Uint8Array(live.length);
  const stack = [idx.get(ref.id)!];
  seen[stack[0]!] = 1;
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const u of adj[v]!)
      if (!seen[u]) {
        seen[u] = 1;
        stack.push(u);
      }
  }
  const islanded = live.filter((_, k) => !seen[k]).map((b) => b.id);
  if (islanded.length > 0) {
    const list =
      islanded.slice(0, 10).join(', ') + (islanded.length > 10 ? `, ... (${islanded.length})` : '');
    return `${network.name}: buses not connected to the reference bus ${ref.id}: ${list}; mark them type 4 (isolated) or connect them`;
  }
  return undefined;
}

/** Admittances of one branch (MATPOWER makeYbus). */
export function branchAdmittance(r: number, x: number, b: number, tap: number, shiftDeg: number) {
  const z2 = r * r + x * x;
  const gs = r / z2;
  const bs = -x / z2;
  const t = tap === 0 ? 1 : tap;
  const phi = (shiftDeg * Math.PI) / 180;
  const cp = cosDet(phi);
  const sp = sinDet(phi);
  const gtt = gs;
  const btt = bs + b / 2;
  const t2 = t * t;
  // -y_s / conj(tau) = -y_s e^{j phi} / t;  -y_s / tau = -y_s e^{-j phi} / t
  const gft = -(gs * cp - bs * sp) / t;
  const bft = -(gs * sp + bs * cp) / t;
  const gtf = -(gs * cp + bs * sp) / t;
  const btf = -(bs * cp - gs * sp) / t;
  return { gff: gtt / t2, bff: btt / t2, gft, bft, gtf, btf, gtt, btt };
}

/**
 * Builds the AC model of a network.
 * @throws InputError when {@link checkAcNetwork} finds it unusable (no reference bus, islands...).
 * @example
 * const m = buildAcModel(await loadMatpower('case9.m'));
 * m.nBus; // 9
 */
export function buildAcModel(network: Network): AcModel {
  const problem = checkAcNetwork(network);
  if (problem) throw new InputError(problem);
  const base = network.baseMVA;
  const rows: number[] = [];
  const busIndex = new Map<number, number>();
  network.buses.forEach((b, r) => {
    if (b.type === BusType.NONE) return;
    busIndex.set(b.id, rows.length);
    rows.push(r);
  });
  const n = rows.length;
  const pdPu = new Float64Array(n);
  const qdPu = new Float64Array(n);
  const gsPu = new Float64Array(n);
  const bsPu = new Float64Array(n);
  let ref = -1;
  rows.forEach((r, i) => {
    const b = network.buses[r]!;
    pdPu[i] = b.pdMw / base;
    qdPu[i] = b.qdMvar / base;
    gsPu[i] = b.gsMw / base;
    bsPu[i] = b.bsMvar / base;
    if (ref < 0 && b.type === BusType.REF) ref = i;
  });
  const branchRows: number[] = [];
  const brFrom: number[] = [];
  const brTo: number[] = [];
  const branchY: AcBranchAdmittance[] = [];
  network.branches.forEach((br, r) => {
    if (!(br.status > 0)) return;
    const f = busIndex.get(br.from);
    const t = busIndex.get(br.to);
    if (f === undefined || t === undefined) return;
    branchRows.push(r);
    brFrom.push(f);
    brTo.push(t);
    branchY.push(branchAdmittance(br.rPu, br.xPu, br.bPu, br.tap, br.shiftDeg));
  });
  // Ybus rows: entries gathered per row in branch order, then sorted by column (duplicates summed).
  const cols: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const gv: number[][] = Array.from({ length: n }, (_, i) => [gsPu[i]!]);
  const bv: number[][] = Array.from({ length: n }, (_, i) => [bsPu[i]!]);
  const add = (i: number, k: number, g: number, b: number) => {
    cols[i]!.push(k);
    gv[i]!.push(g);
    bv[i]!.push(b);
  };
  for (let l = 0; l < branchY.length; l++) {
    const y = branchY[l]!;
    const f = brFrom[l]!;
    const t = brTo[l]!;
    add(f, f, y.gff, y.bff);
    add(f, t, y.gft, y.bft);
    add(t, f, y.gtf, y.btf);
    add(t, t, y.gtt, y.btt);
  }
  const yp = new Int32Array(n + 1);
  const yi: number[] = [];
  const yg: number[] = [];
  const yb: number[] = [];
  const ydiag = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = cols[i]!;
    const order = c.map((_, k) => k).sort((a, b) => c[a]! - c[b]! || a - b);
    let last = -1;
    for (const k of order) {
      if (c[k] === last) {
        yg[yg.length - 1]! += gv[i]![k]!;
        yb[yb.length - 1]! += bv[i]![k]!;
        continue;
      }
      last = c[k]!;
      if (last === i) ydiag[i] = yi.length;
      yi.push(last);
      yg.push(gv[i]![k]!);
      yb.push(bv[i]![k]!);
    }
    yp[i + 1] = yi.length;
  }
  const genRows: number[] = [];
  const genBus: number[] = [];
  network.generators.forEach((g, r) => {
    if (!(g.status > 0)) return;
    const i = busIndex.get(g.bus);
    if (i === undefined) return;
    genRows.push(r);
    genBus.push(i);
  });
  return {
    network,
    baseMVA: base,
    nBus: n,
    busRows: Int32Array.from(rows),
    busIndex,
    ref,
    pdPu,
    qdPu,
    gsPu,
    bsPu,
    branchRows: Int32Array.from(branchRows),
    brFrom: Int32Array.from(brFrom),
    brTo: Int32Array.from(brTo),
    branchY,
    yp,
    yi: Int32Array.from(yi),
    yg: Float64Array.from(yg),
    yb: Float64Array.from(yb),
    ydiag,
    genRows: Int32Array.from(genRows),
    genBus: Int32Array.from(genBus),
  };
}
