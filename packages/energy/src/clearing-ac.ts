// AC pricing of an interval's clearing (markets configured with `pricing: 'ac'`; clearing.ts switches
// here): the registered network with its AC data (branch resistance and charging, bus voltage limits,
// network-json.ts) and the upstream connection as the reference bus, where a reactive source (the grid
// behind the substation, no cost, +-baseMVA MVAr) closes the reactive balance; the orders as the DC path
// builds them. Solved by the AC-OPF (clearNetworkAc of @gridledger/market: a pure function of its input,
// bit for bit, no state carried between intervals), certified in integers (buildAcCertificate) and the
// certificate checked (verifyAcCertificate) before anything is settled. The clearing record's result
// carries the AC solution (voltages, losses, price components) and its certificate the integer form.
// Prices enter state through the same rounding as DC (µ$/MWh, round half away from zero), so the stored
// LMPs equal the certificate's. The real-time prices of settlement use the same model on the metered
// injections (realtime-prices.ts acRealtimePrices, on this module's acNetworkAt).
import type { CallContext } from '@gridledger/execution';
import type { Network } from '@gridledger/grid';
import {
  type AcCertificate,
  buildAcCertificate,
  type ClearingResult,
  clearNetworkAc,
  decodeAcCertificateJson,
  encodeAcCertificateJson,
  type Order,
  verifyAcCertificate,
} from '@gridledger/market';
import { MARKET_ADDRESS } from './addresses.ts';
import {
  type ClearingRecordFields,
  encodeClearingRecord,
  findClearingRecordTexts,
} from './clearing-record.ts';
import type { MarketConfig } from './config.ts';
import { decodeSigned, encodeSigned, type StateReader } from './words.ts';

/**
 * The engine's network for AC pricing: the registered network plus the upstream's reactive source at
 * the reference bus, or why it cannot be priced AC.
 */
export function acNetworkOf(network: Network, config: MarketConfig): Network | string {
  return acNetworkAt(network, config.upstream.bus);
}

/** acNetworkOf for an upstream connection at bus `up`. */
export function acNetworkAt(network: Network, up: number): Network | string {
  const ref = network.buses.find((b) => b.type === 3);
  if (ref === undefined || ref.id !== up)
    return `AC pricing needs the upstream bus ${up} to be the network's reference bus (${ref?.id ?? 'none'})`;
  return {
    ...network,
    generators: [
      ...network.generators,
      {
        index: network.generators.length + 1,
        bus: up,
        pgMw: 0,
        qgMvar: 0,
        qmaxMvar: network.baseMVA,
        qminMvar: -network.baseMVA,
        vgPu: ref.vmPu,
        mBase: network.baseMVA,
        status: 1,
        pmaxMw: 0,
        pminMw: 0,
        cost: { model: 'polynomial', startup: 0, shutdown: 0, coefficients: [0] },
      },
    ],
  };
}

/** An AC clearing ready to settle: its DC-shaped view and its record, or why the interval fails. */
export type AcIntervalClearing =
  | {
      ok: true;
      result: ClearingResult;
      record: ClearingRecordFields;
      lossesMw: number;
      certificate: AcCertificate;
    }
  | { ok: false; reason: string };

/**
 * State keys of an AC-priced interval's extra words (beside marketKeys.interval(k)'s): `priced` (1),
 * losses (W), and per bus |V| (µp.u.) and the LMP's energy, loss, congestion and voltage components
 * (µ$/MWh, the certificate's).
 */
export const acIntervalKeys = (k: bigint) => ({
  priced: `${MARKET_ADDRESS}:iv:${k}:ac`,
  lossesW: `${MARKET_ADDRESS}:iv:${k}:ac:lossW`,
  vm: (bus: number) => `${MARKET_ADDRESS}:iv:${k}:ac:vm:${bus}`,
  energy: (bus: number) => `${MARKET_ADDRESS}:iv:${k}:ac:en:${bus}`,
  loss: (bus: number) => `${MARKET_ADDRESS}:iv:${k}:ac:loss:${bus}`,
  congestion: (bus: number) => `${MARKET_ADDRESS}:iv:${k}:ac:cong:${bus}`,
  voltage: (bus: number) => `${MARKET_ADDRESS}:iv:${k}:ac:volt:${bus}`,
});

