// The dashboard's view model: what the server pushes over its WebSocket and the page draws. The server
// sends a `snapshot` (every section) on connect and then `update` messages carrying only the sections
// that changed; prices are $/MWh and energy Wh or kWh as plain numbers (display values), balances are
// decimal strings of the token's smallest unit (cash: micro-units, credits: Wh).

/** One block in the chain view. */
export interface BlockRow {
  number: number;
  hash: string;
  timeMs: number;
  /** Null until the block's batch answered (the row is shown as soon as the block is announced). */
  txCount: number | null;
  /** Time from the block's timestamp to the dashboard seeing it committed, ms (null: before the dashboard started). */
  finalityMs: number | null;
  proposer: string;
}

/** The chain view. */
export interface ChainView {
  rpcUrl: string;
  height: number;
  /** Newest first, at most 20. */
  blocks: BlockRow[];
  /** Transactions per second over the last 30 s of block time. */
  tps: number;
  avgBlockMs: number;
  avgFinalityMs: number;
  /** The dashboard's own delay for the newest block: newHeads notification to the block pushed, ms. */
  feedMs: number;
  /** Notification to the block's reads (transaction count, market clock, balances) pushed, ms. */
  readMs: number;
  /** Longest event-loop stall of the dashboard's process since the block before, ms. */
  loopStallMs: number;
}

/** One validator's node as the dashboard polls it. */
export interface ValidatorRow {
  url: string;
  index: number | null;
  publicKey: string | null;
  height: number | null;
  peers: number | null;
  status: 'up' | 'behind' | 'down';
  /** A node that is not a gridledger validator (no gl_status): its web3_clientVersion, e.g. "anvil/v1.2.3". */
  client?: string | null;
}

/** The market clock and the open interval. */
export interface MarketView {
  intervalMs: number;
  blockTimeMs: number;
  marketTimeMs: number;
  openInterval: number;
  clearNext: number;
  settleNext: number;
  /** Orders placed so far for the open interval. */
  openOrders: number;
  upstreamBus: number;
  importPrice: number;
  exportPrice: number;
}

/** The network as the map draws it (positions from layout.ts). */
export interface NetworkView {
  name: string;
  version: string;
  root: number | null;
  /**
   * x: hops from the root (the feeder's depth), y: row. `vminPu`/`vmaxPu`: the bus's voltage limits (the
   * registered AC data, else the AC model's default 0.9 / 1.1 p.u.).
   */
  buses: { id: number; type: number; x: number; y: number; vminPu: number; vmaxPu: number }[];
  branches: { index: number; from: number; to: number; limitMw: number; inService: boolean }[];
}

/** One line's state in a cleared interval. */
export interface FlowRow {
  index: number;
  flowMw: number;
  limitMw: number;
  /** |flow| / limit (0 for unlimited lines). */
  loading: number;
  /** The limit binds (a non-zero shadow price). */
  congested: boolean;
}

/** One promise (bilateral trade) of a cleared interval. */
export interface TradeRow {
  tokenId: string;
  seller: string;
  buyer: string;
  sellerBus: number;
  buyerBus: number;
  energyWh: number;
  sellerPrice: number;
  buyerPrice: number;
  settled: boolean;
  deliveredWh: number;
}

/** One bus of an AC-priced interval: the LMP's components ($/MWh, summing to it) and its voltage. */
export interface AcBusRow {
  energy: number;
  loss: number;
  congestion: number;
  voltage: number;
  /** Voltage magnitude, p.u. */
  vmPu: number;
  /** At (within 1e-4 p.u. of) a voltage limit, or priced by one (a non-zero voltage component). */
  voltageLimited: boolean;
}

