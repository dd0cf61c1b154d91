// The market views on an EVM chain: MarketViews (market-views.ts) answered from the Solidity contracts'
// view functions and events (contracts/, @gridledger/evm), in the same wire types as a gridledger node's
// gl_* methods. Reads go through viem with JSON-RPC batching. What the contracts do not keep (the
// energy-balance check, losses, …) is answered as "none" (null, false, 0); debts, dues and claims come
// from the market's debt ledger (debtOf, claimsOf); docs/evm.md "Market views" lists each field.
import {
  CreditsAbi,
  DigitalTwinAbi,
  type EvmMarketConfig,
  type EvmRealtimeConfig,
  MarketAbi,
  type MarketAddresses,
  MetersAbi,
  PromisesAbi,
  RealtimeBookAbi,
  RegistryAbi,
} from '@gridledger/evm';
import type {
  GlAccountReturnType,
  GlGridStateReturnType,
  GlIntervalReturnType,
  GlIntervalStatus,
  GlMarketConfigReturnType,
  GlOrder,
  GlOrderStatus,
  GlPrice,
} from '@gridledger/rpc';
import {
  type Abi,
  type Address,
  createPublicClient,
  erc20Abi,
  getAbiItem,
  http,
  type PublicClient,
  toEventSelector,
} from 'viem';
import type { MarketViews } from './market-views.ts';

/** The contracts the views read (addresses.json of `gridledger deploy`; the verifier is not needed). */
export type EvmMarketContracts = Pick<
  MarketAddresses,
  'market' | 'registry' | 'cash' | 'credits' | 'promises' | 'meters'
> & {
  /** The DigitalTwin (addresses.json `digitalTwin`): gl_gridState's metered flows; absent, none are shown. */
  digitalTwin?: Address;
};

const INTERVAL_STATUS: readonly GlIntervalStatus[] = ['open', 'cleared', 'failed', 'settled'];
const ORDER_STATUS: Record<number, GlOrderStatus> = {
  1: 'open',
  2: 'cancelled',
  3: 'cleared',
  4: 'released',
};
/** lmpRange's open end: ±(2^127 − 1). */
const OPEN_END = (1n << 127n) - 1n;
/** Most of an account's orders gl_account scans (newest first) for its escrow and collateral. */
const MAX_ACCOUNT_ORDERS = 2_000;
/** Intervals scanned per look for the next to clear and to settle. */
const CURSOR_STEP = 64n;

/**
 * `config()` as the contract returns it: the deployment's configuration, sealed bids as `sealedBids`, the
 * second settlement's parameters always there (every market runs it) with the upstream meter's flag.
 */
type MarketConfigStruct = Omit<EvmMarketConfig, 'sealed' | 'realtime'> & {
  sealedBids?: { revealWindowMs: bigint; forfeitBps: number };
  realtime: EvmRealtimeConfig & { upstreamMetered: boolean };
};

interface OrderStruct {
  owner: Address;
  interval: bigint;
  bus: bigint;
  side: number;
  escrow: bigint;
  status: number;
  clearedWh: bigint;
  priceMicrosPerMWh: bigint;
  amount: bigint;
}

const ORDER_PLACED_TOPIC = toEventSelector(
  getAbiItem({ abi: MarketAbi as Abi, name: 'OrderPlaced' }) as never,
);

/**
 * The market views of one deployment of the contracts, read from the node at `url`.
 * @example const views = new EvmMarketViews('http://127.0.0.1:8545', addresses); await views.marketConfig();
 */
export class EvmMarketViews implements MarketViews {
  readonly client: PublicClient;
  readonly contracts: EvmMarketContracts;
  #config: MarketConfigStruct | undefined;
  #chainId: bigint | undefined;
  #buses: bigint[] | undefined;
  #clearNext: bigint | undefined;
  #settleNext: bigint | undefined;

  constructor(url: string, contracts: EvmMarketContracts) {
    this.client = createPublicClient({ transport: http(url, { batch: { batchSize: 100 } }) }) as PublicClient;
    this.contracts = contracts;
  }

