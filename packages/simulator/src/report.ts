// What a scenario run reports: one IntervalReport per settled interval, the progress events (SimEvent)
// for progress bars and the dashboard, and the totals over the reported intervals.

/** What one interval did, reported once it is settled (prices in $/MWh, money in $, energy in Wh). */
export interface IntervalReport {
  interval: string;
  /** Market time of the interval's start, ISO 8601 (UTC, the simulated clock). */
  startIso: string;
  status: 'cleared' | 'failed' | 'settled';
  /** Orders on chain for the interval (the devices' and anyone else's). */
  ordersPlaced: number;
  /** Orders the devices signed that are not on chain (rejected at submission or reverted). */
  ordersRejected: number;
  /** Energy cleared: everything sold, by devices and by the upstream connection (= everything bought). */
  clearedWh: number;
  /** Lowest and highest LMP over the buses. */
  lmpMin: number;
  lmpMax: number;
  /** LMP by bus, $/MWh. */
  lmpByBus: Record<string, number>;
  congestionRent: number;
  promisesMinted: number;
  readingsAccepted: number;
  readingsRejected: number;
  /** Credits minted at settlement (IntervalSettled), Wh. */
  creditsMintedWh: number;
  /** Exported Wh in the accepted readings of devices that sold in the interval. */
  meteredDeliveredWh: number;
  /** Upstream connection: sold to and bought from the local market, Wh. */
  upstreamSoldWh: number;
  upstreamBoughtWh: number;
  /** Invariants that failed when this interval was checked (empty when all hold). */
  invariantFailures: string[];
}

/** Progress events (for progress bars and the dashboard). */
export type SimEvent =
  | { type: 'setup'; step: string; detail?: string }
  | { type: 'ready'; devices: number; firstInterval: string }
  | { type: 'orders'; interval: string; orders: number; rejected: number; ms: number }
  | { type: 'reveals'; interval: string; reveals: number }
  | { type: 'cleared'; interval: string; status: string; lmpMin: number; lmpMax: number; promises: number }
  | { type: 'readings'; interval: string; readings: number; transactions: number; ms: number }
  | { type: 'settled'; report: IntervalReport }
  | { type: 'warning'; message: string };

/** Totals over the reported intervals. */
export interface RunTotals {
  intervals: number;
  devices: number;
  ordersPlaced: number;
  ordersRejected: number;
  clearedWh: number;
  congestionRent: number;
  promisesMinted: number;
  readingsAccepted: number;
  readingsRejected: number;
  creditsMintedWh: number;
  meteredDeliveredWh: number;
  lmpMin: number | null;
  lmpMax: number | null;
}

/** Totals over interval reports. */
export function totalsOf(reports: readonly IntervalReport[], devices: number): RunTotals {
  const sum = (f: (r: IntervalReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  return {
    intervals: reports.length,
    devices,
    ordersPlaced: sum((r) => r.ordersPlaced),
    ordersRejected: sum((r) => r.ordersRejected),
    clearedWh: sum((r) => r.clearedWh),
    congestionRent: Math.round(sum((r) => r.congestionRent) * 1e6) / 1e6,
    promisesMinted: sum((r) => r.promisesMinted),
    readingsAccepted: sum((r) => r.readingsAccepted),
    readingsRejected: sum((r) => r.readingsRejected),
    creditsMintedWh: sum((r) => r.creditsMintedWh),
    meteredDeliveredWh: sum((r) => r.meteredDeliveredWh),
    lmpMin: reports.length === 0 ? null : Math.min(...reports.map((r) => r.lmpMin)),
    lmpMax: reports.length === 0 ? null : Math.max(...reports.map((r) => r.lmpMax)),
  };
}
