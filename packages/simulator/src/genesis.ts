// The genesis of a scenario's chain: the market configuration (interval length, gate lead, settlement
// delay, upstream tariff, imbalance prices, and the market clock that runs simulated time `clockScale`
// times faster than block time from the scenario's start) and the device accounts to register and fund.
// Used with `initDevNetwork({ ..., energy, extraAccounts })` of @gridledger/node (the grid operator and
// admin are the dev accounts).
import { dollarsPerMWhToMicros, dollarsToMicros, minutesToMs } from '@gridledger/base';
import { checkMarketConfig, type MarketConfig, type TariffPeriod } from '@gridledger/energy';
import { type Address, buildDevAccounts, type RoleName, randomEthChainId } from '@gridledger/execution';
import { buildPopulation, type SimDevice } from './population.ts';
import type { Scenario } from './scenario.ts';

/** Options of {@link scenarioGenesis}. */
export interface ScenarioGenesisOptions {
  /** The network's genesis time (block time of the chain's start), ms. */
  genesisTimeMs: bigint;
  /**
   * The network's Ethereum chain id, which the market's EIP-712 domain names (default: a random one;
   * `initDevNetwork({ energy })` then writes the market's chain id into genesis).
   */
  ethChainId?: bigint;
  /** The grid operator and upstream account (default: the dev grid-operator). */
  gridOperator?: Address;
  /**
   * Block time the setup (network, meters, participants) is expected to take, ms: the simulated start is
   * placed that long after genesis (default 8 s + 10 ms per device: registering 10,000 devices took 82 s
   * on the 2-core development machine).
   */
  setupAllowanceMs?: bigint;
}

/** What a scenario's chain needs at genesis. */
export interface ScenarioGenesis {
  energy: MarketConfig;
  extraAccounts: { address: Address; roles: RoleName[]; cash: bigint }[];
  devices: SimDevice[];
}

/**
 * The market configuration and device accounts of a scenario.
 * @example
 * const g = scenarioGenesis(scenario, { genesisTimeMs: BigInt(Date.now()) });
 * initDevNetwork({ validators: 4, outDir, energy: g.energy, extraAccounts: g.extraAccounts, genesisTime });
 */
export function scenarioGenesis(s: Scenario, opts: ScenarioGenesisOptions): ScenarioGenesis {
  const devices = buildPopulation(s);
  const gridOperator =
    opts.gridOperator ?? buildDevAccounts().accounts.find((a) => a.role === 'grid-operator')!.address;
  const intervalMs = minutesToMs(s.intervalMinutes);
  const allowance = opts.setupAllowanceMs ?? 8_000n + 10n * BigInt(devices.length);
  const clock = {
    blockOriginMs: opts.genesisTimeMs + allowance,
    marketOriginMs: BigInt(s.startMs),
    scale: s.clockScale,
  };
  const marketAtGenesis = clock.marketOriginMs - allowance * clock.scale;
  const gateLeadMs = BigInt(s.gateLeadIntervals) * intervalMs;
  const energy = checkMarketConfig({
    chainId: opts.ethChainId ?? randomEthChainId(),
    gridOperator,
    intervalMs,
    gateLeadMs,
    settlementDelayMs: BigInt(s.settlementDelayIntervals) * intervalMs,
    firstInterval: marketAtGenesis / intervalMs + 1n,
    upstream: {
      bus: s.upstream.bus,
      account: gridOperator,
      importPriceMicrosPerMWh: dollarsPerMWhToMicros(s.upstream.importPricePerMWh),
      exportPriceMicrosPerMWh: dollarsPerMWhToMicros(s.upstream.exportPricePerMWh),
      capacityWh: BigInt(Math.round(s.upstream.capacityKwhPerInterval * 1000)),
      ...scenarioTariff(s),
    },
    imbalance: {
      penaltyMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.penaltyPerMWh),
      priceCapMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.priceCapPerMWh),
      priceFloorMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.priceFloorPerMWh),
      nonReportingPenaltyMicros: dollarsToMicros(s.imbalance.nonReportingPenalty),
      trueUpDelayMs: BigInt(s.imbalance.trueUpIntervals) * intervalMs,
      liquidatedDamagesMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.liquidatedDamagesPerMWh),
      balanceToleranceWh: 1_000n,
    },
    maxOrdersPerAccount: 2,
    maxStepsPerOrder: 4,
    // Each device's orders within what its meter's connection carries (docs/market-rules.md §10 "Orders").
    ordersCappedByMeters: true,
    clock,
    // Sealed bids: reveals through the whole gate lead, the clearing as the interval starts
    // (docs/market-rules.md §6b): at a fast clock a gate lead is a few seconds of wall time, a few blocks.
    ...(s.sealedBids ? { sealed: { revealWindowMs: gateLeadMs, forfeitBps: 1_000n } } : {}),
    ...(s.pricing === 'ac' ? { pricing: 'ac' as const } : {}),
  });
  const cash = dollarsToMicros(s.cashPerDevice);
  return {
    energy,
    devices,
    extraAccounts: devices.map((d) => ({ address: d.account.address, roles: ['PARTICIPANT_ROLE'], cash })),
  };
}

/**
 * The scenario's upstream tariff as the market configuration takes it (`upstream.tariff`,
 * `upstream.tariffLeadMs`), each only when the scenario sets it: the native genesis and the EVM
 * deployment (evmDeployConfig) both use this.
 */
export function scenarioTariff(s: Scenario): { tariff?: TariffPeriod[]; tariffLeadMs?: bigint } {
  const u = s.upstream;
  return {
    ...(u.tariff === undefined
      ? {}
      : {
          tariff: u.tariff.map((p) => ({
            fromMinute: p.fromMinute,
            importPriceMicrosPerMWh: dollarsPerMWhToMicros(p.importPricePerMWh),
            exportPriceMicrosPerMWh: dollarsPerMWhToMicros(p.exportPricePerMWh),
          })),
        }),
    ...(u.tariffLeadMinutes === undefined ? {} : { tariffLeadMs: minutesToMs(u.tariffLeadMinutes) }),
  };
}
