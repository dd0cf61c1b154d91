// Follows the chain and the energy market for the dashboard and keeps the view model (view.ts) up to
// date. Per block (a newHeads notification) it makes one JSON-RPC batch of small reads: the block's
// transaction count, `gl_marketConfig`, the open interval's order count and the balances of watched
// participants. Heavy reads (the cleared interval's orders, grid state, promises; the price history)
// run once per cleared interval, on their own queue, so a large book never delays the next block.
// Validators are polled with `gl_status` once a second. Changes go to `onUpdate` listeners by section.
// What it shows is built elsewhere: the recent blocks and their statistics (block-log.ts), the price
// history (price-history.ts), the network map (network-view.ts), the cleared interval (cleared-view.ts),
// the validators' table (validator-poll.ts), the module calls' encodings (token-calls.ts), the settled
// interval's forward and real-time prices (settled-view.ts), the debt ledger and rent fund (accounts-view.ts).
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { InputError } from '@gridledger/base';
import {
  type EvmMarketContracts,
  EvmMarketViews,
  MarketRpcClient,
  RpcClient,
  type RpcClientOptions,
  type RpcOutcome,
  type RpcRequest,
  subscribeNewHeads,
} from '@gridledger/client';
import {
  decodeMarketConfigJson,
  MARKET_ADDRESS,
  type MarketConfig,
  type MarketConfigJson,
  marketTimeMs,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  RENT_FUND_ADDRESS,
} from '@gridledger/energy';
import type {
  EthBlock,
  EthBlockHeader,
  EthLog,
  GlAccountReturnType,
  GlGridStateReturnType,
  GlIntervalReturnType,
  GlMarketConfigReturnType,
  GlPricesReturnType,
} from '@gridledger/rpc';
import type { Logger } from 'pino';
import { encodeFunctionData, type Hex, pad } from 'viem';
import {
  accountsToList,
  buildAccountsView,
  DEBT_RECORDED_TOPIC,
  debtOfData,
  debtorOf,
  MAX_DEBTORS_KEPT,
} from './accounts-view.ts';
import { BlockLog } from './block-log.ts';
import { acViewOf, buildClearedView, lmpsOf } from './cleared-view.ts';
import { microsToDollars, type RpcOrder, summariseBook } from './curves.ts';
import { buildNetworkView } from './network-view.ts';
import { HISTORY_INTERVALS, PriceHistory } from './price-history.ts';
import { buildSettledView } from './settled-view.ts';
import {
  balanceOfData,
  decodePromise,
  INTERVAL_SETTLED_TOPIC,
  promiseOfData,
  TOKEN_ADDRESSES,
  type TokenAddresses,
  TRANSFER_TOPIC,
  uintOf,
} from './token-calls.ts';
import { pollValidators } from './validator-poll.ts';
import type { DashboardView, MarketView, ParticipantsView, ParticipantView, TradeRow } from './view.ts';

/** Most participants watched at once (balances are read every block). */
export const MAX_WATCHED = 16;
/** Promises of an interval shown as trades. */
const TRADES_SHOWN = 40;
/** Blocks back that a participant's promise transfers are looked up. */
const PROMISE_LOOKBACK_BLOCKS = 2_000n;

/** Options of {@link ChainFollower}. */
export interface FollowerOptions {
  rpcUrls: string[];
  devAccountsPath?: string;
  addressesPath?: string;
  log: Logger;
  /** Token addresses (default {@link TOKEN_ADDRESSES}). */
  tokens?: TokenAddresses;
  /** Validator poll period, ms (default 1000). */
  pollMs?: number;
  /**
   * An EVM chain's market contracts (addresses.json): the market views (gl_*) then come from their view
   * functions and events (EvmMarketViews of @gridledger/client); everything else from the node.
   */
  evmContracts?: EvmMarketContracts;
}

/** A node's client; on an EVM chain its market methods are answered from the contracts. */
const clientOf = (url: string, options: RpcClientOptions, evm: EvmMarketContracts | undefined): RpcClient =>
  evm === undefined
    ? new RpcClient(url, options)
    : new MarketRpcClient(url, options, new EvmMarketViews(url, evm));