/** Writes an AC clearing's extra words (acIntervalKeys) in the clearing block. */
export function writeAcInterval(ctx: CallContext, k: bigint, cert: AcCertificate): void {
  const K = acIntervalKeys(k);
  ctx.write(K.priced, 1n);
  ctx.write(K.lossesW, encodeSigned(cert.lossesW));
  for (const b of cert.buses) {
    ctx.write(K.vm(b.id), encodeSigned(b.vmPicoPu / 1_000_000n));
    ctx.write(K.energy(b.id), encodeSigned(b.lmpEnergy));
    ctx.write(K.loss(b.id), encodeSigned(b.lmpLoss));
    ctx.write(K.congestion(b.id), encodeSigned(b.lmpCongestion));
    ctx.write(K.voltage(b.id), encodeSigned(b.lmpVoltage));
  }
}

/** One bus's AC words of an interval as gl_prices serves them, or undefined when not AC-priced. */
export function readAcBus(
  s: StateReader,
  k: bigint,
  bus: number,
): { vmMicroPu: bigint; energy: bigint; loss: bigint; congestion: bigint; voltage: bigint } | undefined {
  const K = acIntervalKeys(k);
  if (s.get(K.priced) !== 1n) return undefined;
  return {
    vmMicroPu: decodeSigned(s.get(K.vm(bus))),
    energy: decodeSigned(s.get(K.energy(bus))),
    loss: decodeSigned(s.get(K.loss(bus))),
    congestion: decodeSigned(s.get(K.congestion(bus))),
    voltage: decodeSigned(s.get(K.voltage(bus))),
  };
}

/** An AC-priced interval's losses (W), or undefined when not AC-priced. */
export function readAcLossesW(s: StateReader, k: bigint): bigint | undefined {
  const K = acIntervalKeys(k);
  return s.get(K.priced) === 1n ? decodeSigned(s.get(K.lossesW)) : undefined;
}

/**
 * Clears an interval's engine orders (clearing.ts engineOrdersOf) on its registered network with the AC
 * model, certifies and checks the certificate.
 */
export async function clearIntervalAc(
  registered: Network,
  engineOrders: readonly Order[],
  config: MarketConfig,
): Promise<AcIntervalClearing> {
  const network = acNetworkOf(registered, config);
  if (typeof network === 'string') return { ok: false, reason: network };
  let ac: Awaited<ReturnType<typeof clearNetworkAc>>;
  try {
    ac = await clearNetworkAc(network, engineOrders);
  } catch (e) {
    return { ok: false, reason: `AC clearing error: ${(e as Error).message}` };
  }
  if (ac.status !== 'optimal')
    return { ok: false, reason: `AC clearing ${ac.status}${ac.reason ? `: ${ac.reason}` : ''}` };
  const certificate = buildAcCertificate(network, ac.opf);
  const check = verifyAcCertificate(network, engineOrders, certificate);
  if (!check.ok)
    return { ok: false, reason: `AC certificate rejected: ${check.failures.slice(0, 2).join('; ')}` };
  const result: ClearingResult = {
    status: 'optimal',
    welfare: ac.welfare,
    buses: ac.buses.map((b) => ({
      id: b.id,
      lmp: b.lmp,
      lmpEnergy: b.lmpEnergy,
      lmpCongestion: b.lmpCongestion,
    })),
    orders: ac.orders,
    branches: ac.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      flowMw: b.pFromMw,
      muFrom: b.muFrom,
      muTo: b.muTo,
    })),
    congestionRent: ac.surplus,
  };
  const record = encodeClearingRecord(
    {
      pricing: 'ac',
      welfare: ac.welfare,
      merchandisingSurplus: ac.surplus,
      surplusSplit: ac.surplusSplit,
      lossesMw: ac.lossesMw,
      iterations: ac.iterations,
      buses: ac.buses,
      branches: ac.branches,
      orders: ac.orders.map((o) => ({ id: o.id, cleared: o.cleared, price: o.price })),
    },
    encodeAcCertificateJson(certificate),
  );
  return { ok: true, result, record, lossesMw: ac.lossesMw, certificate };
}

/** An AC clearing record read back from the chain and checked against the hashes in state. */
export interface AcClearingRecord {
  interval: bigint;
  /** The AC result as stored (welfare, surplus, losses, buses with voltages and components, ...). */
  result: unknown;
  certificate: AcCertificate;
}

/**
 * Finds interval `k`'s clearing record of an AC-priced market among `logs`, checks it against the hashes
 * in `state` and decodes the integer certificate (check it with verifyAcCertificate of
 * @gridledger/market). Undefined when there is no such log.
 */
export function findAcClearingRecord(
  logs: readonly { topics: readonly `0x${string}`[]; data: `0x${string}` }[],
  state: StateReader,
  k: bigint,
): AcClearingRecord | undefined {
  const t = findClearingRecordTexts(logs, state, k);
  if (t === undefined) return undefined;
  return {
    interval: k,
    result: JSON.parse(t.result),
    certificate: decodeAcCertificateJson(JSON.parse(t.certificate)),
  };
}
