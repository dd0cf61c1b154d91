// `gridledger deploy`'s work: the deployment configuration (market.json: pricing, network, market
// parameters, certificate tolerances; every field optional, defaults below), and deploying it on any EVM
// endpoint: the market's contracts (deploy.ts), the network registered in the registry, the
// ClearingVerifier with its integer network, named as the market's verifier, and the RealtimeBook with its
// verifier (every market runs the second settlement). The result is what `addresses.json` holds.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '@gridledger/base';
import {
  checkNetworkJson,
  checkTariffPeriods,
  type NetworkJson,
  networkFromJson,
  networkToJson,
} from '@gridledger/energy';
import { loadMatpower } from '@gridledger/grid';
import type { Abi, Address } from 'viem';
import { type CertificateTolerances, DEFAULT_TOLERANCES, integerNetwork } from '../certificate/format.ts';
import { deployVerifier } from '../certificate/verifier-client.ts';
import {
  DEFAULT_EVM_PENALTY_MICROS_PER_MWH,
  deployMarket,
  type EvmClients,
  type EvmMarketConfig,
  type EvmTariffPeriod,
  type MarketAddresses,
  sendCall,
  setClearingVerifier,
} from '../deploy.ts';
import { RegistryAbi } from '../generated/Registry.ts';
import { deployRealtimePricer } from './realtime.ts';
import { deployDigitalTwin } from './twin.ts';

/** A deployment: what `gridledger deploy` reads from `--config`. */
export interface EvmDeployConfig {
  /** Only DC pricing is verifiable on an EVM chain. */
  pricing: 'dc';
  network: NetworkJson;
  market: EvmMarketConfig;
  tolerances: CertificateTolerances;
}

/** `addresses.json`: the market's contracts and the verifier. */
export interface EvmAddresses extends MarketAddresses {
  verifier: Address;
  /** The second settlement's real-time prices (every market): the RealtimeBook and its verifier. */
  realtimeBook: Address;
  realtimeVerifier: Address;
  /** The DigitalTwin (metered flows per branch, checked from the operator's angles; docs/evm.md). */
  digitalTwin?: Address;
  /** The registry's network version the verifier was built for. */
  networkVersion: string;
}

const big = (v: unknown, field: string, dflt: bigint): bigint => {
  if (v === undefined) return dflt;
  if ((typeof v === 'string' && /^-?\d+$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v)))
    return BigInt(v);
  throw new InputError(
    `market.json: ${field}: expected an integer (a number or a decimal string), got ${JSON.stringify(v)}`,
  );
};

/** Largest magnitude of a price, µ$/MWh (the native MAX_PRICE_MICROS_PER_MWH). */
const MAX_PRICE = 1_000_000_000_000n;

/** market.upstream.tariff: 1..48 periods {fromMinute, importPriceMicrosPerMWh, exportPriceMicrosPerMWh}, checked as native. */
function tariffOf(v: unknown): EvmTariffPeriod[] {
  if (!Array.isArray(v))
    throw new InputError(
      `market.json: market.upstream.tariff: expected an array of {fromMinute, importPriceMicrosPerMWh, exportPriceMicrosPerMWh}, got ${JSON.stringify(v)}`,
    );
  const periods = v.map((p: unknown, j) => {
    const q = (p ?? {}) as Record<string, unknown>;
    const f = `market.upstream.tariff[${j}]`;
    return {
      fromMinute: Number(big(q.fromMinute, `${f}.fromMinute`, -1n)),
      importPriceMicrosPerMWh: big(q.importPriceMicrosPerMWh, `${f}.importPriceMicrosPerMWh`, -1n),
      exportPriceMicrosPerMWh: big(q.exportPriceMicrosPerMWh, `${f}.exportPriceMicrosPerMWh`, -1n),
    };
  });
  const bad = checkTariffPeriods(periods);
  if (bad !== undefined) throw new InputError(`market.json: market.upstream.tariff: ${bad}`);
  return periods;
}

/**
 * Reads a deployment configuration; `deployer` is the default grid operator and upstream account.
 * Defaults: pricing "dc"; the network `case33bw_congested` from the shared grid cases; 5-minute
 * intervals, gate 1 minute ahead, settlement within 10 minutes; upstream at the reference bus importing at
 * 60 $/MWh and exporting at 20 $/MWh up to 10 MWh; the sell collateral's (shortfall) price 120 $/MWh; the
 * second settlement with δ 5 $/MWh, real-time prices in [0, shortfall − δ], no non-reporting penalty, no
 * liquidated damages, no true-up (`market.realtime` absent or partial); the default tolerances.
 * @throws InputError naming the field that is wrong.
 */
