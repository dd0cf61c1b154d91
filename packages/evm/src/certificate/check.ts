// The reference checker of the integer DC certificate: the same conditions, in the same order and with
// the same integer arithmetic, as contracts/clearing/ClearingVerifier.sol, so a certificate this accepts
// the contract accepts, and a rejection names the same custom error. Conditions (docs/evm.md):
// - network (the verifier's `begin`): per branch, a branch out of service carries no flow and no dual;
//   |f_l| ≤ F_l + τ_f; Kirchhoff |f_l·10^12 − B_l·(θ_from − θ_to − φ_l)| ≤ τ_f·10^12; μ⁺, μ⁻ ≥ 0, and
//   μ⁺ > 0 only with f_l ≥ F_l − τ_f, μ⁻ > 0 only with f_l ≤ −F_l + τ_f (none on an unlimited branch);
//   per bus, dual stationarity at the angles: with η_l = π_from − π_to + μ⁺_l − μ⁻_l,
//   |Σ_{l from i} B_l η_l − Σ_{l to i} B_l η_l| ≤ τ_π · Σ_{l at i} B_l;
// - steps (the upstream's in `begin`, the orders' in `submitOrders`): 0 ≤ q ≤ Q; with the reduced cost
//   r = p − π_bus (sell) or π_bus − p (buy): r > τ_π needs q ≤ τ_q, r < −τ_π needs q ≥ Q − τ_q;
// - balance (`finish`): per bus, k · (Σ sold Wh − Σ bought Wh) = Σ_{l from i} f_l − Σ_{l to i} f_l exactly.
// Together these are the KKT conditions of the DC welfare maximisation (primal feasibility, dual
// feasibility, complementary slackness, stationarity), so the prices are optimal duals: the LMP of bus i
// equals the reference bus's price plus its congestion part, Σ_l (μ⁻_l − μ⁺_l) · PTDF_{l,i}.
import {
  type CertificateTolerances,
  type ClearingBook,
  type DcCertificate,
  type IntegerNetwork,
  PRAD_PER_RAD,
} from './format.ts';

/** Why a certificate is rejected: the contract's custom error and its arguments. */
export interface CertificateRejection {
  error:
    | 'ShapeMismatch'
    | 'UnknownBus'
    | 'FlowOutOfService'
    | 'FlowOverLimit'
    | 'KirchhoffViolated'
    | 'DualWithoutBinding'
    | 'AngleStationarityViolated'
    | 'UpstreamStepViolated'
    | 'QuantityOutOfRange'
    | 'ReducedCostViolated'
    | 'BusImbalance';
  /** Branch, bus or (order, step) positions; for UpstreamStepViolated 1 (its offer) or 0 (its bid). */
  args: number[];
}

/** Result of {@link checkDcCertificate}: accepted, or the first rejection in the contract's order. */
export type CertificateVerdict = { ok: true } | { ok: false; rejection: CertificateRejection };

/** Bound on |π|, |f| and μ (the contract's MAX_PRICE, MAX_FLOW): its packed per-bus state cannot wrap. */
const MAX_MAGNITUDE = 2n ** 100n;
const abs = (x: bigint) => (x < 0n ? -x : x);
const reject = (error: CertificateRejection['error'], ...args: number[]): CertificateVerdict => ({
  ok: false,
  rejection: { error, args },
});

/**
 * Checks an integer DC certificate against its network and book, as the ClearingVerifier does.
 * @example checkDcCertificate(net, book, cert, DEFAULT_TOLERANCES).ok // true for produceDcCertificate's output
 */