/** The last cleared interval. */
export interface ClearedView {
  interval: number;
  status: string;
  /** The market's pricing model (gl_marketConfig `pricing`). */
  pricing: 'dc' | 'ac';
  /** AC-priced intervals only (null for DC): components and voltage per bus, and the network's losses. */
  ac: { buses: Record<string, AcBusRow>; lossesKw: number } | null;
  startMs: number;
  endMs: number;
  lmps: Record<string, number>;
  lmpMin: number;
  lmpMax: number;
  congestionRent: number;
  /** Where the congestion rent goes: the published rent fund, and its cash now ($; null when unread). */
  rentFund: { address: string; balance: number | null };
  flows: FlowRow[];
  curves: import('./curves.ts').Curves;
  summary: import('./curves.ts').BookSummary;
  upstream: { soldWh: number; boughtWh: number };
  promises: number;
  /** The first promises of the interval, at most 40. */
  trades: TradeRow[];
}

/** The last settled interval. */
export interface SettledView {
  interval: number;
  creditsWh: number | null;
  promises: number;
  expectedReadings: number;
  reportedReadings: number;
  /** The interval's forward (cleared) LMP by bus, $/MWh. */
  forward: Record<string, number>;
  /** Its real-time (ex-post) price by bus, $/MWh (docs/market-rules.md §10a); null when not served. */
  realtime: Record<string, number> | null;
  /** False: the real-time pricer could not price it and the forward prices stood in. */
  realtimePriced: boolean;
  /** The energy-balance check against the upstream meter, when it ran. */
  energyBalance: { mismatchWh: number; status: string } | null;
}

/** One account in the accounts table: its cash and its place in the debt ledger (market `debtOf`). */
export interface AccountRow {
  address: string;
  /** Why it is listed: 'grid operator', 'rent fund', 'debtor' (a DebtRecorded log), 'buyer', 'seller', a dev account's name. */
  role: string;
  /** Cash, $ (null when unread). */
  cash: number | null;
  /** What it owes, $ (in default when > 0). */
  debt: number | null;
  /** What others owe it, $. */
  due: number | null;
  inDefault: boolean;
}

/** The accounts view: who owes what, and the rent fund. */
export interface AccountsView {
  /** In default first (largest debt first), then the rest in listing order; at most 24. */
  rows: AccountRow[];
  /** Accounts with a DebtRecorded log the dashboard has seen. */
  debtorsSeen: number;
  /** Where the congestion rent goes: the published rent fund (docs/market-rules.md §10b). */
  rentFund: { address: string; balance: number | null; due: number | null };
}

/** Participants the picker offers. */
export interface ParticipantsView {
  named: { name: string; role: string; address: string }[];
  active: { address: string; side: 'buy' | 'sell'; clearedWh: number; bus: number }[];
  /** A participant with credits to show first: the largest buyer of the last settled interval. */
  suggested: string | null;
}

/** One participant (sent only to pages watching it). */
export interface ParticipantView {
  address: string;
  cash: string | null;
  credits: string | null;
  promisesHeld: string | null;
  /** From gl_account (null until read): µ$ decimal strings. */
  account: {
    escrowMicros: string;
    collateralMicros: string;
    debtMicros: string;
    dueMicros: string;
    inDefault: boolean;
    claims: number;
  } | null;
  orders: {
    id: string;
    interval: number;
    bus: number;
    side: string;
    clearedWh: number;
    price: number;
    status: string;
  }[];
  promises: TradeRow[];
}

/** Every section the server pushes to all pages. */
export interface DashboardView {
  chain: ChainView | null;
  validators: ValidatorRow[];
  market: MarketView | null;
  /** Why the market sections are empty (no energy market on this chain, no network registered yet). */
  marketNote: string | null;
  network: NetworkView | null;
  cleared: ClearedView | null;
  settled: SettledView | null;
  accounts: AccountsView | null;
  participants: ParticipantsView;
}

/** Messages from the server. */
export type ServerMessage =
  | { type: 'snapshot'; view: DashboardView }
  | { type: 'update'; sections: Partial<DashboardView> }
  | { type: 'participant'; participant: ParticipantView }
  | { type: 'history'; bus: number; points: [startMs: number, price: number][] };

/** Messages from the page. */
export type ClientMessage = { type: 'watch'; address: string | null } | { type: 'history'; bus: number };
