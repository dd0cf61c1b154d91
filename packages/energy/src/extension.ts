// The energy market as an ExecutionApp extension: its three modules, its genesis (the market
// configuration written into state, so the state root commits to it) and its begin-block step, which in
// every block (before the transactions) first clears each interval whose gate (with sealed bids: the end
// of its reveal window, after forfeiting unrevealed commitments) the block's market time
// (config.ts: the market clock) has reached, in interval order, then settles cleared intervals in order while each is ready (all expected
// readings in, or its deadline passed); failed intervals are skipped. Each interval's clearing and
// settlement runs contained (contained.ts): a throw reverts it and fails that interval, not the block.
import {
  type ExecutionAppOptions,
  type JournaledState,
  type Log,
  type ModuleRegistry,
  PROMISES_ADDRESS,
} from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';
import { clearInterval } from './clearing.ts';
import {
  checkMarketConfig,
  clearingMs,
  deadlineMs,
  MARKET_PRICINGS,
  type MarketConfig,
  marketTimeMs,
} from './config.ts';
import { IMBALANCE_FIELDS } from './config-json.ts';
import { type IntervalStepObserver, runContained } from './contained.ts';
import { MarketModule } from './market.ts';
import { INTERVAL_STATUS, marketKeys } from './market-keys.ts';
import { MetersModule } from './meters.ts';
import { RegistryModule } from './registry.ts';
import { isSettlementInput } from './reserved-lane.ts';
import { closeReveal } from './sealed-orders.ts';
import { readyToSettle, settleInterval } from './settlement.ts';
import { TariffModule } from './tariffs.ts';
import { encodeSigned } from './words.ts';

/** The extension type ExecutionApp accepts. */
export type EnergyExtension = NonNullable<ExecutionAppOptions['extensions']>[number];

/** State keys of the configuration (prefix <market address>:cfg:). */
export const configKeys = (name: string) => `${MARKET_ADDRESS}:cfg:${name}`;

/** The configuration's fields as state words, in a fixed order. */
export function configWords(c: MarketConfig): [string, bigint][] {
  return [
    ['chainId', c.chainId],
    ['gridOperator', BigInt(c.gridOperator)],
    ['intervalMs', c.intervalMs],
    ['gateLeadMs', c.gateLeadMs],
    ['settlementDelayMs', c.settlementDelayMs],
    ['firstInterval', c.firstInterval],
    ['upstream.bus', BigInt(c.upstream.bus)],
    ['upstream.account', BigInt(c.upstream.account)],
    ['upstream.importPrice', c.upstream.importPriceMicrosPerMWh],
    ['upstream.exportPrice', c.upstream.exportPriceMicrosPerMWh],
    ['upstream.capacityWh', c.upstream.capacityWh],
    ...IMBALANCE_FIELDS.map((k) => [`imbalance.${k}`, c.imbalance[k]] as [string, bigint]),
    ...(c.upstream.meter === undefined ? [] : ([['upstream.meter', c.upstream.meter]] as [string, bigint][])),
    ['maxOrdersPerAccount', BigInt(c.maxOrdersPerAccount)],
    ['maxStepsPerOrder', BigInt(c.maxStepsPerOrder)],
    ...(c.upstream.tariffLeadMs === undefined
      ? []
      : ([['upstream.tariffLeadMs', c.upstream.tariffLeadMs]] as [string, bigint][])),
    ...(c.upstream.tariff ?? []).flatMap(
      (p, j) =>
        [
          [`upstream.tariff.${j}.fromMinute`, BigInt(p.fromMinute)],
          [`upstream.tariff.${j}.importPrice`, p.importPriceMicrosPerMWh],
          [`upstream.tariff.${j}.exportPrice`, p.exportPriceMicrosPerMWh],
        ] as [string, bigint][],
    ),
    ...(c.minStepWh === undefined ? [] : ([['minStepWh', c.minStepWh]] as [string, bigint][])),
    ...(c.maxOrderWh === undefined ? [] : ([['maxOrderWh', c.maxOrderWh]] as [string, bigint][])),
    ...(c.ordersCappedByMeters ? ([['ordersCappedByMeters', 1n]] as [string, bigint][]) : []),
    ...(c.clock === undefined
      ? []
      : ([
          ['clock.blockOriginMs', c.clock.blockOriginMs],
          ['clock.marketOriginMs', c.clock.marketOriginMs],
          ['clock.scale', c.clock.scale],
        ] as [string, bigint][])),
    ...(c.sealed === undefined
      ? []
      : ([
          ['sealed.revealWindowMs', c.sealed.revealWindowMs],
          ['sealed.forfeitBps', c.sealed.forfeitBps],
        ] as [string, bigint][])),
    // Only a non-default model is written, so DC markets keep their genesis state (and root).
    ...(c.pricing === undefined || c.pricing === 'dc'
      ? []
      : ([['pricing', BigInt(MARKET_PRICINGS.indexOf(c.pricing))]] as [string, bigint][])),
  ];
}

