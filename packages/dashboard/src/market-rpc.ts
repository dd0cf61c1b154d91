// The shapes of the gl_* market answers the dashboard reads (gl_marketConfig, gl_interval,
// gl_gridState), integers as the node sends them: decimal strings.

/** gl_marketConfig: the market's configuration and its clock at the latest block. */
export interface MarketConfigRpc {
  config: {
    intervalMs: string;
    firstInterval: string;
    upstream: {
      bus: number;
      importPriceMicrosPerMWh: string;
      exportPriceMicrosPerMWh: string;
      capacityWh: string;
    };
  };
  blockNumber: string | null;
  blockTimeMs: string | null;
  marketTimeMs: string | null;
  openInterval: string | null;
  clearNext: string;
  settleNext: string;
}

/** gl_interval: one market interval. */
export interface IntervalRpc {
  interval: string;
  status: string;
  startMs: string;
  endMs: string;
  orders: string;
  promises: string[];
  congestionRent: string;
  upstream: { soldWh: string; boughtWh: string };
  lmpMicrosPerMWh: Record<string, string> | null;
  expectedReadings: string;
  reportedReadings: string;
}

/** gl_gridState: the registered network with an interval's flows and line prices. */
export interface GridStateRpc {
  name: string;
  version: string;
  buses: { id: number; type: number }[];
  branches: {
    index: number;
    from: number;
    to: number;
    limitMw: number;
    flowW?: string;
    muFromMicros?: string;
    muToMicros?: string;
  }[];
}