const ok = <T>(r: RpcOutcome | undefined): T | undefined => (r?.ok ? (r.result as T) : undefined);
const errOf = (r: RpcOutcome | undefined) => (r && !r.ok ? r.error : undefined);

/**
 * Keeps the dashboard's view of one chain.
 * @example const f = new ChainFollower({ rpcUrls, log }); f.onUpdate((s) => send(s)); f.start();
 */
export class ChainFollower {
  readonly view: DashboardView = {
    chain: null,
    validators: [],
    market: null,
    marketNote: 'waiting for the chain',
    network: null,
    cleared: null,
    settled: null,
    accounts: null,
    participants: { named: [], active: [], suggested: null },
  };
  readonly #opts: FollowerOptions;
  readonly #log: Logger;
  readonly #tokens: TokenAddresses;
  readonly #listeners = new Set<(sections: Partial<DashboardView>) => void>();
  readonly #participantListeners = new Set<(p: ParticipantView) => void>();
  #stopped = false;
  #timers: NodeJS.Timeout[] = [];
  #sub: { close(): void } | undefined;
  #rpcUrl: string;
  readonly #blocks = new BlockLog();
  #pendingHeads: { head: EthBlockHeader; receivedMs: number }[] = [];
  #processingHeads = false;
  #config: MarketConfigJson | undefined;
  #clock: MarketConfig | undefined;
  #lastCleared = -1;
  #lastSettled = -1;
  #heavy: Promise<void> = Promise.resolve();
  readonly #history = new PriceHistory();
  #historyLoaded = false;
  /** Book summaries of recent cleared intervals (for the suggested participant). */
  readonly #summaries = new Map<number, { orders: RpcOrder[]; topBuyer: string | null }>();
  readonly #watched = new Map<string, number>();
  readonly #participants = new Map<string, ParticipantView>();
  #networkTried = -1;
  /** Debtors seen in DebtRecorded logs, newest last, and the next block to look from. */
  readonly #debtors = new Set<string>();
  #debtLogsFrom: bigint | undefined;
  #backfilled = false;
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 20 });
  readonly #clients = new Map<string, RpcClient>();

  constructor(opts: FollowerOptions) {
    if (opts.rpcUrls.length === 0)
      throw new InputError('dashboard: expected at least one JSON-RPC URL (pass rpcUrls)');
    this.#opts = opts;
    this.#log = opts.log;
    this.#tokens = opts.tokens ?? TOKEN_ADDRESSES;
    this.#rpcUrl = opts.rpcUrls[0]!;
    this.view.validators = opts.rpcUrls.map((url) => ({
      url,
      index: null,
      publicKey: null,
      height: null,
      peers: null,
      status: 'down',
    }));
    this.view.participants.named = this.#readNamed();
  }

  /** Calls `fn` with the sections that changed. */
  onUpdate(fn: (sections: Partial<DashboardView>) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Calls `fn` whenever a watched participant's view changes. */
  onParticipant(fn: (p: ParticipantView) => void): () => void {
    this.#participantListeners.add(fn);
    return () => this.#participantListeners.delete(fn);
  }

  /** Starts following (subscription with failover across the URLs, validator polling). */
  start(): void {
    this.#loopDelay.enable();
    void this.#subscribeLoop();
    const poll = () => {
      if (this.#stopped) return;
      void this.#pollValidators().finally(() => {
        if (!this.#stopped) this.#timers.push(setTimeout(poll, this.#opts.pollMs ?? 1000));
      });
    };
    poll();
  }

  /** Stops every timer and socket. */
  stop(): void {
    this.#stopped = true;
    this.#loopDelay.disable();
    for (const t of this.#timers) clearTimeout(t);
    this.#sub?.close();
  }

  /** LMP history of one bus over the kept intervals, oldest first: [interval start (market ms), $/MWh]. */
  history(bus: number): [number, number][] {
    return this.#history.series(bus);
  }

  /** Adds a watcher of `address` (balances every block); returns its current view when known. */
  watch(address: string): ParticipantView | undefined {
    const a = address.toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(a)) return undefined;
    if (!this.#watched.has(a) && this.#watched.size >= MAX_WATCHED) return undefined;
    this.#watched.set(a, (this.#watched.get(a) ?? 0) + 1);
    if (!this.#participants.has(a))
      this.#participants.set(a, {
        address: a,
        cash: null,
        credits: null,
        promisesHeld: null,
        account: null,
        orders: [],
        promises: [],
      });
    this.#queueHeavy(() => this.#loadParticipant(a));
    return this.#participants.get(a);
  }

  /** Removes one watcher of `address`. */
  unwatch(address: string): void {
    const a = address.toLowerCase();
    const n = this.#watched.get(a);
    if (n === undefined) return;
    if (n <= 1) {
      this.#watched.delete(a);
      this.#participants.delete(a);
    } else this.#watched.set(a, n - 1);
  }

  /** The client of one node: batches of 100 in sequence, 10 s each, no retry (the next block reads again). */
  #rpc(url: string): RpcClient {
    let c = this.#clients.get(url);
    if (c === undefined)
      this.#clients.set(
        url,
        (c = clientOf(url, { timeoutMs: 10_000, parallel: 1, attempts: 1 }, this.#opts.evmContracts)),
      );
    return c;
  }

  #emit(sections: Partial<DashboardView>): void {
    Object.assign(this.view, sections);
    for (const fn of this.#listeners) fn(sections);
  }

  #emitParticipant(p: ParticipantView): void {
    this.#participants.set(p.address, p);
    for (const fn of this.#participantListeners) fn(p);
  }

  #readNamed(): ParticipantsView['named'] {
    if (!this.#opts.devAccountsPath) return [];
    try {
      const json = JSON.parse(readFileSync(this.#opts.devAccountsPath, 'utf8')) as {
        accounts?: { name: string; role: string; address: string }[];
      };
      return (json.accounts ?? []).map((a) => ({
        name: a.name,
        role: a.role,
        address: a.address.toLowerCase(),
      }));
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'dashboard: cannot read the dev accounts file');
      return [];
    }
  }

  async #subscribeLoop(): Promise<void> {
    let i = 0;
    while (!this.#stopped) {
      const url = this.#opts.rpcUrls[i % this.#opts.rpcUrls.length]!;
      i++;
      const sub = subscribeNewHeads(url, (head) => {
        const receivedMs = Date.now();
        this.#showHead(head, receivedMs, url);
        this.#pendingHeads.push({ head, receivedMs });
        void this.#drainHeads();
      });
      this.#sub = sub;
      try {
        await sub.ready;
        this.#rpcUrl = url;
        this.#log.info({ url }, 'dashboard: following newHeads');
        await sub.closed;
        if (!this.#stopped) this.#log.warn({ url }, 'dashboard: newHeads subscription closed; reconnecting');
      } catch (err) {
        this.#log.debug({ url, err: (err as Error).message }, 'dashboard: cannot subscribe');
        sub.close();
      }
      if (!this.#stopped) await new Promise((r) => this.#timers.push(setTimeout(r, 1000)));
    }
  }

  /** Shows a new block at once (its transaction count and the market follow with the block's batch). */
  #showHead(head: EthBlockHeader, receivedMs: number, url: string): void {
    if (!this.#blocks.addHead(head, receivedMs)) return;
    const chain = this.#chainView(url);
    if (chain) chain.feedMs = Date.now() - receivedMs;
    this.#emit({ chain });
  }

  /** The blocks before the first notification (once), so the chain view is full from the start. */
  async #backfill(url: string, first: number): Promise<void> {
    const from = Math.max(1, first - 19);
    if (from >= first) return;
    const heights = Array.from({ length: first - from }, (_, i) => `0x${(from + i).toString(16)}`);
    const res = await this.#rpc(url).batch(
      heights.map((h) => ({ method: 'eth_getBlockByNumber', params: [h, false] })),
    );
    this.#blocks.addEarlier(
      res.flatMap((r) => {
        const b = ok<EthBlock>(r);
        return b ? [b] : [];
      }),
    );
  }

  async #drainHeads(): Promise<void> {
    if (this.#processingHeads) return;
    this.#processingHeads = true;
    try {
      while (this.#pendingHeads.length > 0 && !this.#stopped) {
        const heads = this.#pendingHeads.splice(0);
        try {
          await this.#onHeads(heads);
        } catch (err) {
          this.#log.warn({ err: (err as Error).message }, 'dashboard: block update failed');
        }
      }
    } finally {
      this.#processingHeads = false;
    }
  }

  /** The per-block batch: small reads only. */
  async #onHeads(heads: { head: EthBlockHeader; receivedMs: number }[]): Promise<void> {
    const url = this.#rpcUrl;
    const watched = [...this.#watched.keys()];
    const calls: RpcRequest[] = heads.map(({ head }) => ({
      method: 'eth_getBlockTransactionCountByNumber',
      params: [head.number],
    }));
    calls.push({ method: 'gl_marketConfig', params: [] });
    // The open interval from the market clock and the newest block's time, so its order count comes
    // in the same batch (one round trip per block).
    const newest = heads[heads.length - 1]!.head;
    const openGuess = this.#openIntervalAt(newest);
    if (openGuess !== undefined) calls.push({ method: 'gl_interval', params: [openGuess.toString()] });
    for (const a of watched) {
      const data = balanceOfData(a);
      for (const to of [this.#tokens.cash, this.#tokens.credits, this.#tokens.promises])
        calls.push({ method: 'eth_call', params: [{ to, data }, 'latest'] });
    }
    if (!this.#backfilled && heads[0]) {
      this.#backfilled = true;
      await this.#backfill(url, Number(BigInt(heads[0].head.number))).catch(() => {});
    }
    const res = await this.#rpc(url).batch(calls);
    // The blocks' transaction counts (the rows were shown when their notifications came).
    for (let i = 0; i < heads.length; i++) {
      this.#blocks.setTxCount(Number(BigInt(heads[i]!.head.number)), ok<string | null>(res[i]));
    }
    const sections: Partial<DashboardView> = { chain: this.#chainView(url) };
    // Market clock.
    const mcOutcome = res[heads.length];
    const mc = ok<GlMarketConfigReturnType>(mcOutcome);
    if (mc === undefined) {
      const e = errOf(mcOutcome);
      const note =
        e?.code === -32601
          ? 'this chain runs no energy market (gl_marketConfig is not served)'
          : `market view unavailable: ${e?.message ?? 'no answer'}`;
      if (this.view.marketNote !== note || this.view.market !== null) {
        sections.market = null;
        sections.marketNote = note;
      }
    } else {
      if (this.#config === undefined) {
        this.#config = mc.config;
        try {
          this.#clock = decodeMarketConfigJson(mc.config);
        } catch (err) {
          this.#log.warn({ err: (err as Error).message }, 'dashboard: cannot decode the market config');
        }
      }
      const open = BigInt(mc.openInterval ?? mc.config.firstInterval);
      let openIv = openGuess === open ? ok<GlIntervalReturnType>(res[heads.length + 1]) : undefined;
      if (openIv === undefined && mc.openInterval !== null) {
        const [iv] = await this.#rpc(url).batch([{ method: 'gl_interval', params: [open.toString()] }]);
        openIv = ok<GlIntervalReturnType>(iv);
      }
      const market: MarketView = {
        intervalMs: Number(mc.config.intervalMs),
        blockTimeMs: Number(mc.blockTimeMs ?? 0),
        marketTimeMs: Number(mc.marketTimeMs ?? 0),
        openInterval: Number(open),
        clearNext: Number(mc.clearNext),
        settleNext: Number(mc.settleNext),
        openOrders: openIv ? Number(openIv.orders) : 0,
        upstreamBus: mc.config.upstream.bus,
        importPrice: microsToDollars(mc.config.upstream.importPriceMicrosPerMWh),
        exportPrice: microsToDollars(mc.config.upstream.exportPriceMicrosPerMWh),
      };
      sections.market = market;
      if (this.view.network === null && this.view.marketNote !== null) {
        sections.marketNote = 'no grid network registered yet';
      }
      this.#afterMarket(market);
    }
    // Watched participants' balances.
    let j = heads.length + 1 + (openGuess === undefined ? 0 : 1);
    for (const a of watched) {
      const prev = this.#participants.get(a);
      const cash = uintOf(ok(res[j++]));
      const credits = uintOf(ok(res[j++]));
      const promisesHeld = uintOf(ok(res[j++]));
      if (prev && (prev.cash !== cash || prev.credits !== credits || prev.promisesHeld !== promisesHeld)) {
        this.#emitParticipant({ ...prev, cash, credits, promisesHeld });
      }
    }
    // How long the block's reads took, and the longest stall of this process's event loop since the last
    // block (a busy process, e.g. a simulator signing in it, delays everything the dashboard does).
    const newestHead = heads[heads.length - 1];
    if (sections.chain && newestHead) {
      sections.chain.feedMs = this.view.chain?.feedMs ?? 0;
      sections.chain.readMs = Date.now() - newestHead.receivedMs;
      sections.chain.loopStallMs = Math.round(this.#loopDelay.max / 1e6);
      this.#loopDelay.reset();
    }
    this.#emit(sections);
  }

  /** The first interval whose gate is still open at this block (as gl_marketConfig computes it). */
  #openIntervalAt(head: EthBlockHeader): bigint | undefined {
    const c = this.#clock;
    if (c === undefined) return undefined;
    const now = marketTimeMs(c, BigInt(head.timestampMs ?? BigInt(head.timestamp) * 1000n));
    const k = (now + c.gateLeadMs) / c.intervalMs + 1n;
    return k < c.firstInterval ? c.firstInterval : k;
  }

  #chainView(url: string): DashboardView['chain'] {
    return this.#blocks.view(url, this.view.chain);
  }

  /** Schedules the heavy reads the new market clock calls for. */
  #afterMarket(m: MarketView): void {
    const first = Number(this.#config?.firstInterval ?? 0);
    const lastCleared = m.clearNext - 1;
    const lastSettled = m.settleNext - 1;
    if (this.view.network === null && this.#networkTried !== m.clearNext) {
      this.#networkTried = m.clearNext;
      this.#queueHeavy(async () => {
        await this.#loadNetwork(undefined);
      });
    }
    if (!this.#historyLoaded && lastCleared >= first) {
      this.#historyLoaded = true;
      const from = Math.max(first, lastCleared - HISTORY_INTERVALS + 1);
      this.#queueHeavy(() => this.#loadHistory(from, lastCleared));
    }
    if (lastCleared >= first && lastCleared > this.#lastCleared) {
      // Intervals cleared while the dashboard was busy still get their prices into the history.
      if (this.#lastCleared >= first && lastCleared > this.#lastCleared + 1) {
        const gapFrom = Math.max(this.#lastCleared + 1, lastCleared - HISTORY_INTERVALS + 1);
        this.#queueHeavy(() => this.#loadHistory(gapFrom, lastCleared - 1));
      }
      this.#lastCleared = lastCleared;
      this.#queueHeavy(() => this.#loadCleared(lastCleared));
    }
    if (lastSettled >= first && lastSettled > this.#lastSettled) {
      this.#lastSettled = lastSettled;
      this.#queueHeavy(() => this.#loadSettled(lastSettled));
    }
  }

  #queueHeavy(task: () => Promise<void>): void {
    this.#heavy = this.#heavy.then(async () => {
      if (this.#stopped) return;
      try {
        await task();
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'dashboard: market read failed');
      }
    });
  }

  async #loadNetwork(interval: number | undefined): Promise<GlGridStateReturnType> {
    const [r] = await this.#rpc(this.#rpcUrl).batch([
      { method: 'gl_gridState', params: interval === undefined ? [] : [String(interval)] },
    ]);
    const g = ok<GlGridStateReturnType>(r) ?? null;
    if (g === null) return null;
    if (this.view.network === null || this.view.network.version !== g.version) {
      // gl_gridState leaves out branch status: the registry's network JSON has it (open tie switches).
      const [jr] = await this.#rpc(this.#rpcUrl).batch([
        {
          method: 'eth_call',
          params: [
            {
              to: REGISTRY_ADDRESS,
              data: encodeFunctionData({ abi: REGISTRY_ABI, functionName: 'networkJson' }),
            },
            'latest',
          ],
        },
      ]);
      const network = buildNetworkView(g, ok(jr), this.#config?.upstream.bus);
      this.#emit({ network, marketNote: null });
    }
    return g;
  }

  async #loadHistory(from: number, to: number): Promise<void> {
    const [r] = await this.#rpc(this.#rpcUrl).batch([
      { method: 'gl_prices', params: [String(from), String(to)] },
    ]);
    const rows = ok<GlPricesReturnType>(r) ?? [];
    this.#history.addRows(rows);
  }

  /** The heavy read of one cleared interval. */
  async #loadCleared(k: number): Promise<void> {
    const url = this.#rpcUrl;
    const pricing = this.#config?.pricing === 'ac' ? 'ac' : 'dc';
    const [ivR, ordersR, fundR, pricesR] = await this.#rpc(url).batch([
      { method: 'gl_interval', params: [String(k)] },
      { method: 'gl_orders', params: [String(k)] },
      {
        method: 'eth_call',
        params: [{ to: this.#tokens.cash, data: balanceOfData(RENT_FUND_ADDRESS) }, 'latest'],
      },
      // AC prices: each bus's components and voltage (one interval, every bus).
      ...(pricing === 'ac' ? [{ method: 'gl_prices', params: [String(k), String(k)] }] : []),
    ]);
    const fund = ok<string>(fundR);
    const iv = ok<GlIntervalReturnType>(ivR);
    if (iv === undefined) return;
    const orders = ok<RpcOrder[]>(ordersR) ?? [];
    const grid = await this.#loadNetwork(k);
    const ac =
      pricing === 'ac'
        ? acViewOf(ok<GlPricesReturnType>(pricesR) ?? [], this.view.network?.buses ?? [], iv.lossesW)
        : null;
    const lmps = lmpsOf(iv);
    if (Object.values(lmps).length > 0) this.#history.set(k, Number(iv.startMs), lmps);
    const trades = await this.#fetchPromises(iv.promises.slice(0, TRADES_SHOWN));
    const summary = summariseBook(orders);
    const cleared = buildClearedView({
      k,
      iv,
      lmps,
      orders,
      summary,
      grid,
      trades,
      upstream: this.#config?.upstream,
      rentFundMicros: fund === undefined || fund === '0x' ? undefined : BigInt(fund),
      pricing,
      ac,
    });
    this.#summaries.set(k, { orders, topBuyer: summary.topBuyers[0]?.address ?? null });
    for (const old of [...this.#summaries.keys()]) if (old < k - 8) this.#summaries.delete(old);
    const participants: ParticipantsView = {
      ...this.view.participants,
      active: [...summary.topBuyers, ...summary.topSellers],
      suggested: this.#suggested(),
    };
    this.#emit({ cleared, participants });
    await this.#loadAccounts();
    for (const a of this.#watched.keys()) await this.#loadParticipant(a);
  }

  #suggested(): string | null {
    const settled = this.#summaries.get(this.#lastSettled);
    return settled?.topBuyer ?? this.view.participants.suggested ?? null;
  }

  async #loadSettled(k: number): Promise<void> {
    const url = this.#rpcUrl;
    const head = BigInt(this.view.chain?.height ?? 0);
    const [ivR, logsR] = await this.#rpc(url).batch([
      { method: 'gl_interval', params: [String(k)] },
      {
        method: 'eth_getLogs',
        params: [
          {
            address: this.#opts.evmContracts?.market ?? MARKET_ADDRESS,
            fromBlock: `0x${(head > 50n ? head - 50n : 1n).toString(16)}`,
            toBlock: 'latest',
            topics: [INTERVAL_SETTLED_TOPIC, pad(`0x${k.toString(16)}`, { size: 32 })],
          },
        ],
      },
    ]);
    const iv = ok<GlIntervalReturnType>(ivR);
    if (iv === undefined) return;
    const logs = ok<EthLog[]>(logsR) ?? [];
    const creditsWh = logs[0] ? Number(BigInt(logs[0].data.slice(0, 66))) : null;
    this.#emit({
      settled: buildSettledView(iv, creditsWh),
      participants: { ...this.view.participants, suggested: this.#suggested() },
    });
    // The shown trades of a now settled interval get their delivered energy.
    const cleared = this.view.cleared;
    if (cleared?.interval === k) {
      const trades = await this.#fetchPromises(cleared.trades.map((t) => t.tokenId));
      this.#emit({ cleared: { ...cleared, status: iv.status, trades } });
    }
    await this.#loadAccounts();
    for (const a of this.#watched.keys()) await this.#loadParticipant(a);
  }

  /**
   * The accounts view: new DebtRecorded logs since the last look (the first look goes back
   * PROMISE_LOOKBACK_BLOCKS), then cash and `debtOf` of each listed account and of the rent fund.
   */
  async #loadAccounts(): Promise<void> {
    const url = this.#rpcUrl;
    const head = BigInt(this.view.chain?.height ?? 0);
    if (head === 0n) return;
    const from = this.#debtLogsFrom ?? (head > PROMISE_LOOKBACK_BLOCKS ? head - PROMISE_LOOKBACK_BLOCKS : 1n);
    if (from <= head) {
      const [logsR] = await this.#rpc(url).batch([
        {
          method: 'eth_getLogs',
          params: [
            {
              address: this.#opts.evmContracts?.market ?? MARKET_ADDRESS,
              fromBlock: `0x${from.toString(16)}`,
              toBlock: `0x${head.toString(16)}`,
              topics: [DEBT_RECORDED_TOPIC],
            },
          ],
        },
      ]);
      const logs = ok<EthLog[]>(logsR);
      if (logs !== undefined) {
        this.#debtLogsFrom = head + 1n;
        for (const l of logs) {
          const d = debtorOf(l);
          if (d === undefined) continue;
          this.#debtors.delete(d); // re-added as the newest
          this.#debtors.add(d);
        }
        while (this.#debtors.size > MAX_DEBTORS_KEPT)
          this.#debtors.delete(this.#debtors.values().next().value!);
      }
    }
    const operator = this.#config?.gridOperator.toLowerCase();
    const upstream = this.#config?.upstream.account.toLowerCase();
    const fixed = [
      ...(operator
        ? [{ address: operator, role: upstream === operator ? 'grid operator, upstream' : 'grid operator' }]
        : []),
      ...(upstream && upstream !== operator ? [{ address: upstream, role: 'upstream' }] : []),
    ];
    const others = [
      ...this.view.participants.active.map((a) => ({
        address: a.address,
        role: a.side === 'buy' ? 'buyer' : 'seller',
      })),
      ...this.view.participants.named
        .filter((n) => n.role === 'participant')
        .map((n) => ({ address: n.address, role: n.name })),
    ];
    const listed = accountsToList(fixed, [...this.#debtors].reverse(), others);
    // the debt ledger is the market's: the native module, or the market contract on an EVM chain
    const marketAt = this.#opts.evmContracts?.market ?? MARKET_ADDRESS;
    const calls: RpcRequest[] = [];
    for (const a of [...listed.map((l) => l.address), RENT_FUND_ADDRESS]) {
      calls.push({
        method: 'eth_call',
        params: [{ to: this.#tokens.cash, data: balanceOfData(a) }, 'latest'],
      });
      calls.push({ method: 'eth_call', params: [{ to: marketAt, data: debtOfData(a) }, 'latest'] });
    }
    const res = await this.#rpc(url).batch(calls);
    const n = listed.length;
    const accounts = buildAccountsView(
      listed,
      listed.map((_, i) => ({ cash: ok(res[2 * i]), debtOf: ok(res[2 * i + 1]) })),
      { address: RENT_FUND_ADDRESS, cash: ok(res[2 * n]), debtOf: ok(res[2 * n + 1]) },
      this.#debtors.size,
    );
    this.#emit({ accounts });
  }

  /** A participant's balances, orders in recent cleared intervals and recently received promises. */
  async #loadParticipant(a: string): Promise<void> {
    if (!this.#watched.has(a)) return;
    const url = this.#rpcUrl;
    const head = BigInt(this.view.chain?.height ?? 0);
    const data = balanceOfData(a);
    const res = await this.#rpc(url).batch([
      { method: 'eth_call', params: [{ to: this.#tokens.cash, data }, 'latest'] },
      { method: 'eth_call', params: [{ to: this.#tokens.credits, data }, 'latest'] },
      { method: 'eth_call', params: [{ to: this.#tokens.promises, data }, 'latest'] },
      { method: 'gl_account', params: [a] },
      {
        method: 'eth_getLogs',
        params: [
          {
            address: this.#tokens.promises,
            fromBlock: `0x${(head > PROMISE_LOOKBACK_BLOCKS ? head - PROMISE_LOOKBACK_BLOCKS : 1n).toString(16)}`,
            toBlock: 'latest',
            topics: [TRANSFER_TOPIC, null, pad(a as Hex, { size: 32 })],
          },
        ],
      },
    ]);
    const acc = ok<GlAccountReturnType>(res[3]);
    const ids = [...new Set((ok<EthLog[]>(res[4]) ?? []).map((l) => BigInt(l.topics[3] ?? '0x0').toString()))]
      .reverse()
      .slice(0, 20);
    const promises = await this.#fetchPromises(ids);
    const orders: ParticipantView['orders'] = [];
    for (const [k, s] of [...this.#summaries.entries()].sort((x, y) => y[0] - x[0])) {
      for (const o of s.orders) {
        if (o.owner !== a) continue;
        orders.push({
          id: o.id,
          interval: k,
          bus: o.bus,
          side: o.side,
          clearedWh: Number(o.clearedWh),
          price: microsToDollars(o.priceMicrosPerMWh),
          status: o.status,
        });
      }
    }
    if (!this.#watched.has(a)) return;
    this.#emitParticipant({
      address: a,
      cash: uintOf(ok(res[0])),
      credits: uintOf(ok(res[1])),
      promisesHeld: uintOf(ok(res[2])),
      account:
        acc === undefined
          ? (this.#participants.get(a)?.account ?? null)
          : {
              escrowMicros: acc.escrowMicros,
              collateralMicros: acc.collateralMicros,
              debtMicros: acc.debtMicros,
              dueMicros: acc.dueMicros,
              inDefault: acc.inDefault,
              claims: acc.claims.length,
            },
      orders: orders.slice(0, 30),
      promises,
    });
  }

  /** The promises' records (`promiseOf`), in one batch; ids that fail to decode are left out. */
  async #fetchPromises(ids: string[]): Promise<TradeRow[]> {
    if (ids.length === 0) return [];
    const res = await this.#rpc(this.#rpcUrl).batch(
      ids.map((id) => ({
        method: 'eth_call',
        params: [{ to: MARKET_ADDRESS, data: promiseOfData(BigInt(id)) }, 'latest'],
      })),
    );
    return ids.flatMap((id, i) => decodePromise(id, ok(res[i])) ?? []);
  }

  async #pollValidators(): Promise<void> {
    const rows = await pollValidators(this.#opts.rpcUrls, this.view.validators);
    if (JSON.stringify(rows) !== JSON.stringify(this.view.validators)) this.#emit({ validators: rows });
  }
}
