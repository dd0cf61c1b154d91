// The upstream tariff module (0x…1014): the upstream connection's import and export prices by time of
// day. Genesis gives the initial schedule (config `upstream.tariff`, or one period at the flat prices);
// the grid operator replaces it with `setTariff`, which applies only to intervals whose gate is at least
// `tariffLeadMs` of market time after the block that set it (so no one is surprised by a price that
// applies to an interval already trading), and emits TariffScheduled. The clearing of interval k uses
// the schedule in force for k (the latest one whose first interval is <= k) at the period that contains
// k's start (minute of the day of market time, UTC).
// State keys (prefix <tariffs address>):
//   :n                      number of schedules set on chain (1, 2, ...; the genesis one is 0, not stored)
//   :v:<i>:from             first interval schedule i applies to (non-decreasing in i)
//   :v:<i>:len, :v:<i>:p:<j> its periods: fromMinute·2^128 + importPrice·2^64 + exportPrice
import { AbiModule, type CallContext, hasRole, prepareEvent, revertReason } from '@gridledger/execution';
import { parseAbi } from 'viem';
import { TARIFFS_ADDRESS } from './addresses.ts';
import {
  checkTariffPeriods,
  DEFAULT_TARIFF_LEAD_MS,
  gateMs,
  initialTariff,
  type MarketConfig,
  MINUTES_PER_DAY,
  marketTimeMs,
  type TariffPeriod,
} from './config.ts';
import { marketKeys } from './market-keys.ts';
import { maxBig, type StateReader } from './words.ts';

/** The tariff module's ABI. */
export const TARIFFS_ABI = parseAbi([
  'function setTariff(uint256[] fromMinute, uint256[] importPriceMicrosPerMWh, uint256[] exportPriceMicrosPerMWh)',
  'function tariffAt(uint64 interval) view returns (uint256 importPriceMicrosPerMWh, uint256 exportPriceMicrosPerMWh)',
  'function tariffSchedule(uint64 interval) view returns (uint256 version, uint64 fromInterval, uint256[] fromMinute, uint256[] importPriceMicrosPerMWh, uint256[] exportPriceMicrosPerMWh)',
  'function tariffLead() view returns (uint256 leadMs, uint64 firstSettableInterval)',
  'event TariffScheduled(uint256 indexed version, uint64 indexed fromInterval, uint256[] fromMinute, uint256[] importPriceMicrosPerMWh, uint256[] exportPriceMicrosPerMWh)',
]);
const EV = { scheduled: prepareEvent(TARIFFS_ABI, 'TariffScheduled') };

/** Most schedules waiting to apply (set, not yet reached by the clearing): bounds the look-up. */
export const MAX_PENDING_TARIFFS = 8;

const T = TARIFFS_ADDRESS;
/** State keys of the tariff module. */
export const tariffKeys = {
  count: `${T}:n`,
  from: (i: bigint) => `${T}:v:${i}:from`,
  length: (i: bigint) => `${T}:v:${i}:len`,
  period: (i: bigint, j: number) => `${T}:v:${i}:p:${j}`,
};
const K = tariffKeys;
const M64 = (1n << 64n) - 1n;

const pack = (p: TariffPeriod) =>
  (BigInt(p.fromMinute) << 128n) | (p.importPriceMicrosPerMWh << 64n) | p.exportPriceMicrosPerMWh;
const unpack = (w: bigint): TariffPeriod => ({
  fromMinute: Number(w >> 128n),
  importPriceMicrosPerMWh: (w >> 64n) & M64,
  exportPriceMicrosPerMWh: w & M64,
});

/** The notice a tariff change needs, ms of market time. */
export const tariffLeadMs = (c: MarketConfig) => c.upstream.tariffLeadMs ?? DEFAULT_TARIFF_LEAD_MS;

/** The first interval a tariff set at market time `nowMs` applies to: the first whose gate is >= now + lead. */
export function firstTariffInterval(c: MarketConfig, nowMs: bigint): bigint {
  const t = nowMs + tariffLeadMs(c) + c.gateLeadMs;
  let k = (t + c.intervalMs - 1n) / c.intervalMs;
  while (gateMs(c, k) < nowMs + tariffLeadMs(c)) k++;
  return k;
}

/** Minute of the day (market time, UTC) at which interval k starts. */
export const intervalMinuteOfDay = (c: MarketConfig, k: bigint) =>
  Number(((k * c.intervalMs) / 60_000n) % BigInt(MINUTES_PER_DAY));

/** A schedule: its version (0 = genesis), first interval and periods. */
export interface TariffSchedule {
  version: bigint;
  fromInterval: bigint;
  periods: TariffPeriod[];
}

