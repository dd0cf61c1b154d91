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
 * Builds the AC model of a network (`checked`: the caller has already run {@link checkAcNetwork}).
 * @throws InputError when {@link checkAcNetwork} finds it unusable (no reference bus, islands...).
 * @example
 * const m = buildAcModel(await loadMatpower('case9.m'));
 * m.nBus; // 9
 */
export function buildAcModel(network: Network, checked = false): AcModel {
  const problem = checked ? undefined : checkAcNetwork(network);
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
  // Ybus rows: the shunt first, then the branch terms in branch order; each row stably sorted by column
  // (insertion sort: rows are short) and duplicates summed in that order.
  const nb = branchY.length;
  const count = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) count[i + 1] = 1;
  for (let l = 0; l < nb; l++) {
    count[brFrom[l]! + 1]! += 2;
    count[brTo[l]! + 1]! += 2;
  }
  for (let i = 0; i < n; i++) count[i + 1]! += count[i]!;
  const total = count[n]!;
  const ci = new Int32Array(total);
  const cg = new Float64Array(total);
  const cb = new Float64Array(total);
  const next = count.slice(0, n);
  const put = (i: number, k: number, g: number, b: number) => {
    const at = next[i]!++;
    ci[at] = k;
    cg[at] = g;
    cb[at] = b;
  };
  for (let i = 0; i < n; i++) put(i, i, gsPu[i]!, bsPu[i]!);
  for (let l = 0; l < nb; l++) {
    const y = branchY[l]!;
    const f = brFrom[l]!;
    const t = brTo[l]!;
    put(f, f, y.gff, y.bff);
    put(f, t, y.gft, y.bft);
    put(t, f, y.gtf, y.btf);
    put(t, t, y.gtt, y.btt);
  }
  const yp = new Int32Array(n + 1);
  const yiBuf = new Int32Array(total);
  const ygBuf = new Float64Array(total);
  const ybBuf = new Float64Array(total);
  const ydiag = new Int32Array(n);
  let len = 0;
  for (let i = 0; i < n; i++) {
    const lo = count[i]!;
    const hi = count[i + 1]!;
    for (let a = lo + 1; a < hi; a++) {
      const k = ci[a]!;
      const g = cg[a]!;
      const b = cb[a]!;
      let c = a - 1;
      while (c >= lo && ci[c]! > k) {
        ci[c + 1] = ci[c]!;
        cg[c + 1] = cg[c]!;
        cb[c + 1] = cb[c]!;
        c--;
      }
      ci[c + 1] = k;
      cg[c + 1] = g;
      cb[c + 1] = b;
    }
    for (let a = lo; a < hi; a++) {
      if (len > yp[i]! && yiBuf[len - 1] === ci[a]) {
        ygBuf[len - 1]! += cg[a]!;
        ybBuf[len - 1]! += cb[a]!;
        continue;
      }
      if (ci[a] === i) ydiag[i] = len;
      yiBuf[len] = ci[a]!;
      ygBuf[len] = cg[a]!;
      ybBuf[len] = cb[a]!;
      len++;
    }
    yp[i + 1] = len;
  }
  const yi = yiBuf.slice(0, len);
  const yg = ygBuf.slice(0, len);
  const yb = ybBuf.slice(0, len);
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
    yi,
    yg,
    yb,
    ydiag,
    genRows: Int32Array.from(genRows),
    genBus: Int32Array.from(genBus),
  };
}
