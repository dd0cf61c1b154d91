// The market issue's invariants, checked from outside over JSON-RPC while a scenario runs:
// - everyIntervalCleared: no traded interval's clearing failed;
// - congestionRentNonNegative: every interval's stored rent >= 0;
// - clearingMatchesEngine: the stored LMPs (µ$/MWh) and cleared Wh per order equal what the off-chain
//   engine (clearNetwork, or clearIntervalAc for AC-priced markets, + settleClearing) computes from the
//   same orders, network and upstream offer;
// - promisesSettledExactlyOnce: every promise of a settled interval is marked settled, burned, and has
//   exactly one PromiseSettled event;
// - deliveredWithinPromised: no promise is credited more than its energy;
// - creditsEqualMeteredDeliveries: credits minted per interval (event) and the credit supply's growth
//   over the run equal Σ min(promised, sold, max(0, exported − imported)) over the parties (credits for
//   net local delivery only, never beyond the party's promises: with AC prices a seller's sold Wh include
//   the losses, which no promise holds), from the orders, the promises and the stored readings;
// - cashSupplyChangesOnlyByIssuer: the cash supply's change over the run equals the issuer's mints minus
//   burns (Transfer events from / to the zero address);
// - cashBalancesPlusEscrowEqualSupply: the balances of every known holder sum to the supply, and the
//   market's own balance equals the escrow its orders record;
// - rentAccountedFor: the published rent fund's cash grew over the run by exactly the congestion rent
//   recorded for the intervals cleared in it (the rent is not kept by whoever sets the line limits);
// - noStrategyGains: no strategic participant of the scenario gained over its truthful twin (profit.ts;
//   set by the driver at the end).
// The whole-chain ones (cash, credit supply) are checked at the end, when the driver sends nothing more.
// The same checks run on an EVM chain: `targets` names its contracts (evmInvariantTargets in evm-run.ts) and
// the chain client's gl_* views come from them (MarketRpcClient over EvmMarketViews).
import { dollarsPerMWhToMicros, msToMinutes } from '@gridledger/base';
import {
  clearIntervalAc,
  engineOrderId,
  engineOrdersOf,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  METERS_ABI,
  METERS_ADDRESS,
  type NetworkJson,
  networkFromJson,
  pricingOf,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  RENT_FUND_ADDRESS,
  TARIFFS_ABI,
  TARIFFS_ADDRESS,
} from '@gridledger/energy';
import {
  type Address,
  CASH_ADDRESS,
  CREDITS_ADDRESS,
  ERC20_ABI,
  ERC721_ABI,
  PROMISES_ADDRESS,
} from '@gridledger/execution';
import { type ClearingResult, clearNetwork, settleClearing } from '@gridledger/market';
import type { GlOrder } from '@gridledger/rpc';
import { type Abi, decodeEventLog, type Hex, toEventSelector } from 'viem';
import type { ChainClient } from './chain.ts';
import type { Cleared } from './devices.ts';
import type { SimDevice } from './population.ts';

/** Invariant names and whether each held (true) over the run. */
export type InvariantResults = Record<InvariantName, boolean>;

export const INVARIANT_NAMES = [
  'everyIntervalCleared',
  'congestionRentNonNegative',
  'clearingMatchesEngine',
  'promisesSettledExactlyOnce',
  'deliveredWithinPromised',
  'creditsEqualMeteredDeliveries',
  'cashSupplyChangesOnlyByIssuer',
  'cashBalancesPlusEscrowEqualSupply',
  'rentAccountedFor',
  'noStrategyGains',
] as const;
export type InvariantName = (typeof INVARIANT_NAMES)[number];

const ZERO = '0x0000000000000000000000000000000000000000';
const ev = (name: string, abi: readonly unknown[]) =>
  toEventSelector(
    (abi as { type: string; name: string }[]).find((x) => x.type === 'event' && x.name === name) as never,
  );
const PROMISE_SETTLED = ev('PromiseSettled', MARKET_ABI);
const TRANSFER = ev('Transfer', ERC20_ABI);
const topicOf = (n: bigint) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const addrTopic = (a: string) => `0x${a.slice(2).toLowerCase().padStart(64, '0')}` as Hex;

/**
 * Where the tracker reads the market: the native modules, or an EVM deployment's contracts. Each is
 * read the same way (eth_call through the chain client), with the ABI it was built with.
 */
