// runScenario: drives a scenario's devices against a running chain over JSON-RPC. Setup (the grid
// operator registers the network and every meter, the admin registers each device at its bus, skipping
// what is already registered, so a resumed chain is picked up), then per interval: each device signs its
// orders before the gate; once the interval is cleared the driver reads what cleared; once it has ended
// each meter signs what actually happened and the readings go in batches (faulty meters' readings alone,
// late ones after the deadline, missing ones never); once it is settled, a report. Runs K intervals or
// until the AbortSignal; per-interval reports and progress go to callbacks. Invariants: invariants.ts.
import { GridledgerError } from '@gridledger/base';
import {
  deadlineMs,
  intervalEndMs,
  MARKET_ABI,
  MARKET_ADDRESS,
  MAX_READINGS_PER_TX,
  type MarketConfig,
  METERS_ADDRESS,
  networkToJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
} from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import { decodeEventLog, type Hex, toEventSelector } from 'viem';
import { type Call, ChainClient, type MarketClockView, type SentTx, sleep, type TxReceipt } from './chain.ts';
import {
  type Cleared,
  type DeviceState,
  deliver,
  type IntervalContext,
  initialState,
  type Metered,
  type PlannedOrder,
  planOrders,
} from './devices.ts';
import { encodePlaceOrder, encodeSubmitReadings } from './encode.ts';
import { INVARIANT_NAMES, type InvariantResults, InvariantTracker } from './invariants.ts';
import { buildPopulation, type SimDevice } from './population.ts';
import type { Scenario } from './scenario.ts';
import { type KeyPair, keyFromPrivate, signReading } from './signer.ts';

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
  | { type: 'cleared'; interval: string; status: string; lmpMin: number; lmpMax: number; promises: number }
  | { type: 'readings'; interval: string; readings: number; transactions: number; ms: number }
  | { type: 'settled'; report: IntervalReport }
  | { type: 'warning'; message: string };

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** JSON-RPC URLs of the chain's nodes (the first also serves the clock, views and receipts). */
  rpcUrls: readonly string[];
  scenario: Scenario;
  /** Private keys of the dev admin (registers participants), grid operator (network, meters) and a submitter of readings. */
  keys: { admin: Hex; gridOperator: Hex; submitter: Hex };
  /** Stop after this many intervals are cleared and settled (default: run until the signal aborts). */
  intervals?: number;
  signal?: AbortSignal;
  /** Called with each interval's report once it is settled. */
  onInterval?: (report: IntervalReport) => void;
  /** Progress events. */
  onEvent?: (event: SimEvent) => void;
  /** Genesis accounts whose cash counts in the balance invariant (the devices and the three keys are added). */
  knownAccounts?: readonly Address[];
  /** Re-clear every interval off-chain and compare with the stored clearing (default true). */
  verifyClearing?: boolean;
  /** Poll period of the market clock, ms (default 250). */
  pollMs?: number;
  /**
   * Orders for an interval are sent once at most this many earlier gates are still open (default 1: the
   * devices have two intervals to reach a block before the gate; 0: one interval, after the previous
   * interval cleared).
   */
  orderAheadIntervals?: number;
}

/** What {@link runScenario} returns. */
export interface RunResult {
  intervals: IntervalReport[];
  invariants: InvariantResults;
  /** Every invariant failure, described. */
  failures: string[];
  totals: RunTotals;
  /** Why the run ended: the K intervals are done, or the signal aborted. */
  stopped: 'done' | 'aborted';
}

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

/** Gas limits: generous over the measured use (placeOrder ~103k-114k, ~28k per reading). */
const ORDER_GAS = (steps: number) => 120_000n + 20_000n * BigInt(steps);
const READINGS_GAS = (n: number) => 60_000n + 40_000n * BigInt(n);
/** Registrations in flight per sender (the mempool takes nonces at most 1,000 ahead of the next). */
const SETUP_WINDOW = 1000;
/**
 * Readings per submitReadings transaction: 200 (about 58 kB) stays under the nodes' default 64 KiB
 * transaction limit (the module itself takes up to MAX_READINGS_PER_TX = 500).
 */