/**
 * Runs the market's begin-block step: clearing due intervals, then settling ready ones.
 * Exposed for benchmarks and tools; the app calls it through the extension.
 */
export async function beginMarketBlock(
  state: JournaledState,
  modules: ModuleRegistry,
  config: MarketConfig,
  env: { height: bigint; timeMs: bigint },
  observe?: IntervalStepObserver,
): Promise<Log[]> {
  const logs: Log[] = [];
  const now = marketTimeMs(config, env.timeMs);
  let k = state.get(marketKeys.clearNext);
  while (clearingMs(config, k) <= now) {
    logs.push(...closeReveal(state, modules, config, env, k));
    const clear = () => clearInterval(state, modules, config, env, k);
    logs.push(...(await runContained(state, modules, env, k, 'clearing', clear, observe)));
    k++;
    state.set(marketKeys.clearNext, k);
  }
  let s = state.get(marketKeys.settleNext);
  while (s < k) {
    const st = state.get(marketKeys.interval(s).status);
    if (st === INTERVAL_STATUS.cleared) {
      if (!readyToSettle(state, deadlineMs(config, s), now, s)) break;
      const settle = () => settleInterval(state, modules, config, env, s);
      logs.push(...(await runContained(state, modules, env, s, 'settlement', settle, observe)));
    }
    s++;
    state.set(marketKeys.settleNext, s);
  }
  return logs;
}

/**
 * The energy extension for `ExecutionApp.load({ ..., extensions: [energyExtension(config)] })`.
 * @example const app = await ExecutionApp.load({ chainId, genesis, extensions: [energyExtension(config)] });
 */
export function energyExtension(
  rawConfig: MarketConfig,
  options: { observeIntervalSteps?: IntervalStepObserver } = {},
): EnergyExtension {
  const config = checkMarketConfig(rawConfig);
  return {
    name: 'energy',
    modules: () => [
      new RegistryModule(),
      new MarketModule(config),
      new MetersModule(config),
      new TariffModule(config),
    ],
    genesis: (state) => {
      for (const [name, v] of configWords(config)) state.set(configKeys(name), encodeSigned(v));
      state.set(marketKeys.clearNext, config.firstInterval);
      state.set(marketKeys.settleNext, config.firstInterval);
      state.set(marketKeys.nextOrder, 1n);
      // Promise ids continue after any the platform genesis minted (dev networks mint ids 1..N).
      const prefix = `${PROMISES_ADDRESS}:owner:`;
      let maxId = 0n;
      for (const [key] of state.entriesWithPrefix(prefix)) {
        const id = BigInt(key.slice(prefix.length));
        if (id > maxId) maxId = id;
      }
      state.set(marketKeys.nextPromise, maxId + 1n);
    },
    beginBlock: (state, modules, env) =>
      beginMarketBlock(state, modules, config, env, options.observeIntervalSteps),
    reservedLane: isSettlementInput,
  };
}