export interface InvariantTargets {
  cash: Address;
  credits: Address;
  promises: Address;
  /** `promiseOf(id)`. */
  market: { address: Address; abi: Abi };
  /** `readingOf(meter, k)`. */
  meters: { address: Address; abi: Abi };
  /** `networkJson()`: the registered network. */
  registry: { address: Address; abi: Abi };
  /** `tariffAt(k)`: the upstream's import and export prices of interval k, µ$/MWh. */
  tariffs: { address: Address; abi: Abi };
  /** The published rent fund (a cash holder no key controls). */
  rentFund: Address;
}

/** The native chain's modules (fixed addresses; tariffs from the tariff module). */
const NATIVE_TARGETS: InvariantTargets = {
  cash: CASH_ADDRESS,
  credits: CREDITS_ADDRESS,
  promises: PROMISES_ADDRESS,
  market: { address: MARKET_ADDRESS, abi: MARKET_ABI },
  meters: { address: METERS_ADDRESS, abi: METERS_ABI },
  registry: { address: REGISTRY_ADDRESS, abi: REGISTRY_ABI },
  tariffs: { address: TARIFFS_ADDRESS, abi: TARIFFS_ABI },
  rentFund: RENT_FUND_ADDRESS,
};

/** Checks invariants over RPC as intervals clear and settle. */
export class InvariantTracker {
  readonly ok: Record<InvariantName, boolean> = Object.fromEntries(
    INVARIANT_NAMES.map((n) => [n, true]),
  ) as Record<InvariantName, boolean>;
  readonly failures: string[] = [];
  startBlock = 0n;
  cashStart = 0n;
  /** The rent fund's cash at the start, and the rent recorded for the intervals cleared since, µ$. */
  rentFundStart = 0n;
  rentRecorded = 0n;
  creditsStart = 0n;
  expectedCredits = 0n;
  firstInterval: bigint | undefined;
  network: NetworkJson | undefined;
  readonly meterOf = new Map<Address, bigint>();

  readonly deps: {
    chain: ChainClient;
    config: MarketConfig;
    devices: readonly SimDevice[];
    knownAccounts: readonly Address[];
    verifyClearing: boolean;
    /** Default: the native modules. */
    targets?: InvariantTargets;
  };
  readonly t: InvariantTargets;

  constructor(deps: InvariantTracker['deps']) {
    this.deps = deps;
    this.t = deps.targets ?? NATIVE_TARGETS;
    for (const d of deps.devices) {
      this.meterOf.set(d.account.address, d.meterId);
      if (d.fault === 'late') this.lateOwners.add(d.account.address);
    }
  }

  /** Owners whose meters report after the deadline: settled on the estimate (no export), trued up later. */
  readonly lateOwners = new Set<Address>();

  fail(name: InvariantName, message: string): string {
    this.ok[name] = false;
    const m = `${name}: ${message}`;
    this.failures.push(m);
    return m;
  }

  /** Records the baselines (block, cash and credit supplies). */
  async start(): Promise<void> {
    const c = this.deps.chain;
    this.startBlock = (await c.clock()).blockNumber;
    const t = this.t;
    [this.cashStart, this.creditsStart, this.rentFundStart] = (await c.views<bigint>([
      { to: t.cash, abi: ERC20_ABI, functionName: 'totalSupply', args: [] },
      { to: t.credits, abi: ERC20_ABI, functionName: 'totalSupply', args: [] },
      { to: t.cash, abi: ERC20_ABI, functionName: 'balanceOf', args: [t.rentFund] },
    ])) as [bigint, bigint, bigint];
  }

  async orders(k: bigint): Promise<GlOrder[]> {
    // Asked once the interval cleared: orders only (commitments show only before the reveal closes).
    return (await this.deps.chain.main.orders(k)).filter((o): o is GlOrder => o.kind === 'order');
  }

  /** After interval k cleared: rent >= 0, and the stored clearing equals the engine's. */
  async checkCleared(k: bigint): Promise<string[]> {
    this.firstInterval ??= k;
    const out: string[] = [];
    const c = this.deps.chain;
    const iv = await c.main.interval(k);
    // No orders at the gate: the chain marks the interval settled without clearing anything.
    if (iv.orders === '0') return out;
    if (iv.status === 'failed')
      out.push(
        this.fail(
          'everyIntervalCleared',
          `interval ${k}: the clearing failed (IntervalCleared has the reason)`,
        ),
      );
    if (iv.status !== 'failed') this.rentRecorded += BigInt(iv.congestionRent);
    if (BigInt(iv.congestionRent) < 0n)
      out.push(this.fail('congestionRentNonNegative', `interval ${k}: rent ${iv.congestionRent} µ$ < 0`));
    if (this.deps.verifyClearing && iv.status !== 'failed' && iv.lmpMicrosPerMWh !== null) {
      out.push(...(await this.compareWithEngine(k, iv.lmpMicrosPerMWh)));
    }
    return out;
  }