export const READINGS_PER_TX = Math.min(200, MAX_READINGS_PER_TX);

const INTERVAL_CLEARED = toEventSelector(
  MARKET_ABI.find((x) => x.type === 'event' && x.name === 'IntervalCleared')!,
);
const INTERVAL_SETTLED = toEventSelector(
  MARKET_ABI.find((x) => x.type === 'event' && x.name === 'IntervalSettled')!,
);

interface ReadingTx {
  sent: SentTx;
  readings: { device: number; reading: Reading }[];
  kind: 'normal' | 'faulty' | 'late';
  receipt?: TxReceipt;
}

interface IntervalRun {
  k: bigint;
  planned: Map<number, PlannedOrder[]>;
  /** The order transactions sent (to explain orders missing on chain). */
  orderTxs: SentTx[];
  ordersSent: number;
  ordersRejectedAtSubmit: number;
  cleared?: Map<number, Cleared>;
  lmpMicros?: Map<number, bigint>;
  clearedBlock?: bigint;
  status?: string;
  failReason?: string;
  settleLookups?: number;
  partial?: Omit<
    IntervalReport,
    'readingsAccepted' | 'readingsRejected' | 'creditsMintedWh' | 'meteredDeliveredWh' | 'invariantFailures'
  >;
  delivered: boolean;
  metered: Map<number, Metered>;
  late: { device: number; reading: Reading; signature: Hex }[];
  lateSent: boolean;
  readingTxs: ReadingTx[];
  reported: boolean;
}

const dollars = (micros: bigint) => Number(micros) / 1e6;
const usdPerMWh = (microsPerMWh: bigint) => Number(microsPerMWh) / 1e6;

/**
 * Runs a scenario against a chain whose genesis holds its market (see scenarioGenesis).
 * @example
 * const ac = new AbortController();
 * const r = await runScenario({ rpcUrls: ['http://127.0.0.1:26601'], scenario, keys, signal: ac.signal,
 *   onInterval: (rep) => console.log(rep.interval, rep.lmpMin, rep.lmpMax) });
 */
export async function runScenario(opts: RunScenarioOptions): Promise<RunResult> {
  const sim = new Simulation(opts);
  try {
    return await sim.run();
  } catch (err) {
    // Stopped during setup (or a request cut short by the signal): a stop, not a failure.
    if (!opts.signal?.aborted) throw err;
    return {
      intervals: sim.reports,
      invariants: Object.fromEntries(INVARIANT_NAMES.map((n) => [n, true])) as InvariantResults,
      failures: [],
      totals: totalsOf(sim.reports, sim.devices.length),
      stopped: 'aborted',
    };
  }
}

class Simulation {
  readonly opts: RunScenarioOptions;
  readonly chain: ChainClient;
  readonly devices: SimDevice[];
  readonly byAddress = new Map<Address, number>();
  readonly states: DeviceState[];
  readonly runs = new Map<bigint, IntervalRun>();
  readonly reports: IntervalReport[] = [];
  readonly admin: KeyPair;
  readonly operator: KeyPair;
  readonly submitter: KeyPair;
  config!: MarketConfig;
  invariants!: InvariantTracker;
  nextOrder = -1n;
  ordered = 0;
  lastDelivered = -1n;

  constructor(opts: RunScenarioOptions) {
    this.opts = opts;
    this.chain = new ChainClient(opts.rpcUrls, opts.signal);
    this.devices = buildPopulation(opts.scenario);
    this.devices.forEach((d, i) => {
      this.byAddress.set(d.account.address, i);
    });
    this.admin = keyFromPrivate(opts.keys.admin);
    this.operator = keyFromPrivate(opts.keys.gridOperator);
    this.submitter = keyFromPrivate(opts.keys.submitter);
    this.states = [];
  }