export async function loadDeployConfig(
  path: string | undefined,
  deployer: Address,
  casesDir: string,
): Promise<EvmDeployConfig> {
  let raw: Record<string, unknown> = {};
  let base = process.cwd();
  if (path !== undefined) {
    const file = resolve(path);
    base = dirname(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new InputError(`--config ${file} cannot be read`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(`--config ${file} is not JSON: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new InputError(`--config ${file}: expected a JSON object`);
  }
  if (raw.pricing !== undefined && raw.pricing !== 'dc') {
    throw new InputError(
      `market.json: pricing: only "dc" is verifiable on an EVM chain, got ${JSON.stringify(raw.pricing)}`,
    );
  }
  const netSpec = raw.network ?? resolve(casesDir, 'case33bw_congested.m');
  let network: NetworkJson;
  if (typeof netSpec === 'string') {
    const p = resolve(base, netSpec);
    if (p.endsWith('.m')) network = networkToJson(await loadMatpower(p));
    else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(p, 'utf8'));
      } catch {
        throw new InputError(`market.json: network: ${p} is neither a MATPOWER .m file nor readable JSON`);
      }
      const c = checkNetworkJson(parsed);
      if (!c.ok) throw new InputError(`market.json: ${c.reason}`);
      network = c.network;
    }
  } else {
    const c = checkNetworkJson(netSpec);
    if (!c.ok) throw new InputError(`market.json: ${c.reason}`);
    network = c.network;
  }
  const m = (raw.market ?? {}) as Record<string, unknown>;
  const up = (m.upstream ?? {}) as Record<string, unknown>;
  const ref = network.buses.find((b) => b.type === 3)?.id ?? network.buses[0]!.id;
  const addr = (v: unknown, field: string): Address => {
    if (v === undefined) return deployer;
    if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) return v as Address;
    throw new InputError(
      `market.json: ${field}: expected a 0x address of 20 bytes, got ${JSON.stringify(v)}`,
    );
  };
  const MWH = 1_000_000n;
  const market: EvmMarketConfig = {
    gridOperator: addr(m.gridOperator, 'market.gridOperator'),
    intervalMs: big(m.intervalMs, 'market.intervalMs', 300_000n),
    gateLeadMs: big(m.gateLeadMs, 'market.gateLeadMs', 60_000n),
    settlementDelayMs: big(m.settlementDelayMs, 'market.settlementDelayMs', 600_000n),
    firstInterval: big(m.firstInterval, 'market.firstInterval', 0n),
    upstream: {
      bus: big(up.bus, 'market.upstream.bus', BigInt(ref)),
      account: addr(up.account, 'market.upstream.account'),
      importPriceMicrosPerMWh: big(
        up.importPriceMicrosPerMWh,
        'market.upstream.importPriceMicrosPerMWh',
        60n * MWH,
      ),
      exportPriceMicrosPerMWh: big(
        up.exportPriceMicrosPerMWh,
        'market.upstream.exportPriceMicrosPerMWh',
        20n * MWH,
      ),
      capacityWh: big(up.capacityWh, 'market.upstream.capacityWh', 10n * MWH),
    },
    shortfallPriceMicrosPerMWh: big(
      m.shortfallPriceMicrosPerMWh,
      'market.shortfallPriceMicrosPerMWh',
      120n * MWH,
    ),
    surplusPriceMicrosPerMWh: big(m.surplusPriceMicrosPerMWh, 'market.surplusPriceMicrosPerMWh', 10n * MWH),
    maxOrdersPerAccount: Number(big(m.maxOrdersPerAccount, 'market.maxOrdersPerAccount', 16n)),
    maxStepsPerOrder: Number(big(m.maxStepsPerOrder, 'market.maxStepsPerOrder', 8n)),
    minStepWh: big(m.minStepWh, 'market.minStepWh', 1n),
    maxOrderWh: big(m.maxOrderWh, 'market.maxOrderWh', 0n),
    clock: { blockOriginMs: 0n, marketOriginMs: 0n, scale: 1n },
  };
  if (up.tariff !== undefined) market.tariff = tariffOf(up.tariff);
  if (up.tariffLeadMs !== undefined) {
    const lead = big(up.tariffLeadMs, 'market.upstream.tariffLeadMs', 0n);
    if (lead <= 0n)
      throw new InputError(`market.json: market.upstream.tariffLeadMs: expected > 0 ms, got ${lead}`);
    market.tariffLeadMs = lead;
  }
  if (m.ordersCappedByMeters !== undefined) {
    if (typeof m.ordersCappedByMeters !== 'boolean') {
      throw new InputError(
        `market.json: market.ordersCappedByMeters: expected true or false, got ${JSON.stringify(m.ordersCappedByMeters)}`,
      );
    }
    market.ordersCappedByMeters = m.ordersCappedByMeters;
  }
  {
    if (
      m.realtime !== undefined &&
      (typeof m.realtime !== 'object' || m.realtime === null || Array.isArray(m.realtime))
    )
      throw new InputError(
        `market.json: market.realtime: expected an object (the second settlement's parameters, each optional), got ${JSON.stringify(m.realtime)}`,
      );
    const r = (m.realtime ?? {}) as Record<string, unknown>;
    const penalty = big(
      r.penaltyMicrosPerMWh,
      'market.realtime.penaltyMicrosPerMWh',
      DEFAULT_EVM_PENALTY_MICROS_PER_MWH,
    );
    const cap = big(
      r.priceCapMicrosPerMWh,
      'market.realtime.priceCapMicrosPerMWh',
      market.shortfallPriceMicrosPerMWh - penalty,
    );
    const floor = big(r.priceFloorMicrosPerMWh, 'market.realtime.priceFloorMicrosPerMWh', 0n);
    const nonReporting = big(r.nonReportingPenaltyMicros, 'market.realtime.nonReportingPenaltyMicros', 0n);
    const damages = big(r.liquidatedDamagesMicrosPerMWh, 'market.realtime.liquidatedDamagesMicrosPerMWh', 0n);
    if (damages < 0n) {
      throw new InputError(
        `market.json: market.realtime.liquidatedDamagesMicrosPerMWh: expected >= 0, got ${damages}`,
      );
    }
    if (penalty <= 0n) {
      throw new InputError(`market.json: market.realtime.penaltyMicrosPerMWh: expected > 0, got ${penalty}`);
    }
    const floorMax =
      cap < market.upstream.exportPriceMicrosPerMWh ? cap : market.upstream.exportPriceMicrosPerMWh;
    if (floor < -MAX_PRICE || floor > floorMax) {
      throw new InputError(
        `market.json: market.realtime.priceFloorMicrosPerMWh: expected -${MAX_PRICE}..${floorMax} (at most the price cap and the upstream export price; may be negative, as native), got ${floor}`,
      );
    }
    if (cap + penalty !== market.shortfallPriceMicrosPerMWh) {
      throw new InputError(
        `market.json: market.realtime.priceCapMicrosPerMWh: expected shortfallPriceMicrosPerMWh − penalty = ${market.shortfallPriceMicrosPerMWh - penalty} (the sell collateral's price is cap + penalty, as native), got ${cap}`,
      );
    }
    if (nonReporting < 0n) {
      throw new InputError(
        `market.json: market.realtime.nonReportingPenaltyMicros: expected >= 0, got ${nonReporting}`,
      );
    }
    // The true-up window, the energy-balance tolerance and the upstream meter (native imbalance.trueUpDelayMs,
    // imbalance.balanceToleranceWh, upstream.meter; docs/evm.md "The second settlement").
    const trueUpDelayMs = big(r.trueUpDelayMs, 'market.realtime.trueUpDelayMs', 0n);
    const balanceToleranceWh = big(r.balanceToleranceWh, 'market.realtime.balanceToleranceWh', 0n);
    for (const [field, v] of [
      ['trueUpDelayMs', trueUpDelayMs],
      ['balanceToleranceWh', balanceToleranceWh],
    ] as const) {
      if (v < 0n || v >= 2n ** 64n)
        throw new InputError(`market.json: market.realtime.${field}: expected 0..2^64 − 1, got ${v}`);
    }
    const upstreamMeter =
      r.upstreamMeter === undefined ? undefined : big(r.upstreamMeter, 'market.realtime.upstreamMeter', 0n);
    if (upstreamMeter !== undefined && upstreamMeter < 0n)
      throw new InputError(
        `market.json: market.realtime.upstreamMeter: expected a meter id >= 0, got ${upstreamMeter}`,
      );
    market.realtime = {
      penaltyMicrosPerMWh: penalty,
      priceCapMicrosPerMWh: cap,
      priceFloorMicrosPerMWh: floor,
      nonReportingPenaltyMicros: nonReporting,
      liquidatedDamagesMicrosPerMWh: damages,
      trueUpDelayMs,
      balanceToleranceWh,
      ...(upstreamMeter === undefined ? {} : { upstreamMeter }),
    };
  }
  if (m.sealed !== undefined) {
    const sb = (m.sealed ?? {}) as Record<string, unknown>;
    const revealWindowMs = big(sb.revealWindowMs, 'market.sealed.revealWindowMs', market.gateLeadMs);
    const forfeitBps = big(sb.forfeitBps, 'market.sealed.forfeitBps', 1000n);
    if (revealWindowMs <= 0n || revealWindowMs > market.gateLeadMs) {
      throw new InputError(
        `market.json: market.sealed.revealWindowMs: expected 1..gateLeadMs (${market.gateLeadMs}), got ${revealWindowMs}`,
      );
    }
    if (forfeitBps > 10_000n) {
      throw new InputError(`market.json: market.sealed.forfeitBps: expected 0..10000, got ${forfeitBps}`);
    }
    market.sealed = { revealWindowMs, forfeitBps: Number(forfeitBps) };
  }
  if (market.intervalMs % 60_000n !== 0n || 60n % (market.intervalMs / 60_000n || 61n) !== 0n) {
    throw new InputError(
      `market.json: market.intervalMs: expected whole minutes that divide an hour (the certificate's units), got ${market.intervalMs}`,
    );
  }
  if (!network.buses.some((b) => BigInt(b.id) === market.upstream.bus)) {
    throw new InputError(
      `market.json: market.upstream.bus: bus ${market.upstream.bus} is not in network ${network.name}`,
    );
  }
  const t = (raw.tolerances ?? {}) as Record<string, unknown>;
  const tolerances: CertificateTolerances = {
    priceMicrosPerMWh: big(
      t.priceMicrosPerMWh,
      'tolerances.priceMicrosPerMWh',
      DEFAULT_TOLERANCES.priceMicrosPerMWh,
    ),
    flowW: big(t.flowW, 'tolerances.flowW', DEFAULT_TOLERANCES.flowW),
    quantityWh: big(t.quantityWh, 'tolerances.quantityWh', DEFAULT_TOLERANCES.quantityWh),
  };
  return { pricing: 'dc', network, market, tolerances };
}

/**
 * Deploys the market's contracts, registers the network (the deployer must be the grid operator for
 * that), deploys and names the ClearingVerifier, the DigitalTwin, and the RealtimeBook with its verifier
 * (the second settlement's real-time prices).
 * @throws InputError when the network's bus ids are not ascending or a transaction reverts.
 */
export async function deployPlatform(
  c: EvmClients,
  cfg: EvmDeployConfig,
): Promise<{ addresses: EvmAddresses; gasUsed: Record<string, bigint> }> {
  const ids = cfg.network.buses.map((b) => BigInt(b.id));
  if (ids.some((id, i) => i > 0 && id <= ids[i - 1]!)) {
    throw new InputError(`network ${cfg.network.name}: the registry needs its bus ids in ascending order`);
  }
  if (cfg.market.gridOperator.toLowerCase() !== c.wallet.account.address.toLowerCase()) {
    throw new InputError('market.gridOperator must be the deploying key, which registers the network');
  }
  const minutes = Number(cfg.market.intervalMs / 60_000n);
  const net = integerNetwork(networkFromJson(cfg.network), minutes);
  const { addresses, gasUsed } = await deployMarket(c, { config: cfg.market });
  gasUsed.registerNetwork = (
    await sendCall(c, addresses.registry, RegistryAbi as Abi, 'registerNetwork', [
      JSON.stringify(cfg.network),
      ids,
      BigInt(cfg.network.branches.length),
    ])
  ).gasUsed;
  const version = (await c.public.readContract({
    address: addresses.registry,
    abi: RegistryAbi as Abi,
    functionName: 'networkVersion',
  })) as bigint;
  const v = await deployVerifier(c, {
    market: addresses.market,
    networkVersion: version,
    network: net,
    intervalMinutes: minutes,
    tolerances: cfg.tolerances,
  });
  gasUsed.verifier = v.gasUsed;
  await setClearingVerifier(c, addresses.market, v.address);
  const twin = await deployDigitalTwin(c, addresses.market, v.address);
  gasUsed.digitalTwin = twin.gasUsed;
  const rt = await deployRealtimePricer(c, addresses.market, {
    networkVersion: version,
    network: net,
    intervalMinutes: minutes,
    tolerances: cfg.tolerances,
  });
  gasUsed.realtime = rt.gasUsed;
  const out: EvmAddresses = {
    ...addresses,
    verifier: v.address,
    realtimeBook: rt.book,
    realtimeVerifier: rt.verifier,
    digitalTwin: twin.address,
    networkVersion: version.toString(),
  };
  return { addresses: out, gasUsed };
}
