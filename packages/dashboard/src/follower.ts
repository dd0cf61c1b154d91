// Follows the chain and the energy market for the dashboard and keeps the view model (view.ts) up to
// date. Per block (a newHeads notification) it makes one JSON-RPC batch of small reads: the block's
// transaction count, `gl_marketConfig`, the open interval's order count and the balances of watched
// participants. Heavy reads (the cleared interval's orders, grid state, promises; the price history)
// run once per cleared interval, on their own queue, so a large book never delays the next block.
// Validators are polled with `gl_status` once a second. Changes go to `onUpdate` listeners by section.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  decodeMarketConfigJson,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  marketTimeMs,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
} from '@gridledger/energy';
import type { Logger } from 'pino';
import { decodeFunctionResult, encodeEventTopics, encodeFunctionData, erc20Abi, type Hex, pad } from 'viem';
import { buildCurves, microsToDollars, type RpcOrder, summariseBook } from './curves.ts';
import { layoutNetwork } from './layout.ts';
import { type NewHead, type RpcCall, type RpcOutcome, rpcBatch, subscribeNewHeads } from './rpc-client.ts';
import type {
  BlockRow,
  ClearedView,
  DashboardView,
  FlowRow,
  MarketView,
  NetworkView,
  ParticipantsView,
  ParticipantView,
  TradeRow,
  ValidatorRow,
} from './view.ts';

/** Addresses of the cash (ERC-20), credits (ERC-20) and promises (ERC-721) tokens. */
export interface TokenAddresses {
  cash: string;
  credits: string;
  promises: string;
}

/** The fixed token module addresses (execution package; also in addresses.json). */
export const TOKEN_ADDRESSES: Readonly<TokenAddresses> = {
  cash: '0x0000000000000000000000000000000000001001',
  credits: '0x0000000000000000000000000000000000001002',
  promises: '0x0000000000000000000000000000000000001003',
};

/** Intervals of LMP history kept per bus (a day of 5-minute intervals). */
export const HISTORY_INTERVALS = 288;
/** Blocks kept for the chain statistics; the view shows the newest 20. */
const BLOCK_BUFFER = 400;
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
}

interface MarketConfigRpc {
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

interface IntervalRpc {
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

interface GridStateRpc {
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

const ok = <T>(r: RpcOutcome | undefined): T | undefined => (r?.ok ? (r.result as T) : undefined);
const errOf = (r: RpcOutcome | undefined) => (r && !r.ok ? r : undefined);

const promiseOfData = (tokenId: bigint) =>
  encodeFunctionData({ abi: MARKET_ABI, functionName: 'promiseOf', args: [tokenId] });
const balanceOfData = (address: string) =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex] });
const TRANSFER_TOPIC = encodeEventTopics({ abi: erc20Abi, eventName: 'Transfer' })[0] as Hex;
const INTERVAL_SETTLED_TOPIC = encodeEventTopics({ abi: MARKET_ABI, eventName: 'IntervalSettled' })[0] as Hex;

function decodePromise(tokenId: string, data: unknown): TradeRow | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const p = decodeFunctionResult({ abi: MARKET_ABI, functionName: 'promiseOf', data: data as Hex });
    return {
      tokenId,
      seller: p.seller.toLowerCase(),
      buyer: p.buyer.toLowerCase(),
      sellerBus: Number(p.sellerBus),
      buyerBus: Number(p.buyerBus),
      energyWh: Number(p.energyWh),
      sellerPrice: microsToDollars(p.sellerPriceMicrosPerMWh),
      buyerPrice: microsToDollars(p.buyerPriceMicrosPerMWh),
      settled: p.settled,
      deliveredWh: Number(p.deliveredWh),
    };
  } catch {
    return undefined;
  }
}

const avg = (xs: number[]) => (xs.length === 0 ? 0 : Math.round(xs.reduce((s, x) => s + x, 0) / xs.length));

