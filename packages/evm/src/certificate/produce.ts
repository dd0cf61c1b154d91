// The producer of the integer DC certificate (format.ts) from the engine's clearing: the book goes to
// clearNetwork (@gridledger/market) exactly as the native market sends it (orders by id as "o<id>", then
// the upstream offer "up-sell" and bid "up-buy"), settleClearing gives each order's integer Wh (the
// native rounding, docs/market-rules.md §7), and from those:
// - q per step: the order's Wh shared over its steps nearest the engine's per-step MW (largest remainder);
// - π per bus: the published LMP rounded to µ$/MWh (what the market pays); μ⁺/μ⁻ per branch likewise;
// - f per branch: on a spanning forest of the in-service branches, the branches off the forest carry the
//   DC power flow of the integer injections rounded to W, and the forest's branches whatever makes every
//   bus balance exactly in integers (leaves first); θ per bus follows along the forest from its root
//   (θ_root = 0), so Kirchhoff holds on the forest to rounding and off it to a few W.
import {
  dollarsPerMWhToMicros,
  InternalError,
  microsPerMWhToDollars,
  mwToWh,
  whToMw,
} from '@gridledger/base';
import { buildDcModel, type Network, solveAngles } from '@gridledger/grid';
import {
  clearNetwork,
  type NetworkClearingResult,
  type Order,
  type Settlement,
  settleClearing,
} from '@gridledger/market';
import { type ClearingBook, type DcCertificate, type IntegerNetwork, PRAD_PER_RAD } from './format.ts';

/** Engine ids of the upstream offer and bid, as the native market names them. */
const UPSTREAM_SELL_ID = 'up-sell';
const UPSTREAM_BUY_ID = 'up-buy';

/** What {@link produceDcCertificate} returns: the certificate and the engine's result it came from. */
export interface ProducedCertificate {
  certificate: DcCertificate;
  result: NetworkClearingResult;
  settlement: Settlement;
}

/**
 * The engine's orders of a book: orders in book order as "o<id>" (MW over the interval, $/MWh), then the
 * upstream offer and bid.
 * @example engineOrders(book, 5)[0].id // 'o1'
 */
export function engineOrders(book: ClearingBook, intervalMinutes: number): Order[] {
  const step = (s: { energyWh: bigint; priceMicrosPerMWh: bigint }) => ({
    price: microsPerMWhToDollars(s.priceMicrosPerMWh),
    quantity: whToMw(s.energyWh, intervalMinutes),
  });
  const up = book.upstream;
  return [
    ...book.orders.map((o) => ({
      id: `o${o.id}`,
      bus: Number(o.bus),
      side: o.side,
      steps: o.steps.map(step),
    })),
    { id: UPSTREAM_SELL_ID, bus: Number(up.bus), side: 'sell' as const, steps: [step(up.sell)] },
    { id: UPSTREAM_BUY_ID, bus: Number(up.bus), side: 'buy' as const, steps: [step(up.buy)] },
  ];
}

/** Shares `total` Wh over steps with bounds `cap`, nearest the exact values `exact` (largest remainder). */
function shareOverSteps(exact: number[], cap: bigint[], total: bigint): bigint[] {
  const v = exact.map((e, j) => {
    const r = BigInt(Math.round(Math.max(0, e)));
    return r > cap[j]! ? cap[j]! : r;
  });
  let d = total - v.reduce((a, b) => a + b, 0n);
  while (d !== 0n) {
    let best = -1;
    let bestGap = 0;
    for (let j = 0; j < v.length; j++) {
      const gap = exact[j]! - Number(v[j]!);
      if (d > 0n ? v[j]! < cap[j]! : v[j]! > 0n) {
        if (best < 0 || (d > 0n ? gap > bestGap : gap < bestGap)) {
          best = j;
          bestGap = gap;
        }
      }
    }
    if (best < 0) throw new InternalError(`cannot share ${total} Wh over steps of ${cap.join(', ')} Wh`);
    v[best]! += d > 0n ? 1n : -1n;
    d += d > 0n ? -1n : 1n;
  }
  return v;
}

const roundBig = (x: number) => BigInt(Math.sign(x) * Math.round(Math.abs(x)));

/**
 * Clears a book with the engine and builds its integer certificate.
 * @throws InputError from clearNetwork (an order at an unknown bus); InternalError when the engine's
 *   clearing is not optimal or its integer form cannot be balanced (a bug, not an input).
 * @example const { certificate } = await produceDcCertificate(net, integerNetwork(net, 5), book, 5);
 */
