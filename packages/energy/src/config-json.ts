// The market configuration's JSON form, as genesis.json carries it (`appState.energy`): integers as decimal
// strings (they are bigints in units named by the field), addresses as 0x strings. Decoding checks every
// field and names the one that is wrong, then applies checkMarketConfig's rules.
import { InputError } from '@gridledger/base';
import type { Address } from '@gridledger/execution';
import {
  checkMarketConfig,
  type ImbalanceConfig,
  MARKET_PRICINGS,
  type MarketConfig,
  type MarketPricing,
} from './config.ts';

/** The fields of the imbalance configuration, in their state order. */
export const IMBALANCE_FIELDS = [
  'penaltyMicrosPerMWh',
  'priceCapMicrosPerMWh',
  'priceFloorMicrosPerMWh',
  'nonReportingPenaltyMicros',
  'trueUpDelayMs',
  'liquidatedDamagesMicrosPerMWh',
  'balanceToleranceWh',
] as const satisfies readonly (keyof ImbalanceConfig)[];

/** The JSON form of {@link MarketConfig}. */
export interface MarketConfigJson {
  chainId: string;
  gridOperator: string;
  intervalMs: string;
  gateLeadMs: string;
  settlementDelayMs: string;
  firstInterval: string;
  upstream: {
    bus: number;
    account: string;
    importPriceMicrosPerMWh: string;
    exportPriceMicrosPerMWh: string;
    capacityWh: string;
    tariff?: { fromMinute: number; importPriceMicrosPerMWh: string; exportPriceMicrosPerMWh: string }[];
    tariffLeadMs?: string;
    meter?: string;
  };
  imbalance: {
    penaltyMicrosPerMWh: string;
    priceCapMicrosPerMWh: string;
    priceFloorMicrosPerMWh: string;
    nonReportingPenaltyMicros: string;
    trueUpDelayMs: string;
    liquidatedDamagesMicrosPerMWh: string;
    balanceToleranceWh: string;
  };
  maxOrdersPerAccount: number;
  maxStepsPerOrder: number;
  minStepWh?: string;
  maxOrderWh?: string;
  ordersCappedByMeters?: boolean;
  clock?: { blockOriginMs: string; marketOriginMs: string; scale: string };
  sealed?: { revealWindowMs: string; forfeitBps: string };
  /** "dc" (default) or "ac". */
  pricing?: MarketPricing;
}

/**
 * The JSON form of a market configuration.
 * @example JSON.stringify(encodeMarketConfigJson(config))
 */
export function encodeMarketConfigJson(c: MarketConfig): MarketConfigJson {
  return {
    chainId: c.chainId.toString(),
    gridOperator: c.gridOperator,
    intervalMs: c.intervalMs.toString(),
    gateLeadMs: c.gateLeadMs.toString(),
    settlementDelayMs: c.settlementDelayMs.toString(),
    firstInterval: c.firstInterval.toString(),
    upstream: {
      bus: c.upstream.bus,
      account: c.upstream.account,
      importPriceMicrosPerMWh: c.upstream.importPriceMicrosPerMWh.toString(),
      exportPriceMicrosPerMWh: c.upstream.exportPriceMicrosPerMWh.toString(),
      capacityWh: c.upstream.capacityWh.toString(),
      ...(c.upstream.tariff === undefined
        ? {}
        : {
            tariff: c.upstream.tariff.map((p) => ({
              fromMinute: p.fromMinute,
              importPriceMicrosPerMWh: p.importPriceMicrosPerMWh.toString(),
              exportPriceMicrosPerMWh: p.exportPriceMicrosPerMWh.toString(),
            })),
          }),
      ...(c.upstream.tariffLeadMs === undefined ? {} : { tariffLeadMs: c.upstream.tariffLeadMs.toString() }),
      ...(c.upstream.meter === undefined ? {} : { meter: c.upstream.meter.toString() }),
    },
    imbalance: Object.fromEntries(
      IMBALANCE_FIELDS.map((k) => [k, c.imbalance[k].toString()]),
    ) as MarketConfigJson['imbalance'],
    maxOrdersPerAccount: c.maxOrdersPerAccount,
    maxStepsPerOrder: c.maxStepsPerOrder,
    ...(c.minStepWh === undefined ? {} : { minStepWh: c.minStepWh.toString() }),
    ...(c.maxOrderWh === undefined ? {} : { maxOrderWh: c.maxOrderWh.toString() }),
    ...(c.ordersCappedByMeters === undefined ? {} : { ordersCappedByMeters: c.ordersCappedByMeters }),
    ...(c.clock === undefined
      ? {}
      : {
          clock: {
            blockOriginMs: c.clock.blockOriginMs.toString(),
            marketOriginMs: c.clock.marketOriginMs.toString(),
            scale: c.clock.scale.toString(),
          },
        }),
    ...(c.sealed === undefined
      ? {}
      : {
          sealed: {
            revealWindowMs: c.sealed.revealWindowMs.toString(),
            forfeitBps: c.sealed.forfeitBps.toString(),
          },
        }),
    ...(c.pricing === undefined ? {} : { pricing: c.pricing }),
  };
}