  async compareWithEngine(k: bigint, stored: Record<string, string>): Promise<string[]> {
    const c = this.deps.chain;
    const cfg = this.deps.config;
    this.network ??= JSON.parse(
      await c.view<string>({
        to: this.t.registry.address,
        abi: this.t.registry.abi,
        functionName: 'networkJson',
        args: [],
      }),
    ) as NetworkJson;
    const grid = await c.main.gridState();
    const limits = new Map(
      (grid?.branches ?? []).filter((b) => b.overridden).map((b) => [b.index, b.limitMw]),
    );
    const status = new Map(
      (grid?.branches ?? []).filter((b) => b.statusOverridden).map((b) => [b.index, b.inService]),
    );
    const network = networkFromJson(this.network, limits, status);
    const minutes = msToMinutes(cfg.intervalMs);
    const rows = (await this.orders(k))
      .filter((o) => o.status !== 'cancelled')
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const _up = cfg.upstream;
    // The upstream bid is not capped by its cash (what it cannot pay is its debt); its prices are the
    // tariff in force for the interval.
    const tariff = await c.view<readonly [bigint, bigint]>({
      to: this.t.tariffs.address,
      abi: this.t.tariffs.abi,
      functionName: 'tariffAt',
      args: [k],
    });
    const orders = engineOrdersOf(
      rows.map((o) => ({
        id: BigInt(o.id),
        bus: o.bus,
        side: o.side,
        steps: o.steps.map((x) => ({
          energyWh: BigInt(x.energyWh),
          priceMicrosPerMWh: BigInt(x.priceMicrosPerMWh),
        })),
      })),
      cfg,
      { importPriceMicrosPerMWh: tariff[0], exportPriceMicrosPerMWh: tariff[1] },
    );
    // The engine of the market's pricing model: DC, or AC (clearing-ac.ts, the same function the chain runs).
    let result: ClearingResult;
    if (pricingOf(cfg) === 'ac') {
      const ac = await clearIntervalAc(network, orders, cfg);
      if (!ac.ok)
        return [
          this.fail(
            'clearingMatchesEngine',
            `interval ${k}: the AC engine says ${ac.reason}, the chain cleared`,
          ),
        ];
      result = ac.result;
    } else {
      result = await clearNetwork(network, orders);
      if (result.status !== 'optimal')
        return [
          this.fail(
            'clearingMatchesEngine',
            `interval ${k}: the engine says ${result.status}, the chain cleared`,
          ),
        ];
    }
    const out: string[] = [];
    for (const b of result.buses) {
      const mine = dollarsPerMWhToMicros(b.lmp);
      const theirs = stored[String(b.id)];
      if (theirs === undefined || BigInt(theirs) !== mine) {
        out.push(
          this.fail(
            'clearingMatchesEngine',
            `interval ${k} bus ${b.id}: stored LMP ${theirs}, engine ${mine} µ$/MWh`,
          ),
        );
        break;
      }
    }
    const settled = settleClearing(result, { intervalMinutes: minutes });
    const byId = new Map(settled.parties.map((p) => [p.id, p.energyWh]));
    for (const o of rows) {
      const e = byId.get(engineOrderId(BigInt(o.id)));
      if (e === undefined || e !== BigInt(o.clearedWh)) {
        out.push(
          this.fail(
            'clearingMatchesEngine',
            `interval ${k} order ${o.id}: stored cleared ${o.clearedWh} Wh, engine ${e} Wh`,
          ),
        );
        break;
      }
    }
    return out;
  }