const uintOf = (data: unknown): string | null =>
  typeof data === 'string' && /^0x[0-9a-fA-F]+$/.test(data) ? BigInt(data).toString() : null;

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
  #blocks: BlockRow[] = [];
  #pendingHeads: { head: NewHead; receivedMs: number }[] = [];
  #processingHeads = false;
  #config: MarketConfigRpc['config'] | undefined;
  #clock: MarketConfig | undefined;
  #lastCleared = -1;
  #lastSettled = -1;
  #heavy: Promise<void> = Promise.resolve();
  /** Price history: interval -> { startMs, lmp by bus }. */
  readonly #history = new Map<number, { startMs: number; lmps: Record<string, number> }>();
  #historyLoaded = false;
  /** Book summaries of recent cleared intervals (for the suggested participant). */
  readonly #summaries = new Map<number, { orders: RpcOrder[]; topBuyer: string | null }>();
  readonly #watched = new Map<string, number>();
  readonly #participants = new Map<string, ParticipantView>();
  #networkTried = -1;
  #backfilled = false;
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 20 });

  constructor(opts: FollowerOptions) {
    if (opts.rpcUrls.length === 0) throw new Error('dashboard: expected at least one JSON-RPC URL');
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
    return [...this.#history.entries()]
      .sort((a, b) => a[0] - b[0])
      .flatMap(([, h]) => (h.lmps[bus] === undefined ? [] : [[h.startMs, h.lmps[bus]!] as [number, number]]));
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
  #showHead(head: NewHead, receivedMs: number, url: string): void {
    const number = Number(BigInt(head.number));
    if (this.#blocks.some((b) => b.number === number)) return;
    const timeMs = Number(BigInt(head.timestampMs ?? BigInt(head.timestamp) * 1000n));
    this.#blocks.unshift({
      number,
      hash: head.hash,
      timeMs,
      txCount: null,
      finalityMs: Math.max(0, receivedMs - timeMs),
      proposer: head.miner ?? '',
    });
    this.#blocks.sort((a, b) => b.number - a.number);
    this.#blocks.length = Math.min(this.#blocks.length, BLOCK_BUFFER);
    const chain = this.#chainView(url);
    if (chain) chain.feedMs = Date.now() - receivedMs;
    this.#emit({ chain });
  }

  /** The blocks before the first notification (once), so the chain view is full from the start. */
  async #backfill(url: string, first: number): Promise<void> {
    const from = Math.max(1, first - 19);
    if (from >= first) return;
    const heights = Array.from({ length: first - from }, (_, i) => `0x${(from + i).toString(16)}`);
    const res = await rpcBatch(
      url,
      heights.map((h) => ({ method: 'eth_getBlockByNumber', params: [h, false] })),
    );
    for (const r of res) {
      const b = ok<NewHead & { transactions: unknown[] }>(r);
      if (!b || this.#blocks.some((x) => x.number === Number(BigInt(b.number)))) continue;
      this.#blocks.push({
        number: Number(BigInt(b.number)),
        hash: b.hash,
        timeMs: Number(BigInt(b.timestampMs ?? BigInt(b.timestamp) * 1000n)),
        txCount: b.transactions.length,
        finalityMs: null,
        proposer: b.miner ?? '',
      });
    }
    this.#blocks.sort((a, b) => b.number - a.number);
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
  async #onHeads(heads: { head: NewHead; receivedMs: number }[]): Promise<void> {
    const url = this.#rpcUrl;
    const watched = [...this.#watched.keys()];
    const calls: RpcCall[] = heads.map(({ head }) => ({
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
    const res = await rpcBatch(url, calls);
    // The blocks' transaction counts (the rows were shown when their notifications came).
    for (let i = 0; i < heads.length; i++) {
      const number = Number(BigInt(heads[i]!.head.number));
      const row = this.#blocks.find((b) => b.number === number);
      const count = ok<string | null>(res[i]);
      if (row && typeof count === 'string') row.txCount = Number(BigInt(count));
    }
    const sections: Partial<DashboardView> = { chain: this.#chainView(url) };
    // Market clock.
    const mcOutcome = res[heads.length];
    const mc = ok<MarketConfigRpc>(mcOutcome);
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
      let openIv = openGuess === open ? ok<IntervalRpc>(res[heads.length + 1]) : undefined;
      if (openIv === undefined && mc.openInterval !== null) {
        const [iv] = await rpcBatch(url, [{ method: 'gl_interval', params: [open.toString()] }]);
        openIv = ok<IntervalRpc>(iv);
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
  #openIntervalAt(head: NewHead): bigint | undefined {
    const c = this.#clock;
    if (c === undefined) return undefined;
    const now = marketTimeMs(c, BigInt(head.timestampMs ?? BigInt(head.timestamp) * 1000n));
    const k = (now + c.gateLeadMs) / c.intervalMs + 1n;
    return k < c.firstInterval ? c.firstInterval : k;
  }

  #chainView(url: string): DashboardView['chain'] {
    const blocks = this.#blocks;
    const newest = blocks[0];
    let tps = 0;
    let avgBlockMs = 0;
    if (newest) {
      const window = blocks.filter((b) => b.timeMs > newest.timeMs - 30_000);
      const oldest = window[window.length - 1]!;
      const spanMs = newest.timeMs - oldest.timeMs;
      if (spanMs > 0) {
        tps = (window.slice(0, -1).reduce((s, b) => s + (b.txCount ?? 0), 0) * 1000) / spanMs;
        avgBlockMs = spanMs / (window.length - 1);
      }
    }
    const recent = blocks.slice(0, 20);
    return {
      rpcUrl: url,
      height: newest?.number ?? 0,
      blocks: recent,
      tps: Math.round(tps * 10) / 10,
      avgBlockMs: Math.round(avgBlockMs),
      feedMs: 0,
      readMs: this.view.chain?.readMs ?? 0,
      loopStallMs: this.view.chain?.loopStallMs ?? 0,
      avgFinalityMs: avg(recent.flatMap((b) => (b.finalityMs === null ? [] : [b.finalityMs]))),
    };
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

  async #loadNetwork(interval: number | undefined): Promise<GridStateRpc | null> {
    const [r] = await rpcBatch(this.#rpcUrl, [
      { method: 'gl_gridState', params: interval === undefined ? [] : [String(interval)] },
    ]);
    const g = ok<GridStateRpc | null>(r) ?? null;
    if (g === null) return null;
    if (this.view.network === null || this.view.network.version !== g.version) {
      // gl_gridState leaves out branch status: the registry's network JSON has it (open tie switches).
      const [jr] = await rpcBatch(this.#rpcUrl, [
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
      const outOfService = new Set<number>();
      try {
        const text = decodeFunctionResult({
          abi: REGISTRY_ABI,
          functionName: 'networkJson',
          data: ok<Hex>(jr)!,
        });
        for (const b of (JSON.parse(text) as { branches: { index: number; status: number }[] }).branches)
          if (b.status === 0) outOfService.add(b.index);
      } catch {
        // every branch drawn in service
      }
      const root = this.#config?.upstream.bus ?? g.buses.find((b) => b.type === 3)?.id ?? null;
      const pos = layoutNetwork(
        g.buses.map((b) => b.id),
        g.branches.filter((b) => !outOfService.has(b.index)).map((b) => [b.from, b.to] as const),
        root ?? undefined,
      );
      const network: NetworkView = {
        name: g.name,
        version: g.version,
        root,
        buses: g.buses.map((b) => ({
          id: b.id,
          type: b.type,
          x: pos.get(b.id)?.x ?? 0,
          y: pos.get(b.id)?.y ?? 0,
        })),
        branches: g.branches.map((b) => ({
          index: b.index,
          from: b.from,
          to: b.to,
          limitMw: b.limitMw,
          inService: !outOfService.has(b.index),
        })),
      };
      this.#emit({ network, marketNote: null });
    }
    return g;
  }

  async #loadHistory(from: number, to: number): Promise<void> {
    const [r] = await rpcBatch(this.#rpcUrl, [{ method: 'gl_prices', params: [String(from), String(to)] }]);
    const rows = ok<{ interval: string; startMs: string; bus: number; lmpMicrosPerMWh: string }[]>(r) ?? [];
    for (const row of rows) {
      const k = Number(row.interval);
      const h = this.#history.get(k) ?? { startMs: Number(row.startMs), lmps: {} };
      h.lmps[row.bus] = microsToDollars(row.lmpMicrosPerMWh);
      this.#history.set(k, h);
    }
    this.#trimHistory();
  }

  #trimHistory(): void {
    const keys = [...this.#history.keys()].sort((a, b) => a - b);
    for (const k of keys.slice(0, Math.max(0, keys.length - HISTORY_INTERVALS))) this.#history.delete(k);
  }

  /** The heavy read of one cleared interval. */
  async #loadCleared(k: number): Promise<void> {
    const url = this.#rpcUrl;
    const [ivR, ordersR] = await rpcBatch(url, [
      { method: 'gl_interval', params: [String(k)] },
      { method: 'gl_orders', params: [String(k)] },
    ]);
    const iv = ok<IntervalRpc>(ivR);
    if (iv === undefined) return;
    const orders = ok<RpcOrder[]>(ordersR) ?? [];
    const grid = await this.#loadNetwork(k);
    const lmps: Record<string, number> = {};
    for (const [bus, v] of Object.entries(iv.lmpMicrosPerMWh ?? {})) lmps[bus] = microsToDollars(v);
    const values = Object.values(lmps);
    if (values.length > 0) {
      this.#history.set(k, { startMs: Number(iv.startMs), lmps });
      this.#trimHistory();
    }
    const flows: FlowRow[] = (grid?.branches ?? []).map((b) => {
      const flowMw = b.flowW === undefined ? 0 : Number(BigInt(b.flowW)) / 1e6;
      const mu = BigInt(b.muFromMicros ?? '0') !== 0n || BigInt(b.muToMicros ?? '0') !== 0n;
      const loading = b.limitMw > 0 ? Math.abs(flowMw) / b.limitMw : 0;
      return { index: b.index, flowMw, limitMw: b.limitMw, loading, congested: mu || loading >= 0.999 };
    });
    const trades = await this.#fetchPromises(iv.promises.slice(0, TRADES_SHOWN));
    const up = this.#config?.upstream;
    const summary = summariseBook(orders);
    const cleared: ClearedView = {
      interval: k,
      status: iv.status,
      startMs: Number(iv.startMs),
      endMs: Number(iv.endMs),
      lmps,
      lmpMin: values.length ? Math.min(...values) : 0,
      lmpMax: values.length ? Math.max(...values) : 0,
      congestionRent: microsToDollars(iv.congestionRent),
      flows,
      curves: buildCurves(
        orders,
        up && {
          importPriceMicrosPerMWh: BigInt(up.importPriceMicrosPerMWh),
          exportPriceMicrosPerMWh: BigInt(up.exportPriceMicrosPerMWh),
          capacityWh: BigInt(up.capacityWh),
        },
      ),
      summary,
      upstream: { soldWh: Number(iv.upstream.soldWh), boughtWh: Number(iv.upstream.boughtWh) },
      promises: iv.promises.length,
      trades,
    };
    this.#summaries.set(k, { orders, topBuyer: summary.topBuyers[0]?.address ?? null });
    for (const old of [...this.#summaries.keys()]) if (old < k - 8) this.#summaries.delete(old);
    const participants: ParticipantsView = {
      ...this.view.participants,
      active: [...summary.topBuyers, ...summary.topSellers],
      suggested: this.#suggested(),
    };
    this.#emit({ cleared, participants });
    for (const a of this.#watched.keys()) await this.#loadParticipant(a);
  }

  #suggested(): string | null {
    const settled = this.#summaries.get(this.#lastSettled);
    return settled?.topBuyer ?? this.view.participants.suggested ?? null;
  }

  async #loadSettled(k: number): Promise<void> {
    const url = this.#rpcUrl;
    const head = BigInt(this.view.chain?.height ?? 0);
    const [ivR, logsR] = await rpcBatch(url, [
      { method: 'gl_interval', params: [String(k)] },
      {
        method: 'eth_getLogs',
        params: [
          {
            address: MARKET_ADDRESS,
            fromBlock: `0x${(head > 50n ? head - 50n : 1n).toString(16)}`,
            toBlock: 'latest',
            topics: [INTERVAL_SETTLED_TOPIC, pad(`0x${k.toString(16)}`, { size: 32 })],
          },
        ],
      },
    ]);
    const iv = ok<IntervalRpc>(ivR);
    if (iv === undefined) return;
    const logs = ok<{ data: Hex }[]>(logsR) ?? [];
    const creditsWh = logs[0] ? Number(BigInt(logs[0].data.slice(0, 66))) : null;
    this.#emit({
      settled: {
        interval: k,
        creditsWh,
        promises: iv.promises.length,
        expectedReadings: Number(iv.expectedReadings),
        reportedReadings: Number(iv.reportedReadings),
      },
      participants: { ...this.view.participants, suggested: this.#suggested() },
    });
    // The shown trades of a now settled interval get their delivered energy.
    const cleared = this.view.cleared;
    if (cleared?.interval === k) {
      const trades = await this.#fetchPromises(cleared.trades.map((t) => t.tokenId));
      this.#emit({ cleared: { ...cleared, status: iv.status, trades } });
    }
    for (const a of this.#watched.keys()) await this.#loadParticipant(a);
  }

  /** A participant's balances, orders in recent cleared intervals and recently received promises. */
  async #loadParticipant(a: string): Promise<void> {
    if (!this.#watched.has(a)) return;
    const url = this.#rpcUrl;
    const head = BigInt(this.view.chain?.height ?? 0);
    const data = balanceOfData(a);
    const res = await rpcBatch(url, [
      { method: 'eth_call', params: [{ to: this.#tokens.cash, data }, 'latest'] },
      { method: 'eth_call', params: [{ to: this.#tokens.credits, data }, 'latest'] },
      { method: 'eth_call', params: [{ to: this.#tokens.promises, data }, 'latest'] },
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
    const ids = [
      ...new Set((ok<{ topics: Hex[] }[]>(res[3]) ?? []).map((l) => BigInt(l.topics[3] ?? '0x0').toString())),
    ]
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
      orders: orders.slice(0, 30),
      promises,
    });
  }

  /** The promises' records (`promiseOf`), in one batch; ids that fail to decode are left out. */
  async #fetchPromises(ids: string[]): Promise<TradeRow[]> {
    if (ids.length === 0) return [];
    const res = await rpcBatch(
      this.#rpcUrl,
      ids.map((id) => ({
        method: 'eth_call',
        params: [{ to: MARKET_ADDRESS, data: promiseOfData(BigInt(id)) }, 'latest'],
      })),
    );
    return ids.flatMap((id, i) => decodePromise(id, ok(res[i])) ?? []);
  }

  async #pollValidators(): Promise<void> {
    const rows = await Promise.all(
      this.#opts.rpcUrls.map(async (url): Promise<ValidatorRow> => {
        try {
          const [s] = await rpcBatch(url, [{ method: 'gl_status' }], 1500);
          const st = ok<{
            height: string;
            peers: number | string;
            catchingUp: boolean;
            validator: { publicKey: string; index: number } | null;
          }>(s);
          if (st === undefined) throw new Error('no status');
          return {
            url,
            index: st.validator?.index ?? null,
            publicKey: st.validator?.publicKey ?? null,
            height: Number(st.height),
            peers: Number(st.peers),
            status: st.catchingUp ? 'behind' : 'up',
          };
        } catch {
          return { url, index: null, publicKey: null, height: null, peers: null, status: 'down' };
        }
      }),
    );
    const top = Math.max(0, ...rows.map((r) => r.height ?? 0));
    for (const r of rows)
      if (r.status === 'up' && r.height !== null && r.height < top - 3) r.status = 'behind';
    for (const r of rows) {
      const prev = this.view.validators.find((v) => v.url === r.url);
      if (r.status === 'down' && prev) {
        r.index = prev.index;
        r.publicKey = prev.publicKey;
      }
    }
    if (JSON.stringify(rows) !== JSON.stringify(this.view.validators)) this.#emit({ validators: rows });
  }
}