/**
 * Decodes and checks the JSON form of a market configuration.
 * @throws InputError naming the field (`energy.upstream.bus`, ...) and what was expected.
 */
export function decodeMarketConfigJson(json: unknown, where = 'energy'): MarketConfig {
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new InputError(`${path}: expected an object`);
    return v as Record<string, unknown>;
  };
  const int = (o: Record<string, unknown>, k: string, path: string): bigint => {
    const v = o[k];
    if (typeof v !== 'string' || !/^-?[0-9]{1,40}$/.test(v))
      throw new InputError(`${path}.${k}: expected an integer as a decimal string, got ${JSON.stringify(v)}`);
    return BigInt(v);
  };
  const num = (o: Record<string, unknown>, k: string, path: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
      throw new InputError(`${path}.${k}: expected an integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const addr = (o: Record<string, unknown>, k: string, path: string): Address => {
    const v = o[k];
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
      throw new InputError(`${path}.${k}: expected a 0x address, got ${JSON.stringify(v)}`);
    return v.toLowerCase() as Address;
  };
  const o = obj(json, where);
  const up = obj(o.upstream, `${where}.upstream`);
  const im = obj(o.imbalance, `${where}.imbalance`);
  const clock = o.clock === undefined ? undefined : obj(o.clock, `${where}.clock`);
  const sealed = o.sealed === undefined ? undefined : obj(o.sealed, `${where}.sealed`);
  if (o.ordersCappedByMeters !== undefined && typeof o.ordersCappedByMeters !== 'boolean')
    throw new InputError(
      `${where}.ordersCappedByMeters: expected true or false, got ${JSON.stringify(o.ordersCappedByMeters)}`,
    );
  if (o.pricing !== undefined && !MARKET_PRICINGS.includes(o.pricing as MarketPricing))
    throw new InputError(`${where}.pricing: expected "dc" or "ac", got ${JSON.stringify(o.pricing)}`);
  const config: MarketConfig = {
    chainId: int(o, 'chainId', where),
    gridOperator: addr(o, 'gridOperator', where),
    intervalMs: int(o, 'intervalMs', where),
    gateLeadMs: int(o, 'gateLeadMs', where),
    settlementDelayMs: int(o, 'settlementDelayMs', where),
    firstInterval: int(o, 'firstInterval', where),
    upstream: {
      bus: num(up, 'bus', `${where}.upstream`),
      account: addr(up, 'account', `${where}.upstream`),
      importPriceMicrosPerMWh: int(up, 'importPriceMicrosPerMWh', `${where}.upstream`),
      exportPriceMicrosPerMWh: int(up, 'exportPriceMicrosPerMWh', `${where}.upstream`),
      capacityWh: int(up, 'capacityWh', `${where}.upstream`),
      ...(up.tariff === undefined
        ? {}
        : {
            tariff: (() => {
              if (!Array.isArray(up.tariff))
                throw new InputError(`${where}.upstream.tariff: expected an array of periods`);
              return up.tariff.map((t: unknown, j: number) => {
                const path = `${where}.upstream.tariff[${j}]`;
                const q = obj(t, path);
                return {
                  fromMinute: num(q, 'fromMinute', path),
                  importPriceMicrosPerMWh: int(q, 'importPriceMicrosPerMWh', path),
                  exportPriceMicrosPerMWh: int(q, 'exportPriceMicrosPerMWh', path),
                };
              });
            })(),
          }),
      ...(up.tariffLeadMs === undefined
        ? {}
        : { tariffLeadMs: int(up, 'tariffLeadMs', `${where}.upstream`) }),
      ...(up.meter === undefined ? {} : { meter: int(up, 'meter', `${where}.upstream`) }),
    },
    imbalance: Object.fromEntries(
      IMBALANCE_FIELDS.map((k) => [k, int(im, k, `${where}.imbalance`)]),
    ) as unknown as ImbalanceConfig,
    maxOrdersPerAccount: num(o, 'maxOrdersPerAccount', where),
    maxStepsPerOrder: num(o, 'maxStepsPerOrder', where),
    ...(o.minStepWh === undefined ? {} : { minStepWh: int(o, 'minStepWh', where) }),
    ...(o.maxOrderWh === undefined ? {} : { maxOrderWh: int(o, 'maxOrderWh', where) }),
    ...(o.ordersCappedByMeters === undefined
      ? {}
      : { ordersCappedByMeters: o.ordersCappedByMeters as boolean }),
    ...(clock === undefined
      ? {}
      : {
          clock: {
            blockOriginMs: int(clock, 'blockOriginMs', `${where}.clock`),
            marketOriginMs: int(clock, 'marketOriginMs', `${where}.clock`),
            scale: int(clock, 'scale', `${where}.clock`),
          },
        }),
    ...(sealed === undefined
      ? {}
      : {
          sealed: {
            revealWindowMs: int(sealed, 'revealWindowMs', `${where}.sealed`),
            forfeitBps: int(sealed, 'forfeitBps', `${where}.sealed`),
          },
        }),
    ...(o.pricing === undefined ? {} : { pricing: o.pricing as MarketPricing }),
  };
  try {
    return checkMarketConfig(config);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`${where}: ${err.message}`);
    throw err;
  }
}