  /** After interval k settled: promises settled once and within their energy; credits = metered deliveries. */
  async checkSettled(
    k: bigint,
    info: {
      cleared: ReadonlyMap<number, Cleared>;
      creditsFromLog: bigint;
      settledLogSeen: boolean;
      fromBlock: bigint;
    },
  ): Promise<string[]> {
    const c = this.deps.chain;
    const out: string[] = [];
    const iv = await c.main.interval(k);
    if (iv.status === 'failed' || iv.orders === '0') return out;
    const ids = iv.promises.map((x) => BigInt(x));
    const views = await c.views<{
      settled: boolean;
      deliveredWh: bigint;
      energyWh: bigint;
      seller: Address;
      sellerBus: bigint;
    }>(
      ids.map((id) => ({
        to: this.t.market.address,
        abi: this.t.market.abi,
        functionName: 'promiseOf',
        args: [id],
      })),
    );
    const owners = await c.views<Address>(
      ids.map((id) => ({ to: this.t.promises, abi: ERC721_ABI, functionName: 'ownerOf', args: [id] })),
      true,
    );
    const head = (await c.clock()).blockNumber;
    const logs =
      ids.length === 0 ? [] : await c.logs(this.t.market.address, [PROMISE_SETTLED], info.fromBlock, head);
    const settledCount = new Map<bigint, number>();
    for (const l of logs) {
      const id = BigInt(l.topics[1]!);
      settledCount.set(id, (settledCount.get(id) ?? 0) + 1);
    }
    ids.forEach((id, i) => {
      const v = views[i]!;
      const burned = owners[i] === undefined || owners[i]!.toLowerCase() === ZERO;
      const n = settledCount.get(id) ?? 0;
      if (!v.settled || !burned || n !== 1) {
        if (this.ok.promisesSettledExactlyOnce)
          out.push(
            this.fail(
              'promisesSettledExactlyOnce',
              `promise ${id} (interval ${k}): settled=${v.settled}, burned=${burned}, PromiseSettled events=${n}`,
            ),
          );
      }
      if (v.deliveredWh > v.energyWh)
        out.push(
          this.fail(
            'deliveredWithinPromised',
            `promise ${id}: delivered ${v.deliveredWh} > promised ${v.energyWh} Wh`,
          ),
        );
    });
    // Credits: Σ over parties (owner, bus) of min(sold Wh, max(0, exported − imported Wh of its meter)) (net
    // local delivery; a missing reading delivers nothing), from primary records.
    const rows = await this.orders(k);
    const sold = new Map<string, { owner: Address; bus: number; wh: bigint }>();
    for (const o of rows) {
      if (o.side !== 'sell' || o.status === 'cancelled') continue;
      const key = `${o.owner}:${o.bus}`;
      const p = sold.get(key) ?? { owner: o.owner, bus: o.bus, wh: 0n };
      p.wh += BigInt(o.clearedWh);
      sold.set(key, p);
    }
    const parties = [...sold.values()].filter((p) => p.wh > 0n);
    const unknown = parties.filter((p) => !this.meterOf.has(p.owner));
    if (unknown.length > 0) {
      out.push(
        this.fail(
          'creditsEqualMeteredDeliveries',
          `interval ${k}: ${unknown.length} selling parties are not simulated devices; their meters are unknown to the driver`,
        ),
      );
      return out;
    }
    const readings = await c.views<readonly [boolean, bigint, bigint]>(
      parties.map((p) => ({
        to: this.t.meters.address,
        abi: this.t.meters.abi,
        functionName: 'readingOf',
        args: [this.meterOf.get(p.owner)!, k],
      })),
    );
    let expected = 0n;
    // What each seller party's promises hold: its sold Wh under DC; with AC prices less (the losses it
    // sold on the way are promised to no one), and credits never exceed the promises.
    const promisedBy = new Map<string, bigint>();
    for (const v of views) {
      if (v === undefined) continue;
      const key = `${v.seller.toLowerCase()}:${Number(v.sellerBus)}`;
      promisedBy.set(key, (promisedBy.get(key) ?? 0n) + v.energyWh);
    }
    parties.forEach((p, i) => {
      const r = readings[i]!;
      const net = r[0] && !this.lateOwners.has(p.owner) ? r[2] - r[1] : 0n;
      const delivered = net <= 0n ? 0n : net;
      const promised = promisedBy.get(`${p.owner.toLowerCase()}:${p.bus}`) ?? 0n;
      const cap = promised < p.wh ? promised : p.wh;
      expected += delivered < cap ? delivered : cap;
    });
    this.expectedCredits += expected;
    if (!info.settledLogSeen)
      out.push(this.fail('creditsEqualMeteredDeliveries', `interval ${k}: no IntervalSettled event found`));
    else if (expected !== info.creditsFromLog)
      out.push(
        this.fail(
          'creditsEqualMeteredDeliveries',
          `interval ${k}: credits minted ${info.creditsFromLog} Wh, metered deliveries attributed to promises ${expected} Wh`,
        ),
      );
    void info.cleared;
    return out;
  }