/** Unmetered reads of the tariffs. */
export const tariffView = {
  /** The schedule in force for interval k. */
  scheduleAt(s: StateReader, c: MarketConfig, k: bigint): TariffSchedule {
    for (let i = s.get(K.count); i >= 1n; i--) {
      const from = s.get(K.from(i));
      if (from > k) continue;
      const n = Number(s.get(K.length(i)));
      const periods: TariffPeriod[] = [];
      for (let j = 0; j < n; j++) periods.push(unpack(s.get(K.period(i, j))));
      return { version: i, fromInterval: from, periods };
    }
    return { version: 0n, fromInterval: c.firstInterval, periods: initialTariff(c) };
  },
  /** The import and export prices of interval k, µ$/MWh. */
  pricesAt(
    s: StateReader,
    c: MarketConfig,
    k: bigint,
  ): { importPriceMicrosPerMWh: bigint; exportPriceMicrosPerMWh: bigint } {
    const { periods } = tariffView.scheduleAt(s, c, k);
    const minute = intervalMinuteOfDay(c, k);
    let p = periods[0]!;
    for (const q of periods) if (q.fromMinute <= minute) p = q;
    return {
      importPriceMicrosPerMWh: p.importPriceMicrosPerMWh,
      exportPriceMicrosPerMWh: p.exportPriceMicrosPerMWh,
    };
  },
};

/**
 * The tariff module.
 * @example app modules: new TariffModule(config)
 */
export class TariffModule extends AbiModule {
  constructor(config: MarketConfig) {
    super('tariffs', TARIFFS_ADDRESS, TARIFFS_ABI, {
      setTariff: (ctx, [from, imp, exp]) => {
        if (!hasRole(ctx, 'GRID_OPERATOR_ROLE', ctx.sender))
          throw revertReason(`tariffs: setTariff needs GRID_OPERATOR_ROLE, ${ctx.sender} does not hold it`);
        const f = from as readonly bigint[];
        const i = imp as readonly bigint[];
        const e = exp as readonly bigint[];
        if (f.length !== i.length || f.length !== e.length)
          throw revertReason(
            `tariffs: expected as many import and export prices as periods, got ${f.length}, ${i.length}, ${e.length}`,
          );
        if (f.some((m) => m >= BigInt(MINUTES_PER_DAY)))
          throw revertReason(
            `tariffs: a period starts at minute ${f.find((m) => m >= 1440n)}, expected below 1440`,
          );
        const periods = f.map((m, j) => ({
          fromMinute: Number(m),
          importPriceMicrosPerMWh: i[j]!,
          exportPriceMicrosPerMWh: e[j]!,
        }));
        const bad = checkTariffPeriods(periods);
        if (bad !== undefined) throw revertReason(`tariffs: ${bad}`);
        const now = marketTimeMs(config, ctx.env.timeMs);
        const clearNext = ctx.read(marketKeys.clearNext);
        const first = maxBig(firstTariffInterval(config, now), clearNext);
        const n = ctx.read(K.count);
        let pending = 0;
        for (let v = n; v >= 1n && ctx.read(K.from(v)) >= clearNext; v--) pending++;
        if (pending >= MAX_PENDING_TARIFFS)
          throw revertReason(
            `tariffs: ${pending} schedules are already waiting to apply (at most ${MAX_PENDING_TARIFFS}); wait until the next one applies`,
          );
        const v = n + 1n;
        ctx.write(K.count, v);
        ctx.write(K.from(v), first);
        ctx.write(K.length(v), BigInt(periods.length));
        periods.forEach((p, j) => {
          ctx.write(K.period(v, j), pack(p));
        });
        ctx.emit(T, EV.scheduled, {
          version: v,
          fromInterval: first,
          fromMinute: f,
          importPriceMicrosPerMWh: i,
          exportPriceMicrosPerMWh: e,
        });
        return [];
      },
      tariffAt: (ctx, [interval]) => {
        touch(ctx);
        const p = tariffView.pricesAt(ctx.state, config, interval as bigint);
        return [p.importPriceMicrosPerMWh, p.exportPriceMicrosPerMWh];
      },
      tariffSchedule: (ctx, [interval]) => {
        touch(ctx);
        const s = tariffView.scheduleAt(ctx.state, config, interval as bigint);
        return [
          s.version,
          s.fromInterval,
          s.periods.map((p) => BigInt(p.fromMinute)),
          s.periods.map((p) => p.importPriceMicrosPerMWh),
          s.periods.map((p) => p.exportPriceMicrosPerMWh),
        ];
      },
      tariffLead: (ctx) => [
        tariffLeadMs(config),
        maxBig(
          firstTariffInterval(config, marketTimeMs(config, ctx.env.timeMs)),
          ctx.read(marketKeys.clearNext),
        ),
      ],
    });
  }
}

/** Charges a view for reading the schedule count (the look-up reads at most a few schedules more). */
function touch(ctx: CallContext): void {
  ctx.read(K.count);
}