export function checkDcCertificate(
  net: IntegerNetwork,
  book: ClearingBook,
  cert: DcCertificate,
  tol: CertificateTolerances,
): CertificateVerdict {
  const n = net.busIds.length;
  const m = net.branches.length;
  if (
    cert.lmpMicrosPerMWh.length !== n ||
    cert.anglePrad.length !== n ||
    cert.flowW.length !== m ||
    cert.muForward.length !== m ||
    cert.muBackward.length !== m
  )
    return reject('ShapeMismatch', 0);
  if (cert.clearedWh.length !== book.orders.length) return reject('ShapeMismatch', 1);
  if (cert.lmpMicrosPerMWh.some((p) => abs(p) > MAX_MAGNITUDE)) return reject('ShapeMismatch', 4);
  if (cert.flowW.some((f) => abs(f) > MAX_MAGNITUDE)) return reject('ShapeMismatch', 5);
  const pi = cert.lmpMicrosPerMWh;
  const balance: bigint[] = new Array(n).fill(0n);
  const stat: bigint[] = new Array(n).fill(0n);
  const bSum: bigint[] = new Array(n).fill(0n);
  for (let l = 0; l < m; l++) {
    const br = net.branches[l]!;
    const f = cert.flowW[l]!;
    const mf = cert.muForward[l]!;
    const mb = cert.muBackward[l]!;
    if (mf < 0n || mb < 0n || mf > MAX_MAGNITUDE || mb > MAX_MAGNITUDE)
      return reject('DualWithoutBinding', l);
    if (!br.inService) {
      if (f !== 0n || mf !== 0n || mb !== 0n) return reject('FlowOutOfService', l);
      continue;
    }
    if (br.limitW > 0n) {
      if (abs(f) > br.limitW + tol.flowW) return reject('FlowOverLimit', l);
      if (mf > 0n && f < br.limitW - tol.flowW) return reject('DualWithoutBinding', l);
      if (mb > 0n && f > -br.limitW + tol.flowW) return reject('DualWithoutBinding', l);
    } else if (mf !== 0n || mb !== 0n) return reject('DualWithoutBinding', l);
    const dTheta = cert.anglePrad[br.from]! - cert.anglePrad[br.to]! - br.shiftPrad;
    if (abs(f * PRAD_PER_RAD - br.susceptanceWPerRad * dTheta) > tol.flowW * PRAD_PER_RAD)
      return reject('KirchhoffViolated', l);
    const eta = pi[br.from]! - pi[br.to]! + mf - mb;
    stat[br.from]! += br.susceptanceWPerRad * eta;
    stat[br.to]! -= br.susceptanceWPerRad * eta;
    bSum[br.from]! += br.susceptanceWPerRad;
    bSum[br.to]! += br.susceptanceWPerRad;
    balance[br.from]! -= f;
    balance[br.to]! += f;
  }
  for (let i = 0; i < n; i++) {
    if (abs(stat[i]!) > tol.priceMicrosPerMWh * bSum[i]!) return reject('AngleStationarityViolated', i);
  }
  const busPos = new Map(net.busIds.map((id, i) => [id, i]));
  // One step: bounds, complementary slackness with its bus's price, the bus's balance.
  const step = (
    bus: number,
    sell: boolean,
    s: { energyWh: bigint; priceMicrosPerMWh: bigint },
    q: bigint,
  ) => {
    if (q < 0n || q > s.energyWh) return 'QuantityOutOfRange' as const;
    const r = sell ? s.priceMicrosPerMWh - pi[bus]! : pi[bus]! - s.priceMicrosPerMWh;
    if (r > tol.priceMicrosPerMWh && q > tol.quantityWh) return 'ReducedCostViolated' as const;
    if (r < -tol.priceMicrosPerMWh && q + tol.quantityWh < s.energyWh) return 'ReducedCostViolated' as const;
    balance[bus]! += (sell ? q : -q) * net.wattsPerWh;
    return undefined;
  };
  const nOrders = book.orders.length;
  const upBus = busPos.get(book.upstream.bus);
  if (upBus === undefined) return reject('UnknownBus', -1);
  if (step(upBus, true, book.upstream.sell, cert.upstreamSoldWh)) return reject('UpstreamStepViolated', 1);
  if (step(upBus, false, book.upstream.buy, cert.upstreamBoughtWh)) return reject('UpstreamStepViolated', 0);
  for (let k = 0; k < nOrders; k++) {
    const o = book.orders[k]!;
    const q = cert.clearedWh[k]!;
    if (q.length !== o.steps.length) return reject('ShapeMismatch', 2, k);
    const bus = busPos.get(o.bus);
    if (bus === undefined) return reject('UnknownBus', k);
    for (let j = 0; j < o.steps.length; j++) {
      const why = step(bus, o.side === 'sell', o.steps[j]!, q[j]!);
      if (why) return reject(why, k, j);
    }
  }
  for (let i = 0; i < n; i++) if (balance[i] !== 0n) return reject('BusImbalance', i);
  return { ok: true };
}