  /** Whole-chain checks (call when the driver has stopped sending): credit supply, cash supply and balances. */
  async finish(any: boolean): Promise<{ results: InvariantResults; failures: string[] }> {
    const c = this.deps.chain;
    const head = (await c.clock()).blockNumber;
    const t = this.t;
    const [cash, credits, marketCash, rentFund] = (await c.views<bigint>([
      { to: t.cash, abi: ERC20_ABI, functionName: 'totalSupply', args: [] },
      { to: t.credits, abi: ERC20_ABI, functionName: 'totalSupply', args: [] },
      { to: t.cash, abi: ERC20_ABI, functionName: 'balanceOf', args: [t.market.address] },
      { to: t.cash, abi: ERC20_ABI, functionName: 'balanceOf', args: [t.rentFund] },
    ])) as [bigint, bigint, bigint, bigint];
    if (rentFund - this.rentFundStart !== this.rentRecorded)
      this.fail(
        'rentAccountedFor',
        `the rent fund ${t.rentFund} grew by ${rentFund - this.rentFundStart} µ$ over the run, the intervals cleared in it recorded ${this.rentRecorded} µ$ of congestion rent`,
      );
    if (any && credits - this.creditsStart !== this.expectedCredits) {
      this.fail(
        'creditsEqualMeteredDeliveries',
        `credit supply grew by ${credits - this.creditsStart} Wh over the run, metered deliveries attributed to promises ${this.expectedCredits} Wh`,
      );
    }
    // Cash supply: only the issuer's mints and burns change it.
    const mints = await c.logs(t.cash, [TRANSFER, addrTopic(ZERO)], this.startBlock + 1n, head);
    const burns = await c.logs(t.cash, [TRANSFER, null, addrTopic(ZERO)], this.startBlock + 1n, head);
    const amount = (l: { topics: Hex[]; data: Hex }) =>
      (
        decodeEventLog({ abi: ERC20_ABI, topics: l.topics as [Hex, ...Hex[]], data: l.data }).args as {
          value: bigint;
        }
      ).value;
    const delta = mints.reduce((a, l) => a + amount(l), 0n) - burns.reduce((a, l) => a + amount(l), 0n);
    if (cash - this.cashStart !== delta)
      this.fail(
        'cashSupplyChangesOnlyByIssuer',
        `cash supply changed by ${cash - this.cashStart}, issuer mints - burns ${delta}`,
      );
    // Balances of every known holder (genesis accounts given, devices, market, recipients during the run).
    const holders = new Set<string>([
      ...this.deps.knownAccounts.map((a) => a.toLowerCase()),
      ...this.deps.devices.map((d) => d.account.address),
      t.market.address.toLowerCase(),
    ]);
    for (const l of await c.logs(t.cash, [TRANSFER], this.startBlock + 1n, head)) {
      holders.add(`0x${l.topics[2]!.slice(26)}`);
      holders.add(`0x${l.topics[1]!.slice(26)}`);
    }
    holders.delete(ZERO);
    const list = [...holders] as Address[];
    const bal = await c.views<bigint>(
      list.map((a) => ({ to: t.cash, abi: ERC20_ABI, functionName: 'balanceOf', args: [a] })),
    );
    const sum = bal.reduce((a: bigint, b) => a + (b ?? 0n), 0n);
    if (sum !== cash)
      this.fail(
        'cashBalancesPlusEscrowEqualSupply',
        `balances of ${list.length} known holders sum to ${sum}, supply ${cash} (a holder outside the known accounts, or money created)`,
      );
    // The market's cash equals the escrow its orders record (orders of unsettled intervals, and ours).
    const clock = await c.clock();
    const from =
      this.firstInterval !== undefined && this.firstInterval < clock.settleNext
        ? this.firstInterval
        : clock.settleNext;
    let escrow = 0n;
    for (let k = from; k <= clock.openInterval; k++)
      for (const o of await this.orders(k)) escrow += BigInt(o.escrow);
    if (escrow !== marketCash)
      this.fail(
        'cashBalancesPlusEscrowEqualSupply',
        `the market holds ${marketCash} µ$ but its orders (intervals ${from}..${clock.openInterval}) record escrow ${escrow}`,
      );
    void topicOf;
    return { results: { ...this.ok }, failures: [...this.failures] };
  }
}
