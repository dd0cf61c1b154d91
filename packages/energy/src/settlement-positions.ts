// Who is settled in an interval and what each delivered: every party (an owner at a bus) that has a
// cleared order there or a meter of the interval there (the first `expectedCount` registered meters,
// except the upstream connection's own meter), with its cleared position (sold, bought) and its metered
// energy summed over its meters. A meter with no reading is replaced by the adverse estimate
// (estimateMissing); a party with no meter at its bus is taken to have consumed what it bought and
// delivered nothing. Parties sorted by owner, then bus (the order every validator settles in).
import type { Address } from '@gridledger/execution';
import { capacityWhPerInterval, type MarketConfig } from './config.ts';
import { marketView } from './market.ts';
import { marketKeys, ORDER_STATUS } from './market-keys.ts';
import { readingView } from './reading-store.ts';
import { registryView } from './registry.ts';
import type { StateReader } from './words.ts';

/** One party's position and metered energy in an interval. */
export interface PartyPosition {
  owner: Address;
  bus: number;
  soldWh: bigint;
  boughtWh: bigint;
  /** Metered (or, for missing readings, estimated) energy, Wh. */
  importedWh: bigint;
  exportedWh: bigint;
  /** Ids of its cleared sell orders; of its cleared buy orders. */
  sellOrders: bigint[];
  buyOrders: bigint[];
  /** Its meters of the interval; those without a reading and the import estimated for each, Wh. */
  meters: bigint[];
  missing: { meter: bigint; estimatedImportWh: bigint }[];
  /** Connection capacity × interval of its meters, Wh. */
  capacityWh: bigint;
}

/** The meters of interval `k` (registered before its clearing), in registration order. */
function intervalMeters(state: StateReader, k: bigint): bigint[] {
  return registryView.allMeters(state, state.get(marketKeys.interval(k).expectedCount));
}

/**
 * The adverse estimate of a missing reading: nothing exported, the meter's whole capacity × interval
 * imported (the most it can have imported: any smaller estimate lets a consumer gain by withholding).
 */
function estimateMissing(capacityWh: bigint): { importedWh: bigint; exportedWh: bigint } {
  return { importedWh: capacityWh, exportedWh: 0n };
}

/** Every party of interval `k`, sorted by owner then bus. */
export function partyPositions(state: StateReader, config: MarketConfig, k: bigint): PartyPosition[] {
  const groups = new Map<string, PartyPosition>();
  const partyAt = (owner: Address, bus: number): PartyPosition => {
    const key = `${owner}:${bus}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        owner,
        bus,
        soldWh: 0n,
        boughtWh: 0n,
        importedWh: 0n,
        exportedWh: 0n,
        sellOrders: [],
        buyOrders: [],
        meters: [],
        missing: [],
        capacityWh: 0n,
      };
      groups.set(key, g);
    }
    return g;
  };
  for (const o of marketView.ordersOf(state, k)) {
    if (o.status !== ORDER_STATUS.cleared || o.clearedWh === 0n) continue;
    const g = partyAt(o.owner, o.bus);
    if (o.side === 'sell') {
      g.soldWh += o.clearedWh;
      g.sellOrders.push(o.id);
    } else {
      g.boughtWh += o.clearedWh;
      g.buyOrders.push(o.id);
    }
  }
  for (const m of intervalMeters(state, k)) {
    if (m === config.upstream.meter) continue;
    const meter = registryView.meter(state, m);
    if (meter === undefined) continue;
    const g = partyAt(meter.owner, Number(meter.bus));
    const capWh = capacityWhPerInterval(config, meter.capacityW);
    g.meters.push(m);
    g.capacityWh += capWh;
    const r = readingView(state, m, k);
    const est = state.get(marketKeys.interval(k).estimatedImportWh(m));
    if (r !== undefined && est === 0n) {
      g.importedWh += r.importedWh;
      g.exportedWh += r.exportedWh;
    } else {
      // Missing at settlement (or arrived later, for a true-up): the estimate stands in the position.
      const e = est === 0n ? estimateMissing(capWh) : { importedWh: est - 1n, exportedWh: 0n };
      g.importedWh += e.importedWh;
      g.exportedWh += e.exportedWh;
      g.missing.push({ meter: m, estimatedImportWh: e.importedWh });
    }
  }
  // A party with no meter at its bus: taken to have consumed what it bought and delivered nothing.
  for (const g of groups.values()) if (g.meters.length === 0) g.importedWh = g.boughtWh;
  return [...groups.values()].sort((a, b) =>
    a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : a.bus - b.bus,
  );
}

/** Net local delivery of a party, Wh: min(sold, max(0, exported − imported)) (credits are minted for it). */
export function deliveredWh(p: PartyPosition): bigint {
  const net = p.exportedWh - p.importedWh;
  return net <= 0n ? 0n : net < p.soldWh ? net : p.soldWh;
}

/** A party's deviation, Wh: metered net injection − cleared net position. */
export const deviationWh = (p: PartyPosition) => p.exportedWh - p.importedWh - (p.soldWh - p.boughtWh);
