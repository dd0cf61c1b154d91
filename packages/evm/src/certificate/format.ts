// The integer form of a DC clearing's optimality certificate, the one a contract checks (docs/evm.md
// "The clearing certificate"): the network in integers (susceptances W/rad, limits W, phase shifts prad),
// the book (orders' steps in Wh and µ$/MWh, the upstream offer and bid), the certificate (bus prices,
// branch flows and limit duals, bus angles, cleared Wh per step) and the stated tolerances.
//
// | symbol | unit              | meaning                                                        |
// | ------ | ----------------- | -------------------------------------------------------------- |
// | π_i    | µ$/MWh            | price (LMP) of bus i, the balance row's dual                   |
// | f_l    | W                 | flow of branch l, from → to                                    |
// | θ_i    | prad (10^-12 rad)  | angle of bus i                                                 |
// | B_l    | W/rad             | branch susceptance: baseMVA · 10^6 / (x · tap)                 |
// | φ_l    | prad              | phase shift of branch l                                        |
// | F_l    | W                 | flow limit (rateA), 0 = none                                   |
// | μ⁺_l   | µ$/MWh            | dual of f_l ≤ F_l (MATPOWER's mu_Sf); μ⁻_l of −f_l ≤ F_l (mu_St) |
// | q_s, Q_s | Wh              | cleared and offered energy of step s over the interval         |
// | k      | W per Wh/interval | 60 / interval minutes (the interval must divide an hour)        |
import { InputError } from '@gridledger/base';
import { buildDcModel, type Network } from '@gridledger/grid';

/** Angles are integers in pico-radians: radians · 10^12 (a stiff branch of 10^11 W/rad moves 0.1 W per prad). */
export const PRAD_PER_RAD = 1_000_000_000_000n;

/** One branch of the network in integers (by branch index − 1, in-service or not). */
export interface IntegerBranch {
  /** Bus positions (into `busIds`) of the from and to ends. */
  from: number;
  to: number;
  /** False for a branch out of service (or touching an isolated bus): its flow and duals must be 0. */
  inService: boolean;
  /** B_l, W/rad (0 when out of service). */
  susceptanceWPerRad: bigint;
  /** F_l, W; 0 = unlimited. */
  limitW: bigint;
  /** φ_l, prad. */
  shiftPrad: bigint;
}

/** The network as the verifier holds it. */
export interface IntegerNetwork {
  busIds: bigint[];
  branches: IntegerBranch[];
  /** k = 60 / interval minutes: cleared Wh over the interval times k is the average W. */
  wattsPerWh: bigint;
}

/** One step of an order: up to `energyWh` at limit price `priceMicrosPerMWh`. */
export interface BookStep {
  energyWh: bigint;
  priceMicrosPerMWh: bigint;
}

/** One open order as the market lists it (IMarketBook.BookOrder). */
export interface BookOrder {
  id: bigint;
  owner: `0x${string}`;
  /** Bus id (not position). */
  bus: bigint;
  side: 'buy' | 'sell';
  steps: BookStep[];
}

/** The book of one interval: open orders by ascending id, and the upstream connection's offer and bid. */
export interface ClearingBook {
  interval: bigint;
  orders: BookOrder[];
  upstream: { bus: bigint; sell: BookStep; buy: BookStep };
}

/** The certificate of one clearing, in integers (vectors by bus position, branch index − 1, book order). */
export interface DcCertificate {
  lmpMicrosPerMWh: bigint[];
  flowW: bigint[];
  anglePrad: bigint[];
  /** μ⁺ ≥ 0 and μ⁻ ≥ 0 per branch. */
  muForward: bigint[];
  muBackward: bigint[];
  /** Cleared Wh per order and step, same shape as the book's orders. */
  clearedWh: bigint[][];
  upstreamSoldWh: bigint;
  upstreamBoughtWh: bigint;
}

/** The stated tolerances of the check (docs/evm.md). */
export interface CertificateTolerances {
  /** τ_π: a reduced cost within ±τ_π counts as zero; dual stationarity at the angles is scaled by it. */
  priceMicrosPerMWh: bigint;
  /** τ_f: flow limits and Kirchhoff's voltage law hold to within τ_f W. */
  flowW: bigint;
  /** τ_q: a step whose reduced cost is non-zero is within τ_q Wh of the bound it demands. */
  quantityWh: bigint;
}

/**
 * Default tolerances: 100 µ$/MWh (10^-4 $/MWh), 50 W and 1 Wh (the rounding quantum of settlement).
 * @example DEFAULT_TOLERANCES.flowW // 50n
 */
export const DEFAULT_TOLERANCES: CertificateTolerances = {
  priceMicrosPerMWh: 100n,
  flowW: 50n,
  quantityWh: 1n,
};

/** The bigint nearest x (ties away from zero); x finite. */
function roundBig(x: number): bigint {
  if (!Number.isFinite(x)) throw new InputError(`expected a finite number, got ${x}`);
  return BigInt(Math.sign(x) * Math.round(Math.abs(x)));
}

/**
 * The integer network of a parsed network for an interval of `intervalMinutes` (which must divide 60):
 * B_l = round(baseMVA · 10^6 / (x · tap)) W/rad, F_l = round(rateA · 10^6) W, φ_l = round(shift · π/180
 * · 10^12) prad. Branches with enforced angle-difference limits are refused (the certificate has no rows
 * for them).
 * @throws InputError for such a branch or an interval that does not divide an hour.
 * @example integerNetwork(await loadMatpower('case9.m'), 5).wattsPerWh // 12n
 */
export function integerNetwork(network: Network, intervalMinutes: number): IntegerNetwork {
  if (!Number.isSafeInteger(intervalMinutes) || intervalMinutes <= 0 || 60 % intervalMinutes !== 0) {
    throw new InputError(
      `the EVM certificate needs an interval that divides an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60 minutes), got ${intervalMinutes}`,
    );
  }
  const model = buildDcModel(network);
  const pos = new Map(network.buses.map((b, i) => [b.id, i]));
  const inService = new Map(model.branchRows.map((r, k) => [r, k]));
  const branches = network.branches.map((br, r): IntegerBranch => {
    const k = inService.get(r);
    const on = k !== undefined;
    if (on && !(br.angminDeg === 0 && br.angmaxDeg === 0) && (br.angminDeg > -360 || br.angmaxDeg < 360)) {
      throw new InputError(
        `${network.name}: branch ${br.index} has an angle-difference limit, which the EVM certificate does not cover`,
      );
    }
    return {
      from: pos.get(br.from)!,
      to: pos.get(br.to)!,
      inService: on,
      susceptanceWPerRad: on ? roundBig(model.baseMVA * 1e6 * model.brB[k]!) : 0n,
      limitW: on ? roundBig(br.rateAMw * 1e6) : 0n,
      shiftPrad: on ? roundBig(model.brShiftRad[k]! * 1e12) : 0n,
    };
  });
  return {
    busIds: network.buses.map((b) => BigInt(b.id)),
    branches,
    wattsPerWh: BigInt(60 / intervalMinutes),
  };
}