export async function produceDcCertificate(
  network: Network,
  net: IntegerNetwork,
  book: ClearingBook,
  intervalMinutes: number,
): Promise<ProducedCertificate> {
  const result = await clearNetwork(network, engineOrders(book, intervalMinutes));
  if (result.status !== 'optimal') {
    throw new InternalError(
      `the engine's clearing is ${result.status}${result.reason ? `: ${result.reason}` : ''}`,
    );
  }
  const settlement = settleClearing(result, { intervalMinutes });
  const n = net.busIds.length;
  const busPos = new Map(net.busIds.map((id, i) => [id, i]));
  const inj: bigint[] = new Array(n).fill(0n);
  const clearedWh: bigint[][] = [];
  const nOrders = book.orders.length;
  const stepsOf = (k: number) =>
    k < nOrders ? book.orders[k]!.steps : [k === nOrders ? book.upstream.sell : book.upstream.buy];
  for (let k = 0; k < nOrders + 2; k++) {
    const r = result.orders[k]!;
    const steps = stepsOf(k);
    const q = shareOverSteps(
      r.clearedSteps.map((mw) => mwToWh(mw, intervalMinutes)),
      steps.map((s) => s.energyWh),
      settlement.parties[k]!.energyWh,
    );
    if (k < nOrders) clearedWh.push(q);
    const bus = busPos.get(BigInt(r.bus))!;
    const wh = q.reduce((a, b) => a + b, 0n);
    inj[bus]! += (r.side === 'sell' ? wh : -wh) * net.wattsPerWh;
  }
  const lmpMicrosPerMWh = result.buses.map((b) =>
    Number.isFinite(b.lmp) ? dollarsPerMWhToMicros(b.lmp) : 0n,
  );
  const m = net.branches.length;
  const muForward = result.branches.map((b) => roundBig(b.muFrom * 1e6));
  const muBackward = result.branches.map((b) => roundBig(b.muTo * 1e6));
  const flowW: bigint[] = new Array(m).fill(0n);
  const anglePrad: bigint[] = new Array(n).fill(0n);
  // Spanning forest by breadth-first search over in-service branches.
  const adj: number[][] = Array.from({ length: n }, () => []);
  net.branches.forEach((br, l) => {
    if (!br.inService) {
      muForward[l] = 0n;
      muBackward[l] = 0n;
      return;
    }
    adj[br.from]!.push(l);
    adj[br.to]!.push(l);
    if (br.limitW === 0n) {
      muForward[l] = 0n;
      muBackward[l] = 0n;
    }
  });
  const parentEdge = new Int32Array(n).fill(-1);
  const seen = new Uint8Array(n);
  const inTree = new Uint8Array(m);
  const order: number[] = [];
  const roots: number[] = [];
  for (let s = 0; s < n; s++) {
    if (seen[s]) continue;
    seen[s] = 1;
    roots.push(s);
    order.push(s);
    for (let h = order.length - 1; h < order.length; h++) {
      const u = order[h]!;
      for (const l of adj[u]!) {
        const br = net.branches[l]!;
        const v = br.from === u ? br.to : br.from;
        if (seen[v]) continue;
        seen[v] = 1;
        parentEdge[v] = l;
        inTree[l] = 1;
        order.push(v);
      }
    }
  }
  // Off the forest: the DC power flow of the integer injections (float angles, then the integer B and φ).
  const model = buildDcModel(network);
  const injMw = Float64Array.from(model.busRows, (r) => Number(inj[r]!) / 1e6);
  const theta = solveAngles(model, injMw);
  const thetaAt = new Map(model.busRows.map((r, i) => [r, theta[i]!]));
  net.branches.forEach((br, l) => {
    if (!br.inService || inTree[l]) return;
    const d = (thetaAt.get(br.from)! - thetaAt.get(br.to)!) * 1e12 - Number(br.shiftPrad);
    flowW[l] = roundBig((Number(br.susceptanceWPerRad) * d) / 1e12);
  });
  // Net outflow each bus still needs from its parent edge: injection minus what other edges carry away.
  const need = inj.slice();
  net.branches.forEach((br, l) => {
    if (!br.inService || inTree[l]) return;
    need[br.from]! -= flowW[l]!;
    need[br.to]! += flowW[l]!;
  });
  for (let h = order.length - 1; h >= 0; h--) {
    const v = order[h]!;
    const l = parentEdge[v]!;
    if (l < 0) {
      if (need[v] !== 0n)
        throw new InternalError(`island of bus ${net.busIds[v]} is out of balance by ${need[v]} W`);
      continue;
    }
    const br = net.branches[l]!;
    // v sends need[v] out along l: from v means +f, to v means −f.
    const f = br.from === v ? need[v]! : -need[v]!;
    flowW[l] = f;
    const p = br.from === v ? br.to : br.from;
    need[p]! += br.from === v ? f : -f;
  }
  for (const v of order) {
    const l = parentEdge[v]!;
    if (l < 0) continue;
    const br = net.branches[l]!;
    const dTheta = divRound(flowW[l]! * PRAD_PER_RAD, br.susceptanceWPerRad);
    anglePrad[v] =
      br.to === v ? anglePrad[br.from]! - br.shiftPrad - dTheta : anglePrad[br.to]! + br.shiftPrad + dTheta;
  }
  return {
    certificate: {
      lmpMicrosPerMWh,
      flowW,
      anglePrad,
      muForward,
      muBackward,
      clearedWh,
      upstreamSoldWh: settlement.parties[nOrders]!.energyWh,
      upstreamBoughtWh: settlement.parties[nOrders + 1]!.energyWh,
    },
    result,
    settlement,
  };
}

/** a / b rounded to the nearest integer (ties away from zero). */
function divRound(a: bigint, b: bigint): bigint {
  const neg = a < 0n !== b < 0n;
  const aa = a < 0n ? -a : a;
  const bb = b < 0n ? -b : b;
  const q = (2n * aa + bb) / (2n * bb);
  return neg ? -q : q;
}