  emit(e: SimEvent) {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // A listener's failure must not stop the devices.
    }
  }

  get signal() {
    return this.opts.signal;
  }

  async run(): Promise<RunResult> {
    const clock = await this.chain.connect();
    this.config = clock.config;
    const ref = Number(
      (this.config.upstream.importPriceMicrosPerMWh + this.config.upstream.exportPriceMicrosPerMWh) / 2n,
    );
    for (const d of this.devices) this.states.push(initialState(d.spec, ref));
    await this.setup();
    this.invariants = new InvariantTracker({
      chain: this.chain,
      config: this.config,
      devices: this.devices,
      knownAccounts: [
        ...(this.opts.knownAccounts ?? []),
        this.admin.address,
        this.operator.address,
        this.submitter.address,
        this.config.upstream.account,
      ],
      verifyClearing: this.opts.verifyClearing ?? true,
    });
    await this.invariants.start();
    let stopped: 'done' | 'aborted';
    try {
      stopped = await this.loop();
    } catch (err) {
      // A request cut short by the stop signal is a stop, not a failure.
      if (!this.signal?.aborted) throw err;
      stopped = 'aborted';
    }
    // The whole-chain checks need a quiet chain and live nodes: only when the K intervals are done.
    const final =
      stopped === 'done'
        ? await this.invariants.finish(this.reports.length > 0)
        : { results: { ...this.invariants.ok }, failures: [...this.invariants.failures] };
    return {
      intervals: this.reports,
      invariants: final.results,
      failures: final.failures,
      totals: totalsOf(this.reports, this.devices.length),
      stopped,
    };
  }

  /** Registers the network, meters and participants that are not registered yet. */
  async setup(): Promise<void> {
    const s = this.opts.scenario;
    const c = this.chain;
    const version = await c.view<bigint>({
      to: REGISTRY_ADDRESS,
      abi: REGISTRY_ABI,
      functionName: 'networkVersion',
      args: [],
    });
    const json = networkToJson(s.network);
    await c.syncNonces([this.admin.address, this.operator.address, this.submitter.address]);
    if (version === 0n) {
      this.emit({ type: 'setup', step: 'network', detail: `${json.name}: ${json.buses.length} buses` });
      const [tx] = await c.send([
        {
          key: this.operator,
          call: {
            to: REGISTRY_ADDRESS,
            abi: REGISTRY_ABI,
            functionName: 'registerNetwork',
            args: [JSON.stringify(json)],
          },
          gas: 29_000_000n,
        },
      ]);
      await this.expectSuccess([tx!], 'registerNetwork');
    } else {
      const onChain = JSON.parse(
        await c.view<string>({
          to: REGISTRY_ADDRESS,
          abi: REGISTRY_ABI,
          functionName: 'networkJson',
          args: [],
        }),
      ) as { name: string; buses: unknown[] };
      if (onChain.name !== json.name || onChain.buses.length !== json.buses.length) {
        throw new GridledgerError(
          'E_SCENARIO',
          `the chain's registered network is ${onChain.name} (${onChain.buses.length} buses), but the scenario's is ${json.name} (${json.buses.length} buses): use a fresh chain for this scenario`,
        );
      }
    }
    // Meters not yet registered.
    const meters = await c.views<readonly [Address, bigint, Address]>(
      this.devices.map((d) => ({
        to: REGISTRY_ADDRESS,
        abi: REGISTRY_ABI,
        functionName: 'meterOf',
        args: [d.meterId],
      })),
      true,
    );
    const zero = '0x0000000000000000000000000000000000000000';
    const needMeter = this.devices.filter((_, i) => {
      const m = meters[i];
      return m === undefined || m[0].toLowerCase() === zero;
    });
    const canTrade = await c.views<boolean>(
      this.devices.map((d) => ({
        to: REGISTRY_ADDRESS,
        abi: REGISTRY_ABI,
        functionName: 'canTrade',
        args: [d.account.address, BigInt(d.spec.bus)],
      })),
    );
    const needParticipant = this.devices.filter((_, i) => canTrade[i] !== true);
    this.emit({
      type: 'setup',
      step: 'registrations',
      detail: `${needMeter.length} meters, ${needParticipant.length} participants`,
    });
    const meterTxs = needMeter.map((d) => ({
      key: this.operator,
      call: {
        to: REGISTRY_ADDRESS,
        abi: REGISTRY_ABI,
        functionName: 'registerMeter',
        args: [d.meterId, d.meterKey.address, BigInt(d.spec.bus), d.account.address],
      } as Call,
      gas: 120_000n,
    }));
    const participantTxs = needParticipant.map((d) => ({
      key: this.admin,
      call: {
        to: REGISTRY_ADDRESS,
        abi: REGISTRY_ABI,
        functionName: 'registerParticipant',
        args: [d.account.address, [BigInt(d.spec.bus)]],
      } as Call,
      gas: 100_000n,
    }));
    // Windows in flight: the mempool is bounded and takes a sender's nonces at most 1,000 ahead, so a
    // window holds at most SETUP_WINDOW of each sender's transactions. The two senders go through two nodes.
    const t0 = performance.now();
    const total = meterTxs.length + participantTxs.length;
    for (let i = 0; i < Math.max(meterTxs.length, participantTxs.length); i += SETUP_WINDOW) {
      if (this.signal?.aborted) return;
      const window = [...meterTxs.slice(i, i + SETUP_WINDOW), ...participantTxs.slice(i, i + SETUP_WINDOW)];
      const sent = await c.send(window, (a) => (a === this.admin.address ? 1 : 0));
      await this.expectSuccess(sent, 'registration');
    }
    await c.syncNonces(this.devices.map((d) => d.account.address));
    this.emit({
      type: 'setup',
      step: 'done',
      detail: `${this.devices.length} devices registered, ${total} transactions in ${Math.round(performance.now() - t0)} ms`,
    });
  }

  async expectSuccess(sent: SentTx[], what: string): Promise<void> {
    const rejected = sent.find((s) => s.rejected !== undefined);
    if (rejected) throw new GridledgerError('E_SETUP', `${what}: transaction rejected: ${rejected.rejected}`);
    const rs = await this.chain.waitReceipts(
      sent.map((s) => s.hash),
      300_000,
      this.signal,
    );
    const bad = rs.findIndex((r) => r.status !== 'success');
    if (bad >= 0) throw new GridledgerError('E_SETUP', `${what}: transaction reverted: ${rs[bad]!.reason}`);
  }

  /** The main loop: poll the clock and act on what changed. */
  async loop(): Promise<'done' | 'aborted'> {
    const target = this.opts.intervals;
    const poll = this.opts.pollMs ?? 250;
    for (;;) {
      if (this.signal?.aborted) return 'aborted';
      let clock: MarketClockView;
      try {
        clock = await this.chain.clock();
      } catch (err) {
        if (this.signal?.aborted) return 'aborted';
        this.emit({ type: 'warning', message: `clock: ${(err as Error).message}` });
        await sleep(1000, this.signal);
        continue;
      }
      await this.processCleared(clock);
      await this.placeOrders(clock);
      await this.deliverEnded(clock);
      await this.sendLate(clock);
      await this.pollReadingReceipts();
      await this.reportSettled(clock);
      if (target !== undefined && this.reports.length >= target) return 'done';
      await sleep(poll, this.signal);
    }
  }

  /** Places the devices' orders for the open interval, once its predecessor has cleared. */
  async placeOrders(clock: MarketClockView): Promise<void> {
    const target = this.opts.intervals;
    if (target !== undefined && this.ordered >= target) return;
    const L = this.config.intervalMs;
    const open = clock.openInterval;
    if (this.nextOrder < 0n) {
      // The first interval: the one after the next gate, so that its orders have at least a full
      // interval to reach a block (the next gate may be moments away).
      this.nextOrder = open + 1n;
      this.emit({ type: 'ready', devices: this.devices.length, firstInterval: this.nextOrder.toString() });
    }
    if (open > this.nextOrder) {
      this.emit({
        type: 'warning',
        message: `intervals ${this.nextOrder}..${open - 1n} passed their gate before the devices could order`,
      });
      this.nextOrder = open;
    }
    const k = this.nextOrder;
    // Orders for k go out while up to `orderAheadIntervals` earlier gates are still open: the window to
    // reach a block before k's gate is then that many intervals longer than one.
    if (k > open + BigInt(this.opts.orderAheadIntervals ?? 1)) return;
    // Intervals cleared or ordered but not yet delivered: what the devices expect to happen first.
    const undelivered = [...this.runs.values()].filter((r) => !r.delivered && r.k < k);
    const t0 = performance.now();
    const ctx: IntervalContext = {
      seed: this.opts.scenario.seed,
      interval: k,
      startMs: Number(k * L),
      minutes: Number(L / 60_000n),
    };
    const planned = new Map<number, PlannedOrder[]>();
    const txs: { key: KeyPair; call: { to: Address; data: Hex }; gas: bigint }[] = [];
    this.devices.forEach((d, i) => {
      const pending = pendingOf(undelivered, i, d.spec.kind);
      const orders = planOrders(d.spec, this.states[i]!, ctx, pending);
      if (orders.length === 0) return;
      planned.set(i, orders);
      for (const o of orders) {
        txs.push({
          key: d.account,
          call: {
            to: MARKET_ADDRESS,
            data: encodePlaceOrder(k, d.spec.bus, o.side === 'buy' ? 0 : 1, o.steps),
          },
          gas: ORDER_GAS(o.steps.length),
        });
      }
    });
    const sent = await this.chain.send(txs, (a) => this.byAddress.get(a) ?? 0);
    const rejected = sent.filter((s) => s.rejected !== undefined);
    if (rejected.length > 0)
      this.emit({
        type: 'warning',
        message: `interval ${k}: ${rejected.length} orders rejected at submission (${rejected[0]!.rejected})`,
      });
    this.runs.set(k, {
      k,
      planned,
      orderTxs: sent,
      ordersSent: txs.length,
      ordersRejectedAtSubmit: rejected.length,
      delivered: false,
      metered: new Map(),
      late: [],
      lateSent: false,
      readingTxs: [],
      reported: false,
    });
    this.ordered++;
    this.nextOrder = k + 1n;
    this.emit({
      type: 'orders',
      interval: k.toString(),
      orders: txs.length,
      rejected: rejected.length,
      ms: Math.round(performance.now() - t0),
    });
  }

  /** Reads the clearing of every run interval that the chain has cleared. */
  async processCleared(clock: MarketClockView): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.cleared !== undefined || clock.clearNext <= run.k) continue;
      const iv = await this.chain.main.call<{
        status: string;
        startMs: string;
        congestionRent: string;
        promises: string[];
        lmpMicrosPerMWh: Record<string, string> | null;
        upstream: { soldWh: string; boughtWh: string };
      }>('gl_interval', [run.k.toString()]);
      const orders = await this.chain.main.call<
        { id: string; owner: Address; bus: number; side: 'buy' | 'sell'; status: string; clearedWh: string }[]
      >('gl_orders', [run.k.toString()]);
      const cleared = new Map<number, Cleared>();
      let soldWh = 0n;
      let ours = 0;
      for (const o of orders) {
        if (o.status === 'cancelled') continue;
        const wh = BigInt(o.clearedWh);
        if (o.side === 'sell') soldWh += wh;
        const i = this.byAddress.get(o.owner);
        if (i === undefined) continue;
        ours++;
        const c = cleared.get(i) ?? { boughtWh: 0n, soldWh: 0n };
        if (o.side === 'buy') c.boughtWh += wh;
        else c.soldWh += wh;
        cleared.set(i, c);
      }
      if (ours < plannedCountOf(run)) await this.explainMissingOrders(run, ours);
      const lmp = new Map<number, bigint>();
      for (const [bus, v] of Object.entries(iv.lmpMicrosPerMWh ?? {})) lmp.set(Number(bus), BigInt(v));
      const prices = [...lmp.values()].map(usdPerMWh);
      const plannedCount = plannedCountOf(run);
      run.cleared = cleared;
      run.lmpMicros = lmp;
      run.clearedBlock = clock.blockNumber;
      run.status = iv.status;
      run.partial = {
        interval: run.k.toString(),
        startIso: new Date(Number(iv.startMs)).toISOString(),
        status: iv.status === 'failed' ? 'failed' : 'cleared',
        ordersPlaced: orders.filter((o) => o.status !== 'cancelled').length,
        ordersRejected: Math.max(0, plannedCount - ours),
        clearedWh: Number(soldWh + BigInt(iv.upstream.soldWh)),
        lmpMin: prices.length === 0 ? 0 : Math.min(...prices),
        lmpMax: prices.length === 0 ? 0 : Math.max(...prices),
        lmpByBus: Object.fromEntries([...lmp].map(([b, v]) => [String(b), usdPerMWh(v)])),
        congestionRent: dollars(BigInt(iv.congestionRent)),
        promisesMinted: iv.promises.length,
        upstreamSoldWh: Number(iv.upstream.soldWh),
        upstreamBoughtWh: Number(iv.upstream.boughtWh),
      };
      if (iv.status === 'failed') {
        const logs = await this.chain.logs(
          MARKET_ADDRESS,
          [INTERVAL_CLEARED, `0x${run.k.toString(16).padStart(64, '0')}` as Hex],
          clock.blockNumber > 50n ? clock.blockNumber - 50n : 1n,
          clock.blockNumber,
        );
        const reason = logs
          .map((l) => decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [Hex, ...Hex[]], data: l.data }))
          .map((e) => (e.args as { reason?: string }).reason)
          .find((r) => r !== undefined);
        run.failReason = reason ?? 'unknown';
        this.emit({ type: 'warning', message: `interval ${run.k}: the clearing failed: ${run.failReason}` });
      }
      this.emit({
        type: 'cleared',
        interval: run.k.toString(),
        status: iv.status,
        lmpMin: run.partial.lmpMin,
        lmpMax: run.partial.lmpMax,
        promises: iv.promises.length,
      });
      await this.invariants.checkCleared(run.k);
    }
  }

  /** Says why some of the devices' orders for an interval are not on chain (a sample of receipts). */
  async explainMissingOrders(run: IntervalRun, onChain: number): Promise<void> {
    const sample = run.orderTxs.filter((t) => t.rejected === undefined).slice(-2000);
    const rs = await this.chain.receipts(sample.map((t) => t.hash));
    const why = new Map<string, number>();
    rs.forEach((r) => {
      const k = r === undefined ? 'not in any block' : r.status === 'success' ? '' : (r.reason ?? 'reverted');
      if (k !== '') why.set(k.slice(0, 160), (why.get(k.slice(0, 160)) ?? 0) + 1);
    });
    const rejected = run.orderTxs.filter((t) => t.rejected !== undefined);
    if (rejected.length > 0) why.set(`rejected at submission: ${rejected[0]!.rejected}`, rejected.length);
    this.emit({
      type: 'warning',
      message: `interval ${run.k}: ${plannedCountOf(run) - onChain} of the devices' ${plannedCountOf(run)} orders are not on chain: ${[...why].map(([w, n]) => `${n}× ${w}`).join('; ')}`,
    });
  }

  /** After each interval ends: every device delivers, meters sign, readings go in batches. */
  async deliverEnded(clock: MarketClockView): Promise<void> {
    const runs = [...this.runs.values()].sort((a, b) => (a.k < b.k ? -1 : 1));
    for (const run of runs) {
      if (run.delivered || run.cleared === undefined) continue;
      if (clock.marketTimeMs < intervalEndMs(this.config, run.k)) return;
      const t0 = performance.now();
      const L = this.config.intervalMs;
      const seed = this.opts.scenario.seed;
      const normal: { device: number; reading: Reading; signature: Hex }[] = [];
      const faulty: { device: number; reading: Reading; signature: Hex }[] = [];
      this.devices.forEach((d, i) => {
        const ctx: IntervalContext = {
          seed,
          interval: run.k,
          startMs: Number(run.k * L),
          minutes: Number(L / 60_000n),
          lastPriceMicrosPerMWh:
            run.lmpMicros?.get(d.spec.bus) === undefined ? undefined : Number(run.lmpMicros.get(d.spec.bus)),
        };
        const out = deliver(
          d.spec,
          this.states[i]!,
          ctx,
          run.cleared!.get(i) ?? { boughtWh: 0n, soldWh: 0n },
        );
        this.states[i] = out.state;
        if (d.fault === 'missing') return;
        const reading: Reading = { meter: d.meterId, interval: run.k, ...out.metered };
        run.metered.set(i, out.metered);
        const key = d.fault === 'faulty' ? d.wrongKey! : d.meterKey;
        const signature = signReading(key.privateKey, this.config.chainId, reading);
        const item = { device: i, reading, signature };
        if (d.fault === 'late') run.late.push(item);
        else if (d.fault === 'faulty') faulty.push(item);
        else normal.push(item);
      });
      run.delivered = true;
      this.lastDelivered = run.k;
      // Readings of devices that did not trade first: settlement may start once every cleared party
      // has reported, and a batch arriving after that would be rejected whole.
      const traded = (i: number) => {
        const c = run.cleared!.get(i);
        return c !== undefined && (c.boughtWh > 0n || c.soldWh > 0n);
      };
      normal.sort((a, b) => Number(traded(a.device)) - Number(traded(b.device)) || a.device - b.device);
      const batches: { items: typeof normal; kind: ReadingTx['kind'] }[] = [];
      for (let j = 0; j < normal.length; j += READINGS_PER_TX)
        batches.push({ items: normal.slice(j, j + READINGS_PER_TX), kind: 'normal' });
      for (const f of faulty) batches.push({ items: [f], kind: 'faulty' });
      await this.sendReadings(run, batches);
      this.emit({
        type: 'readings',
        interval: run.k.toString(),
        readings: normal.length + faulty.length,
        transactions: batches.length,
        ms: Math.round(performance.now() - t0),
      });
    }
  }

  async sendReadings(
    run: IntervalRun,
    batches: { items: { device: number; reading: Reading; signature: Hex }[]; kind: ReadingTx['kind'] }[],
  ) {
    if (batches.length === 0) return;
    const sent = await this.chain.send(
      batches.map((b) => ({
        key: this.submitter,
        call: {
          to: METERS_ADDRESS,
          data: encodeSubmitReadings(
            b.items.map((x) => x.reading),
            b.items.map((x) => x.signature),
          ),
        },
        gas: READINGS_GAS(b.items.length),
      })),
    );
    sent.forEach((s, j) => {
      const b = batches[j]!;
      run.readingTxs.push({
        sent: s,
        kind: b.kind,
        readings: b.items.map((x) => ({ device: x.device, reading: x.reading })),
        ...(s.rejected !== undefined
          ? {
              receipt: {
                status: 'reverted' as const,
                blockNumber: 0n,
                gasUsed: 0n,
                reason: `rejected: ${s.rejected}`,
                logs: [],
              },
            }
          : {}),
      });
    });
  }

  /** Late meters report after their interval's deadline (the chain must reject them). */
  async sendLate(clock: MarketClockView): Promise<void> {
    for (const run of this.runs.values()) {
      if (!run.delivered || run.lateSent) continue;
      if (clock.marketTimeMs < deadlineMs(this.config, run.k)) continue;
      run.lateSent = true;
      const batches = [];
      for (let j = 0; j < run.late.length; j += READINGS_PER_TX)
        batches.push({ items: run.late.slice(j, j + READINGS_PER_TX), kind: 'late' as const });
      await this.sendReadings(run, batches);
    }
  }

  async pollReadingReceipts(): Promise<void> {
    const open: ReadingTx[] = [];
    for (const run of this.runs.values()) for (const t of run.readingTxs) if (!t.receipt) open.push(t);
    if (open.length === 0) return;
    const rs = await this.chain.receipts(open.map((t) => t.sent.hash));
    rs.forEach((r, i) => {
      if (r !== undefined) open[i]!.receipt = r;
    });
  }

  /** Reports every settled interval whose readings all have receipts. */
  async reportSettled(clock: MarketClockView): Promise<void> {
    const runs = [...this.runs.values()].sort((a, b) => (a.k < b.k ? -1 : 1));
    for (const run of runs) {
      if (run.reported || run.partial === undefined) continue;
      if (clock.settleNext <= run.k) return;
      if (!run.delivered) return; // settled before the driver delivered (it fell behind): deliver first
      if (run.late.length > 0 && !run.lateSent) return;
      if (run.readingTxs.some((t) => !t.receipt)) return;
      const logs = await this.chain.logs(
        MARKET_ADDRESS,
        [INTERVAL_SETTLED, `0x${run.k.toString(16).padStart(64, '0')}` as Hex],
        run.clearedBlock ?? 1n,
        clock.blockNumber,
      );
      // The clock may run a moment ahead of the node's log index: look again on the next tick.
      if (
        logs.length === 0 &&
        run.status !== 'failed' &&
        run.partial.ordersPlaced > 0 &&
        (run.settleLookups = (run.settleLookups ?? 0) + 1) < 40
      )
        return;
      let accepted = 0;
      let rejected = 0;
      let meteredDeliveredWh = 0n;
      const reasons = new Map<string, number>();
      for (const t of run.readingTxs) {
        if (t.receipt!.status === 'success') {
          accepted += t.readings.length;
          for (const r of t.readings) {
            if ((run.cleared!.get(r.device)?.soldWh ?? 0n) > 0n) meteredDeliveredWh += r.reading.exportedWh;
          }
        } else {
          rejected += t.readings.length;
          const why = `${t.kind}: ${t.receipt!.reason ?? 'reverted'}`.slice(0, 120);
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
          if (t.kind === 'normal')
            this.emit({
              type: 'warning',
              message: `interval ${run.k}: a batch of readings was rejected: ${why}`,
            });
        }
      }
      let credits = 0n;
      for (const l of logs) {
        const ev = decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [Hex, ...Hex[]], data: l.data });
        if (ev.eventName === 'IntervalSettled') credits += (ev.args as { creditsWh: bigint }).creditsWh;
      }
      const failures = await this.invariants.checkSettled(run.k, {
        cleared: run.cleared!,
        creditsFromLog: credits,
        settledLogSeen: logs.length > 0 || run.status === 'failed' || run.partial.ordersPlaced === 0,
        fromBlock: run.clearedBlock ?? 1n,
      });
      const report: IntervalReport = {
        ...run.partial,
        status: run.status === 'failed' ? 'failed' : 'settled',
        readingsAccepted: accepted,
        readingsRejected: rejected,
        creditsMintedWh: Number(credits),
        meteredDeliveredWh: Number(meteredDeliveredWh),
        invariantFailures: failures,
      };
      run.reported = true;
      this.reports.push(report);
      this.emit({ type: 'settled', report });
      try {
        this.opts.onInterval?.(report);
      } catch (err) {
        this.emit({ type: 'warning', message: `onInterval threw: ${(err as Error).message}` });
      }
      // Forget what later intervals no longer need.
      run.planned.clear();
      run.orderTxs = [];
      run.readingTxs = [];
      run.late = [];
      for (const old of this.runs.keys()) if (old < run.k - 1n) this.runs.delete(old);
      if (this.opts.intervals !== undefined && this.reports.length >= this.opts.intervals) return;
    }
  }
}

/**
 * What device i expects from intervals cleared or ordered but not delivered: what cleared, or for an
 * interval not yet cleared, an EV's or flexible load's bids as if they clear (it asks less for later
 * intervals and catches up by urgency if they do not) and nothing for the others.
 */
function pendingOf(runs: readonly IntervalRun[], i: number, kind: string): Cleared {
  const p = { boughtWh: 0n, soldWh: 0n };
  for (const r of runs) {
    if (r.cleared !== undefined) {
      const c = r.cleared.get(i);
      if (c) {
        p.boughtWh += c.boughtWh;
        p.soldWh += c.soldWh;
      }
    } else if (kind === 'ev' || kind === 'flex') {
      for (const o of r.planned.get(i) ?? [])
        if (o.side === 'buy') for (const s of o.steps) p.boughtWh += s.energyWh;
    }
  }
  return p;
}

const plannedCountOf = (run: IntervalRun) => [...run.planned.values()].reduce((a, os) => a + os.length, 0);

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