  #market<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.client.readContract({
      address: this.contracts.market,
      abi: MarketAbi as Abi,
      functionName,
      args,
    }) as Promise<T>;
  }

  /**
   * The verified real-time prices of interval k by bus (the market's RealtimeBook, second settlement),
   * or null while the book is not named or k is not priced yet.
   */
  async #realtimeLmps(k: bigint): Promise<Record<string, string> | null> {
    const book = await this.#market<Address>('realtimePricer');
    if (/^0x0+$/.test(book)) return null;
    const read = <T>(functionName: string, args: readonly unknown[]) =>
      this.client.readContract({
        address: book,
        abi: RealtimeBookAbi as Abi,
        functionName,
        args,
      }) as Promise<T>;
    if ((await read<number>('status', [k])) !== 1) return null;
    const buses = await this.#busIds();
    const prices = await Promise.all(buses.map((b) => read<bigint>('realtimePrice', [k, b])));
    return Object.fromEntries(buses.map((b, i) => [b.toString(), prices[i]!.toString()]));
  }

  /**
   * The digital twin's metered flows of interval k per branch (W, branch index − 1), or none while its
   * twin is not computed or the deployment has no DigitalTwin. The EVM twin runs once the readings are
   * final, before settlement, so a cleared interval may have them too (natively only a settled one).
   */
  async #actualFlows(k: bigint): Promise<readonly bigint[]> {
    const twin = this.contracts.digitalTwin;
    if (twin === undefined) return [];
    return (await this.client.readContract({
      address: twin,
      abi: DigitalTwinAbi as Abi,
      functionName: 'actualFlows',
      args: [k],
    })) as readonly bigint[];
  }

  #registry<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.client.readContract({
      address: this.contracts.registry,
      abi: RegistryAbi as Abi,
      functionName,
      args,
    }) as Promise<T>;
  }

  async #cfg(): Promise<MarketConfigStruct> {
    this.#config ??= await this.#market<MarketConfigStruct>('config');
    return this.#config;
  }

  async #busIds(): Promise<bigint[]> {
    if (this.#buses === undefined || this.#buses.length === 0)
      this.#buses = [...(await this.#registry<readonly bigint[]>('buses'))];
    return this.#buses;
  }

  async #state(k: bigint) {
    const [status, rent, orders, promises] = await this.#market<readonly [number, bigint, bigint, bigint]>(
      'intervalState',
      [k],
    );
    return { status, rent, orders, promises };
  }

  /**
   * The next interval to clear (and to settle): the first from the cursor that is neither done nor
   * empty-and-past-its-gate. An interval without orders is never cleared on an EVM chain (the operator
   * skips it), so it counts as done once its gate has closed.
   */
  async #advance(which: 'clear' | 'settle', nowMs: bigint): Promise<bigint> {
    const c = await this.#cfg();
    // With sealed bids an interval's orders arrive in the reveal window after its gate.
    const reveal = c.sealedBids === undefined ? 0n : BigInt(c.sealedBids.revealWindowMs);
    const gateOf = (k: bigint) => k * c.intervalMs - c.gateLeadMs + reveal;
    let k = (which === 'clear' ? this.#clearNext : this.#settleNext) ?? c.firstInterval;
    // Start near the present: intervals long past their deadline with no orders are nothing to show.
    const open = nowMs / c.intervalMs;
    if (k < open - 1000n) k = open - 1000n;
    for (let steps = 0n; steps < CURSOR_STEP; steps++) {
      if (gateOf(k) > nowMs) break;
      const s = await this.#state(k);
      const done =
        which === 'clear'
          ? s.status !== 0 || s.orders === 0n
          : s.status === 2 || s.status === 3 || s.orders === 0n;
      if (!done) break;
      k++;
    }
    if (which === 'clear') this.#clearNext = k;
    else this.#settleNext = k;
    return k;
  }

  async marketConfig(): Promise<GlMarketConfigReturnType> {
    const [c, block, nowMs] = await Promise.all([
      this.#cfg(),
      this.client.getBlock({ blockTag: 'latest' }),
      this.#market<bigint>('marketTimeMs'),
    ]);
    this.#chainId ??= BigInt(await this.client.getChainId());
    const openGuess = (nowMs + c.gateLeadMs) / c.intervalMs + 1n;
    const open = openGuess < c.firstInterval ? c.firstInterval : openGuess;
    const [clearNext, settleNext] = [
      await this.#advance('clear', nowMs),
      await this.#advance('settle', nowMs),
    ];
    const s = (v: bigint | number) => v.toString();
    const rt = c.realtime;
    return {
      config: {
        chainId: s(this.#chainId),
        gridOperator: c.gridOperator.toLowerCase(),
        intervalMs: s(c.intervalMs),
        gateLeadMs: s(c.gateLeadMs),
        settlementDelayMs: s(c.settlementDelayMs),
        firstInterval: s(c.firstInterval),
        upstream: {
          bus: Number(c.upstream.bus),
          account: c.upstream.account.toLowerCase(),
          importPriceMicrosPerMWh: s(c.upstream.importPriceMicrosPerMWh),
          exportPriceMicrosPerMWh: s(c.upstream.exportPriceMicrosPerMWh),
          capacityWh: s(c.upstream.capacityWh),
          // The contract's realtime.upstreamMetered / upstreamMeter (EvmRealtimeConfig.upstreamMeter).
          ...(rt.upstreamMetered ? { meter: s(rt.upstreamMeter ?? 0n) } : {}),
        },
        // Every market runs the second settlement: its parameters are the native ones.
        imbalance: {
          penaltyMicrosPerMWh: s(rt.penaltyMicrosPerMWh),
          priceCapMicrosPerMWh: s(rt.priceCapMicrosPerMWh),
          priceFloorMicrosPerMWh: s(rt.priceFloorMicrosPerMWh),
          nonReportingPenaltyMicros: s(rt.nonReportingPenaltyMicros),
          trueUpDelayMs: s(rt.trueUpDelayMs ?? 0n),
          liquidatedDamagesMicrosPerMWh: s(rt.liquidatedDamagesMicrosPerMWh),
          balanceToleranceWh: s(rt.balanceToleranceWh ?? 0n),
        },
        maxOrdersPerAccount: c.maxOrdersPerAccount,
        maxStepsPerOrder: c.maxStepsPerOrder,
        minStepWh: s(c.minStepWh),
        ...(c.maxOrderWh === 0n ? {} : { maxOrderWh: s(c.maxOrderWh) }),
        ...(c.ordersCappedByMeters ? { ordersCappedByMeters: true } : {}),
        clock: {
          blockOriginMs: s(c.clock.blockOriginMs),
          marketOriginMs: s(c.clock.marketOriginMs),
          scale: s(c.clock.scale),
        },
        pricing: 'dc',
        // Sealed bids (MarketSealed): a reveal window of 0 is an open book.
        ...(c.sealedBids !== undefined && BigInt(c.sealedBids.revealWindowMs) > 0n
          ? {
              sealed: {
                revealWindowMs: s(c.sealedBids.revealWindowMs),
                forfeitBps: s(c.sealedBids.forfeitBps),
              },
            }
          : {}),
      },
      blockNumber: s(block.number ?? 0n),
      blockTimeMs: s(block.timestamp * 1000n),
      marketTimeMs: s(nowMs),
      openInterval: s(open),
      clearNext: s(clearNext),
      settleNext: s(settleNext),
    };
  }

  /** LMP by bus of a priced interval (cleared or settled). */
  async #lmps(k: bigint): Promise<Record<string, string>> {
    const buses = await this.#busIds();
    const prices = await Promise.all(buses.map((b) => this.#market<bigint>('lmp', [k, b])));
    return Object.fromEntries(buses.map((b, i) => [b.toString(), prices[i]!.toString()]));
  }

  async interval(k: bigint): Promise<GlIntervalReturnType> {
    const [c, s, clock, rec] = await Promise.all([
      this.#cfg(),
      this.#state(k),
      this.#market<readonly [bigint, bigint, bigint, bigint]>('clock', [k]),
      this.#market<readonly [bigint, bigint, bigint, bigint]>('intervalRecord', [k]),
    ]);
    const [firstPromise, promiseCount, importWh, exportWh] = rec;
    const priced = s.status === 1 || s.status === 3;
    const lmps = priced ? await this.#lmps(k) : null;
    const upPrice = lmps === null ? 0n : BigInt(lmps[c.upstream.bus.toString()] ?? '0');
    // As the market pays the upstream (MarketClearing._payUpstream): floor for what it receives, ceil for what it pays.
    const floorDiv = (a: bigint) => (a >= 0n ? a / 1_000_000n : -((-a + 999_999n) / 1_000_000n));
    const ceilDiv = (a: bigint) => -floorDiv(-a);
    const readings = priced ? await this.#readings(k) : { expected: 0, reported: 0 };
    const realtime = priced ? await this.#realtimeLmps(k) : null;
    return {
      interval: k.toString(),
      status: INTERVAL_STATUS[s.status] ?? 'unknown',
      gateMs: clock[0].toString(),
      startMs: clock[1].toString(),
      endMs: clock[2].toString(),
      deadlineMs: clock[3].toString(),
      orders: s.orders.toString(),
      promises: Array.from({ length: Number(promiseCount) }, (_, i) => (firstPromise + BigInt(i)).toString()),
      congestionRent: s.rent.toString(),
      upstream: {
        soldWh: importWh.toString(),
        boughtWh: exportWh.toString(),
        receivedMicros: floorDiv(importWh * upPrice).toString(),
        paidMicros: ceilDiv(exportWh * upPrice).toString(),
      },
      lmpMicrosPerMWh: lmps,
      realtimeLmpMicrosPerMWh: realtime,
      realtimePriced: realtime !== null,
      energyBalance: null,
      expectedReadings: String(readings.expected),
      reportedReadings: String(readings.reported),
    };
  }

  /** The readings settlement waits for: every meter of every party (owner and bus with cleared Wh). */
  async #readings(k: bigint): Promise<{ expected: number; reported: number }> {
    const orders = await this.#orderStructs(k);
    const parties = new Map<string, { owner: Address; bus: bigint }>();
    for (const { o } of orders)
      if (o.clearedWh > 0n) parties.set(`${o.owner}/${o.bus}`, { owner: o.owner, bus: o.bus });
    const meterLists = await Promise.all(
      [...parties.values()].map((p) => this.#registry<readonly bigint[]>('metersAt', [p.owner, p.bus])),
    );
    const meters = [...new Set(meterLists.flat())];
    const seen = await Promise.all(
      meters.map(
        (m) =>
          this.client.readContract({
            address: this.contracts.meters,
            abi: MetersAbi as Abi,
            functionName: 'readingOf',
            args: [m, k],
          }) as Promise<readonly [boolean, bigint, bigint]>,
      ),
    );
    return { expected: meters.length, reported: seen.filter((r) => r[0]).length };
  }

  async #orderStructs(k: bigint): Promise<{ id: bigint; o: OrderStruct }[]> {
    const ids = await this.#market<readonly bigint[]>('orderIds', [k]);
    const os = await Promise.all(ids.map((id) => this.#market<OrderStruct>('order', [id])));
    return ids.map((id, i) => ({ id, o: os[i]! }));
  }

  async orders(k: bigint, owner?: `0x${string}`): Promise<GlOrder[]> {
    let list = await this.#orderStructs(k);
    if (owner !== undefined) list = list.filter((x) => x.o.owner.toLowerCase() === owner.toLowerCase());
    const steps = await Promise.all(
      list.map((x) =>
        this.#market<readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[]>('orderSteps', [x.id]),
      ),
    );
    return list.map(({ id, o }, i) => ({
      kind: 'order',
      id: id.toString(),
      owner: o.owner.toLowerCase() as `0x${string}`,
      bus: Number(o.bus),
      side: o.side === 0 ? 'buy' : 'sell',
      steps: steps[i]!.map((st) => ({
        energyWh: st.energyWh.toString(),
        priceMicrosPerMWh: st.priceMicrosPerMWh.toString(),
      })),
      status: ORDER_STATUS[o.status] ?? 'unknown',
      escrow: o.escrow.toString(),
      clearedWh: o.clearedWh.toString(),
      priceMicrosPerMWh: o.priceMicrosPerMWh.toString(),
      amount: o.amount.toString(),
    }));
  }

  async prices(from: bigint, to: bigint, bus?: number): Promise<GlPrice[]> {
    if (to < from || to - from >= 1000n)
      throw new RangeError(`gl_prices: expected from <= to and at most 1,000 intervals, got ${from}..${to}`);
    const c = await this.#cfg();
    const buses = (await this.#busIds()).filter((b) => bus === undefined || b === BigInt(bus));
    const ks = Array.from({ length: Number(to - from + 1n) }, (_, i) => from + BigInt(i));
    const states = await Promise.all(ks.map((k) => this.#state(k)));
    const out: GlPrice[] = [];
    for (const [i, k] of ks.entries()) {
      const st = states[i]!.status;
      if (st !== 1 && st !== 3) continue;
      const rows = await Promise.all(
        buses.map(async (b) => {
          const [p, range] = await Promise.all([
            this.#market<bigint>('lmp', [k, b]),
            this.#market<readonly [bigint, bigint]>('lmpRange', [k, b]),
          ]);
          return { b, p, range };
        }),
      );
      for (const { b, p, range } of rows)
        out.push({
          interval: k.toString(),
          startMs: (k * c.intervalMs).toString(),
          bus: Number(b),
          lmpMicrosPerMWh: p.toString(),
          lmpLowMicrosPerMWh: range[0] === -OPEN_END ? null : range[0].toString(),
          lmpHighMicrosPerMWh: range[1] === OPEN_END ? null : range[1].toString(),
        });
    }
    return out;
  }

  async gridState(k?: bigint): Promise<GlGridStateReturnType> {
    const [text, version] = await Promise.all([
      this.#registry<string>('networkJson'),
      this.#registry<bigint>('networkVersion'),
    ]);
    if (version === 0n || text === '') return null;
    const net = JSON.parse(text) as {
      name: string;
      buses: { id: number; type: number }[];
      branches: { index: number; from: number; to: number; rateAMw: number; status: number }[];
    };
    const limits = await Promise.all(
      net.branches.map((b) => this.#registry<readonly [boolean, bigint]>('lineLimit', [BigInt(b.index)])),
    );
    let flows: readonly bigint[] = [];
    let actual: readonly bigint[] = [];
    if (k !== undefined) {
      const st = (await this.#state(k)).status;
      if (st === 1 || st === 3) {
        flows = await this.#market<readonly bigint[]>('flows', [k]);
        actual = await this.#actualFlows(k);
      }
    }
    return {
      name: net.name,
      version: version.toString(),
      buses: net.buses.map((b) => ({ id: b.id, type: b.type })),
      branches: net.branches.map((b, i) => {
        const [overridden, limitW] = limits[i]!;
        const flow = flows[b.index - 1];
        const metered = actual[b.index - 1];
        return {
          index: b.index,
          from: b.from,
          to: b.to,
          limitMw: overridden ? Number(limitW) / 1e6 : b.rateAMw,
          overridden,
          inService: b.status !== 0,
          statusOverridden: false,
          ...(flow === undefined ? {} : { flowW: flow.toString() }),
          ...(metered === undefined ? {} : { actualFlowW: metered.toString() }),
        };
      }),
    };
  }

  async account(address: `0x${string}`): Promise<GlAccountReturnType> {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address))
      throw new RangeError(
        `gl_account: expected a 0x address of 40 hex digits, got ${JSON.stringify(address)}`,
      );
    const a = address.toLowerCase() as `0x${string}`;
    const balance = (token: Address, abi: Abi) =>
      this.client.readContract({
        address: token,
        abi,
        functionName: 'balanceOf',
        args: [a],
      }) as Promise<bigint>;
    const [cash, credits, promises, logs, [debt, due], [creditors, amounts]] = await Promise.all([
      balance(this.contracts.cash, erc20Abi as Abi),
      balance(this.contracts.credits, CreditsAbi as Abi),
      balance(this.contracts.promises, PromisesAbi as Abi),
      this.client.request({
        method: 'eth_getLogs',
        params: [
          {
            address: this.contracts.market,
            topics: [ORDER_PLACED_TOPIC, null, `0x${a.slice(2).padStart(64, '0')}`],
            fromBlock: '0x0',
            toBlock: 'latest',
          },
        ],
      }) as Promise<{ topics: `0x${string}`[] }[]>,
      this.#market<readonly [bigint, bigint]>('debtOf', [a]),
      this.#market<readonly [readonly Address[], readonly bigint[]]>('claimsOf', [a]),
    ]);
    const ids = logs.map((l) => BigInt(l.topics[1]!)).slice(-MAX_ACCOUNT_ORDERS);
    const orders = await Promise.all(ids.map((id) => this.#market<OrderStruct>('order', [id])));
    let escrow = 0n;
    let collateral = 0n;
    for (const o of orders) {
      if (o.side === 0) escrow += o.escrow;
      else collateral += o.escrow;
    }
    return {
      address: a,
      cashMicros: cash.toString(),
      escrowMicros: escrow.toString(),
      collateralMicros: collateral.toString(),
      debtMicros: debt.toString(),
      dueMicros: due.toString(),
      inDefault: debt > 0n,
      claims: creditors.map((c, i) => ({
        creditor: c.toLowerCase() as `0x${string}`,
        amountMicros: amounts[i]!.toString(),
      })),
      promises: promises.toString(),
      creditsWh: credits.toString(),
      ordersScanned: ids.length,
      complete: logs.length <= MAX_ACCOUNT_ORDERS,
    };
  }
}
