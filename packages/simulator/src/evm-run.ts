// The scenario's devices on an EVM chain (the Solidity market of @gridledger/evm): the deployment
// configuration a scenario implies (evmDeployConfig: the same market parameters and clock as its native
// genesis), and runScenarioOnEvm, which registers the devices and their meters, funds them (gas and test
// cash) and has them approve the market, then each interval plans orders with the device models and sends
// them (placeOrder), and after the interval meters what was delivered and sends EIP-712 readings
// (submitReadings) and settles (settleInChunks: beginSettle, then chunks sized to the block; expireClearing
// past a deadline no clearing reached). The clearing
// itself is the operator's (runOperator of @gridledger/evm). Transactions are signed locally with viem;
// the market is read through the same views the dashboard uses (EvmMarketViews of @gridledger/client), and
// the market's invariants are checked as the native driver checks them (invariants.ts, on the contracts:
// evmInvariantTargets). The scenario's strategic participants play as on the native chain, through the same
// functions (strategies.ts: their orders and their meters' reports; run-away.ts: default-and-run's move of
// its cash, here a transfer of the cash token), and their profit against their twins' is measured by the
// same ProfitTracker (profit.ts) over the contracts, for the invariant noStrategyGains.

import { randomBytes } from 'node:crypto';
import { dollarsPerMWhToMicros, dollarsToMicros, GridledgerError, InputError } from '@gridledger/base';
import { EvmMarketViews, MarketRpcClient } from '@gridledger/client';
import {
  commitmentHash,
  networkToJson,
  READING_TYPES,
  RENT_FUND_ADDRESS,
  readingDomain,
} from '@gridledger/energy';
import {
  DEFAULT_TOLERANCES,
  type EvmAddresses,
  type EvmDeployConfig,
  MarketAbi,
  MetersAbi,
  RegistryAbi,
  settleInChunks,
  TestStablecoinAbi,
} from '@gridledger/evm';
import {
  type Abi,
  type Address,
  bytesToHex,
  createPublicClient,
  decodeEventLog,
  encodeFunctionData,
  type Hex,
  http,
  maxUint256,
  type PublicClient,
} from 'viem';
import { type LocalAccount, privateKeyToAccount } from 'viem/accounts';
import { ChainClient, sleep } from './chain.ts';
import {
  type Cleared,
  type DeviceState,
  deliver,
  initialState,
  type PlannedOrder,
  planOrders,
} from './devices.ts';
import { scenarioTariff } from './genesis.ts';
import { pendingOf } from './interval-run.ts';
import { type InvariantResults, type InvariantTargets, InvariantTracker } from './invariants.ts';
import { connectionCapacityW } from './meter-capacity.ts';
import { buildPopulation, type SimDevice } from './population.ts';
import { failGains, ProfitTracker, type StrategyResult } from './profit.ts';
import type { IntervalReport, SimEvent } from './report.ts';
import { moveCashAway } from './run-away.ts';
import { type Scenario, withPacing } from './scenario.ts';
import { meterReport, strategicOrders } from './strategies.ts';

/** Block time the deployment and the devices' setup are given before the simulated start, ms. */
const setupAllowanceMs = (devices: number) => 20_000n + 50n * BigInt(devices);
/** Gas per transaction kind (generous over docs/evm.md's measurements: a reading stores three words, about 75,000 gas; unused gas is not charged). */
const GAS = {
  register: 200_000n,
  meter: 300_000n, // registerMeter: about 230,000 for a new owner and bus (five words with its capacity, three list entries)
  mint: 100_000n,
  transfer: 21_000n,
  approve: 80_000n,
  order: (steps: number) => 400_000n + 60_000n * BigInt(steps),
  commit: 300_000n,
  reveal: (steps: number) => 500_000n + 60_000n * BigInt(steps),
  readings: (n: number) => 200_000n + 120_000n * BigInt(n),
  /** A late reading also trues up its party (band prices, a transfer). */
  lateReadings: (n: number) => 200_000n + 250_000n * BigInt(n),
  expire: 2_000_000n,
} as const;
/** Gas money each device gets (1 ETH: thousands of orders at anvil's fees). */
const DEVICE_GAS_WEI = 10n ** 18n;
/** How many intervals before the open one a resumed run looks back for unsettled ones. */
const RESUME_LOOKBACK = 50n;
/** Readings per submitReadings transaction. */
const READINGS_PER_TX = 50;

/**
 * The deployment a scenario implies on an EVM chain (what `gridledger deploy` reads from market.json):
 * its network, interval, gate and settlement delay, upstream tariff, the second settlement (real-time
 * prices in the scenario's penalty band), the meter cap, sealed bids, and its clock: simulated time runs `clockScale` times faster than block
 * time from the scenario's start, placed `setupAllowanceMs` of block time after `nowMs`.
 * @throws InputError for an AC-priced scenario (only DC clearings are verifiable on an EVM chain).
 */
export function evmDeployConfig(s: Scenario, deployer: Address, nowMs: bigint): EvmDeployConfig {
  if (s.pricing !== 'dc')
    throw new InputError(
      `${s.source}: pricing "${s.pricing}": only DC pricing runs on an EVM chain (docs/evm.md)`,
    );
  const intervalMs = BigInt(s.intervalMinutes) * 60_000n;
  const allowance = setupAllowanceMs(buildPopulation(s).length);
  // Block time is whole seconds on an EVM chain: the origin is too.
  const blockOriginMs = ((nowMs + allowance) / 1000n) * 1000n;
  const marketOriginMs = BigInt(s.startMs);
  const marketAtNow = marketOriginMs - (blockOriginMs - nowMs) * s.clockScale;
  return {
    pricing: 'dc',
    network: networkToJson(s.network),
    market: {
      gridOperator: deployer,
      intervalMs,
      gateLeadMs: BigInt(s.gateLeadIntervals) * intervalMs,
      settlementDelayMs: BigInt(s.settlementDelayIntervals) * intervalMs,
      firstInterval: marketAtNow / intervalMs + 1n,
      upstream: {
        bus: BigInt(s.upstream.bus),
        account: deployer,
        importPriceMicrosPerMWh: dollarsPerMWhToMicros(s.upstream.importPricePerMWh),
        exportPriceMicrosPerMWh: dollarsPerMWhToMicros(s.upstream.exportPricePerMWh),
        capacityWh: BigInt(Math.round(s.upstream.capacityKwhPerInterval * 1000)),
      },
      // The second settlement as the native genesis sets it (genesis.ts): real-time prices in a penalty
      // band, estimates and penalties for missing readings, damages; the sell collateral's price is cap + δ
      // on both chains (the contracts take it as the shortfall price). A negative floor as natively (the
      // real-time book shifts its prices, docs/evm.md).
      shortfallPriceMicrosPerMWh:
        dollarsPerMWhToMicros(s.imbalance.priceCapPerMWh) + dollarsPerMWhToMicros(s.imbalance.penaltyPerMWh),
      surplusPriceMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.priceFloorPerMWh),
      realtime: {
        penaltyMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.penaltyPerMWh),
        priceCapMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.priceCapPerMWh),
        priceFloorMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.priceFloorPerMWh),
        nonReportingPenaltyMicros: dollarsToMicros(s.imbalance.nonReportingPenalty),
        liquidatedDamagesMicrosPerMWh: dollarsPerMWhToMicros(s.imbalance.liquidatedDamagesPerMWh),
        // The true-up window and the energy-balance tolerance as genesis.ts (no upstream meter there either).
        trueUpDelayMs: BigInt(s.imbalance.trueUpIntervals) * intervalMs,
        balanceToleranceWh: 1_000n,
      },
      // Each device's orders within what its meter's connection carries, as natively.
      ordersCappedByMeters: true,
      maxOrdersPerAccount: 2,
      maxStepsPerOrder: 4,
      minStepWh: 1n,
      maxOrderWh: 0n,
      clock: { blockOriginMs, marketOriginMs, scale: s.clockScale },
      // The upstream's tariff as the native genesis sets it (genesis.ts scenarioTariff; absent: one period
      // at the flat prices above and a day's notice, the defaults of both).
      ...scenarioTariff(s),
      // Sealed bids as the native genesis sets them (genesis.ts): reveals in the gate lead, 10 % forfeited.
      ...(s.sealedBids
        ? { sealed: { revealWindowMs: BigInt(s.gateLeadIntervals) * intervalMs, forfeitBps: 1_000 } }
        : {}),
    },
    tolerances: DEFAULT_TOLERANCES,
  };
}

/**
 * Devices a local EVM node and this process keep up with per second of wall time (orders, readings, the
 * operator's clearing and settlement of a 5-minute interval; measured with anvil on the loaded 2-core
 * development machine: 10 devices at 10 s per interval kept up, 239 did not; 239 at 25 s did).
 */
export const EVM_DEVICES_PER_SECOND = 10;

/**
 * The scenario paced for an EVM chain: one interval in at least devices / {@link EVM_DEVICES_PER_SECOND}
 * seconds of wall time (the smallest divisor of the interval's seconds at or above that); unchanged when
 * it already runs that slowly.
 * @example pacedForEvm(defaultScenario).wallSecondsPerInterval // 25 for its 239 devices
 */
export function pacedForEvm(s: Scenario): Scenario {
  const devices = buildPopulation(s).length;
  const need = devices / EVM_DEVICES_PER_SECOND;
  if (s.wallSecondsPerInterval >= need) return s;
  const intervalS = s.intervalMinutes * 60;
  for (let d = Math.ceil(need); d <= intervalS; d++) if (intervalS % d === 0) return withPacing(s, d);
  return withPacing(s, intervalS);
}

/**
 * Where the invariant tracker reads an EVM deployment: its contracts (the upstream's prices from the
 * market's `tariffAt`, which reads its Tariffs contract).
 */
export function evmInvariantTargets(c: EvmAddresses): InvariantTargets {
  return {
    cash: c.cash,
    credits: c.credits,
    promises: c.promises,
    market: { address: c.market, abi: MarketAbi as Abi },
    meters: { address: c.meters, abi: MetersAbi as Abi },
    registry: { address: c.registry, abi: RegistryAbi as Abi },
    tariffs: { address: c.market, abi: MarketAbi as Abi },
    rentFund: RENT_FUND_ADDRESS,
  };
}

/** What {@link runScenarioOnEvm} returns: the intervals, and the invariants over the run. */
export interface EvmRunResult {
  intervals: IntervalReport[];
  /** Each invariant and whether it held (the whole-chain ones are checked only when `intervals` were done). */
  invariants: InvariantResults;
  failures: string[];
  /** The scenario's strategic participants: profit, the truthful twin's, the gain (after a done run). */
  strategies: StrategyResult[];
  stopped: 'done' | 'aborted';
}

/** Options of {@link runScenarioOnEvm}. */
export interface EvmRunOptions {
  /** The EVM node's JSON-RPC URL. */
  rpcUrl: string;
  /** The deployment (addresses.json); its cash must be a TestStablecoin the deployer mints. */
  contracts: EvmAddresses;
  scenario: Scenario;
  /**
   * The deployer: the registry's admin and grid operator, the stablecoin's owner, the upstream account;
   * it also sends the readings and settles. Not the operator's account (each keeps its own nonces).
   */
  deployer: LocalAccount;
  /** Stop after this many intervals are settled (or failed); default: until the signal aborts. */
  intervals?: number;
  signal?: AbortSignal;
  onInterval?: (report: IntervalReport) => void;
  onEvent?: (event: SimEvent) => void;
  /** Poll period of the market clock, ms (default 500). */
  pollMs?: number;
  /** Compare each clearing with the off-chain engine (default true). */
  verifyClearing?: boolean;
}

/** One interval the devices ordered for, until it is reported. */
interface EvmIntervalRun {
  k: bigint;
  planned: Map<number, PlannedOrder[]>;
  ordersSent: number;
  ordersRefused: number;
  cleared?: Map<number, Cleared>;
  lmps?: Record<string, string>;
  delivered: boolean;
  readingsAccepted: number;
  readingsRejected: number;
  settleTried: bigint;
  /** The block the devices saw the interval cleared at (its PromiseSettled logs come later). */
  clearedBlock?: bigint;
  /** Late meters' signed readings, sent once the interval is settled (trued up, as natively). */
  late?: SignedReading[];
  /** Sealed bids: the commitments sent before the gate, revealed once it has passed. */
  commits?: EvmCommit[];
  revealed?: boolean;
}

/** `list` cut into batches of at most {@link READINGS_PER_TX}. */
function inBatches<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let j = 0; j < list.length; j += READINGS_PER_TX) out.push(list.slice(j, j + READINGS_PER_TX));
  return out;
}

/** A meter's EIP-712 signed reading, as `submitReadings` takes it. */
interface SignedReading {
  reading: { meter: bigint; interval: bigint; importedWh: bigint; exportedWh: bigint };
  signature: Hex;
}

/** One committed order of a device (sealed bids), with what its reveal sends. */
interface EvmCommit {
  device: number;
  id: bigint;
  bus: bigint;
  side: 0 | 1;
  steps: { energyWh: bigint; priceMicrosPerMWh: bigint }[];
  salt: Hex;
}

interface Tx {
  from: LocalAccount;
  to: Address;
  data?: Hex;
  value?: bigint;
  gas: bigint;
}

interface Receipt {
  status: 'success' | 'reverted';
  logs: { address: Address; topics: Hex[]; data: Hex }[];
}

/** Local nonces, fees from the latest block, raw transactions sent in block-sized batches, receipts polled. */
class EvmSender {
  readonly client: PublicClient;
  readonly nonces = new Map<Address, number>();
  /** Signed transactions awaiting their receipt, by hash (sent again if the node loses one). */
  readonly raws = new Map<Hex, Hex>();
  chainId = 0;
  constructor(client: PublicClient) {
    this.client = client;
  }

  async send(txs: readonly Tx[]): Promise<Hex[]> {
    if (txs.length === 0) return [];
    this.chainId ||= await this.client.getChainId();
    const block = await this.client.getBlock({ blockTag: 'latest' });
    const maxFeePerGas = 2n * (block.baseFeePerGas ?? 0n) + 1_000_000_000n;
    const fresh = [...new Set(txs.map((t) => t.from.address))].filter((a) => !this.nonces.has(a));
    const counts = await Promise.all(
      fresh.map((a) => this.client.getTransactionCount({ address: a, blockTag: 'pending' })),
    );
    fresh.forEach((a, i) => {
      this.nonces.set(a, counts[i]!);
    });
    const raws = await Promise.all(
      txs.map((t) => {
        const nonce = this.nonces.get(t.from.address)!;
        this.nonces.set(t.from.address, nonce + 1);
        return t.from.signTransaction({
          type: 'eip1559',
          chainId: this.chainId,
          nonce,
          to: t.to,
          ...(t.data === undefined ? {} : { data: t.data }),
          ...(t.value === undefined ? {} : { value: t.value }),
          gas: t.gas,
          maxFeePerGas,
          maxPriorityFeePerGas: 1_000_000_000n,
        });
      }),
    );
    // Each account's transactions in nonce order, one after the other (accounts side by side): a batch
    // of concurrent requests reaches the node in any order, and a nonce gap holds the later ones back.
    const hashes: Hex[] = new Array(txs.length);
    const bySender = new Map<Address, number[]>();
    txs.forEach((t, i) => {
      const list = bySender.get(t.from.address);
      if (list === undefined) bySender.set(t.from.address, [i]);
      else list.push(i);
    });
    await Promise.all(
      [...bySender.values()].map(async (list) => {
        for (const i of list) {
          hashes[i] = (await this.client.request({
            method: 'eth_sendRawTransaction',
            params: [raws[i]!],
          })) as Hex;
          this.raws.set(hashes[i]!, raws[i]!);
        }
      }),
    );
    return hashes;
  }

  /** Waits for every receipt (a transaction never mined within `timeoutMs` is an error). */
  async receipts(hashes: readonly Hex[], signal?: AbortSignal, timeoutMs = 120_000): Promise<Receipt[]> {
    const out = new Map<Hex, Receipt>();
    const t0 = Date.now();
    let polls = 0;
    while (out.size < hashes.length) {
      if (signal?.aborted) throw new GridledgerError('E_ABORTED', 'aborted while waiting for receipts');
      const missing = hashes.filter((h) => !out.has(h));
      const rs = await Promise.all(
        missing.map(
          (hash) =>
            this.client.request({ method: 'eth_getTransactionReceipt', params: [hash] }) as Promise<{
              status: Hex;
              logs: Receipt['logs'];
            } | null>,
        ),
      );
      rs.forEach((r, i) => {
        if (r)
          out.set(missing[i]!, { status: BigInt(r.status) === 1n ? 'success' : 'reverted', logs: r.logs });
      });
      if (out.size === hashes.length) break;
      polls++;
      if (polls % 20 === 0) await this.rebroadcast(hashes.filter((h) => !out.has(h)));
      if (Date.now() - t0 > timeoutMs)
        throw new GridledgerError(
          'E_TIMEOUT',
          `${hashes.length - out.size} transactions not mined after ${timeoutMs / 1000} s`,
        );
      await sleep(250, signal);
    }
    for (const h of hashes) this.raws.delete(h);
    return hashes.map((h) => out.get(h)!);
  }

  /**
   * Sends again the transactions the node no longer knows (neither mined nor in its pool): anvil at a
   * 30 M block gas limit was seen to lose pending transactions from its pool (docs/evm.md). The same
   * signed transaction (same nonce and hash) cannot be mined twice.
   */
  async rebroadcast(missing: readonly Hex[]): Promise<void> {
    for (const hash of missing) {
      const known = await this.client.request({ method: 'eth_getTransactionByHash', params: [hash] });
      const raw = this.raws.get(hash);
      if (known !== null || raw === undefined) continue;
      try {
        await this.client.request({ method: 'eth_sendRawTransaction', params: [raw] });
      } catch {
        // mined meanwhile, or refused: the receipt (or the timeout) tells
      }
    }
  }

  /**
   * Sends in block-sized batches (their gas limits within the latest block's gas limit), each mined before
   * the next is sent: the node's pool never holds more than a block's worth. (A burst of 960 setup
   * transactions on a 30 M-gas anvil had one block's worth mined and the rest lost from its pool.)
   */
  async sendAndWait(txs: readonly Tx[], signal?: AbortSignal): Promise<Receipt[]> {
    const limit = (await this.client.getBlock({ blockTag: 'latest' })).gasLimit;
    const out: Receipt[] = [];
    let batch: Tx[] = [];
    let gas = 0n;
    for (const t of txs) {
      if (batch.length > 0 && gas + t.gas > limit) {
        out.push(...(await this.receipts(await this.send(batch), signal)));
        batch = [];
        gas = 0n;
      }
      batch.push(t);
      gas += t.gas;
    }
    if (batch.length > 0) out.push(...(await this.receipts(await this.send(batch), signal)));
    return out;
  }
}

const call = (abi: Abi, functionName: string, args: readonly unknown[]): Hex =>
  encodeFunctionData({ abi, functionName, args } as Parameters<typeof encodeFunctionData>[0]);

/**
 * Runs a scenario's devices against the market contracts until `intervals` are reported or the signal
 * aborts; returns the reports and the market's invariants. The operator clears; this settles.
 * @example const { intervals, invariants } = await runScenarioOnEvm({ rpcUrl, contracts, scenario, deployer, intervals: 1 });
 */
export async function runScenarioOnEvm(o: EvmRunOptions): Promise<EvmRunResult> {
  const signal = o.signal;
  const emit = (e: SimEvent) => {
    try {
      o.onEvent?.(e);
    } catch {
      // A listener's failure must not stop the devices.
    }
  };
  const client = createPublicClient({
    transport: http(o.rpcUrl, { batch: { batchSize: 200 } }),
  }) as PublicClient;
  const views = new EvmMarketViews(o.rpcUrl, o.contracts);
  const sender = new EvmSender(client);
  const c = o.contracts;
  const deployer = o.deployer;
  const devices: SimDevice[] = buildPopulation(o.scenario);
  const accounts = devices.map((d) => privateKeyToAccount(bytesToHex(d.account.privateKey)));
  const byAddress = new Map(devices.map((d, i) => [d.account.address.toLowerCase(), i]));
  const mc0 = await views.marketConfig();
  const cfg = mc0.config;
  const chainId = BigInt(cfg.chainId);
  const intervalMs = BigInt(cfg.intervalMs);
  const ref = Number(
    (BigInt(cfg.upstream.importPriceMicrosPerMWh) + BigInt(cfg.upstream.exportPriceMicrosPerMWh)) / 2n,
  );
  const states: DeviceState[] = devices.map((d) => initialState(d.spec, ref));
  // Sealed bids: the contract's reveal window (0: an open book). The views leave it out of gl_marketConfig.
  const onChainConfig = (await client.readContract({
    address: c.market,
    abi: MarketAbi as Abi,
    functionName: 'config',
  })) as { sealedBids?: { revealWindowMs: bigint } };
  const revealWindowMs = BigInt(onChainConfig.sealedBids?.revealWindowMs ?? 0n);
  const gateLeadMs = BigInt(cfg.gateLeadMs);
  // A deposit covers the escrow the reveal takes (buy: the order's value; sell: its energy at the
  // shortfall price, with the penalty on top as margin); the contract refunds the rest at the reveal.
  const sellDepositPerMWh =
    BigInt(cfg.imbalance.priceCapMicrosPerMWh) + BigInt(cfg.imbalance.penaltyMicrosPerMWh);
  const depositOf = (side: 0 | 1, steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[]) => {
    let v = 0n;
    for (const st of steps) v += st.energyWh * (side === 0 ? st.priceMicrosPerMWh : sellDepositPerMWh);
    const d = (v + 999_999n) / 1_000_000n;
    return d > 0n ? d : 1n;
  };

  // ---- setup: participants, meters, gas, cash, allowances ----
  // A device whose meter is registered already was set up by an earlier run on this chain (`start
  // --chain anvil` resuming its saved state): it keeps its registration, cash and allowance.
  const owners = await Promise.all(
    devices.map(
      (d) =>
        client.readContract({
          address: c.registry,
          abi: RegistryAbi as Abi,
          functionName: 'meterOf',
          args: [d.meterId],
        }) as Promise<readonly [Address, bigint, Address]>,
    ),
  );
  const fresh = devices.filter((_, i) => BigInt(owners[i]![2]) === 0n);
  const resumed = devices.length - fresh.length;
  if (resumed > 0)
    emit({
      type: 'setup',
      step: 'resuming',
      detail: `${resumed} of ${devices.length} devices are registered already`,
    });
  emit({ type: 'setup', step: 'registering participants and meters', detail: `${fresh.length} devices` });
  const cash = dollarsToMicros(o.scenario.cashPerDevice);
  const setup: Tx[] = [];
  for (const d of fresh) {
    const a = d.account.address;
    const bus = BigInt(d.spec.bus);
    setup.push(
      {
        from: deployer,
        to: c.registry,
        data: call(RegistryAbi as Abi, 'registerParticipant', [a, [bus]]),
        gas: GAS.register,
      },
      {
        from: deployer,
        to: c.registry,
        data: call(RegistryAbi as Abi, 'registerMeter', [
          d.meterId,
          d.meterKey.address,
          bus,
          a,
          connectionCapacityW(d.spec),
        ]),
        gas: GAS.meter,
      },
      { from: deployer, to: a, value: DEVICE_GAS_WEI, gas: GAS.transfer },
      { from: deployer, to: c.cash, data: call(TestStablecoinAbi as Abi, 'mint', [a, cash]), gas: GAS.mint },
    );
  }
  // The upstream account (the deployer) pays for exports and the grid operator for surpluses.
  setup.push({
    from: deployer,
    to: c.cash,
    data: call(TestStablecoinAbi as Abi, 'approve', [c.market, maxUint256]),
    gas: GAS.approve,
  });
  setup.push({
    from: deployer,
    to: c.cash,
    data: call(TestStablecoinAbi as Abi, 'mint', [deployer.address, cash * BigInt(fresh.length)]),
    gas: GAS.mint,
  });
  const failedSetup = (await sender.sendAndWait(setup, signal)).filter((r) => r.status !== 'success').length;
  if (failedSetup > 0)
    throw new GridledgerError(
      'E_SETUP',
      `setup: ${failedSetup} of ${setup.length} registration transactions reverted`,
    );
  emit({ type: 'setup', step: 'approving the market on the cash token' });
  const freshAccounts = new Set(fresh.map((d) => d.account.address.toLowerCase()));
  const approvals = accounts
    .filter((a) => freshAccounts.has(a.address.toLowerCase()))
    .map((from) => ({
      from,
      to: c.cash,
      data: call(TestStablecoinAbi as Abi, 'approve', [c.market, maxUint256]),
      gas: GAS.approve,
    }));
  const failedApprovals = (await sender.sendAndWait(approvals, signal)).filter(
    (r) => r.status !== 'success',
  ).length;
  if (failedApprovals > 0)
    throw new GridledgerError('E_SETUP', `setup: ${failedApprovals} approvals reverted`);

  // ---- the invariants, read from the contracts as the native driver reads the modules ----
  const invariantChain = new ChainClient([
    new MarketRpcClient(o.rpcUrl, signal === undefined ? {} : { signal }, views),
  ]);
  const invariants = new InvariantTracker({
    chain: invariantChain,
    config: (await invariantChain.clock()).config,
    devices,
    knownAccounts: [deployer.address],
    verifyClearing: o.verifyClearing ?? true,
    targets: evmInvariantTargets(c),
  });
  await invariants.start();
  // The strategic participants' and twins' money from here, before their first order (profit.ts).
  const profit = new ProfitTracker(invariantChain, devices, o.scenario.seed, evmInvariantTargets(c).tariffs);
  await profit.start();
  /** default-and-run devices that have moved their cash to their stash (they order no more). */
  const ranAway = new Set<number>();

  // ---- the loop ----
  const runs = new Map<bigint, EvmIntervalRun>();
  const reports: IntervalReport[] = [];
  if (resumed > 0) {
    // Intervals an earlier run ordered in and did not settle: settled from here (after their deadline,
    // without readings: the devices do not remember what they delivered before the stop) or released
    // when no clearing came.
    const mc = await views.marketConfig();
    const open = BigInt(mc.openInterval ?? cfg.firstInterval);
    const first = BigInt(cfg.firstInterval);
    for (let k = open + 1n; k >= first && k > open - RESUME_LOOKBACK; k--) {
      const iv = await views.interval(k);
      if (iv.status === 'settled' || iv.status === 'failed' || BigInt(iv.orders) === 0n) continue;
      runs.set(k, {
        k,
        planned: new Map(),
        ordersSent: 0,
        ordersRefused: 0,
        delivered: true,
        readingsAccepted: 0,
        readingsRejected: 0,
        settleTried: -1n,
      });
    }
    if (runs.size > 0)
      emit({
        type: 'setup',
        step: 'resuming',
        detail: `intervals ${[...runs.keys()].sort((a, b) => (a < b ? -1 : 1)).join(', ')} were in flight at the stop: they settle without readings`,
      });
  }
  let nextOrder = -1n;
  let ordered = 0;
  const pollMs = o.pollMs ?? 500;
  const done = () => o.intervals !== undefined && reports.length >= o.intervals;
  const ctxOf = (k: bigint, lastPrice?: number) => ({
    seed: o.scenario.seed,
    interval: k,
    startMs: Number(k * intervalMs),
    minutes: Number(intervalMs / 60_000n),
    lastPriceMicrosPerMWh: lastPrice,
  });

  const placeOrders = async (k: bigint) => {
    const planned = new Map<number, PlannedOrder[]>();
    const txs: Tx[] = [];
    const sealedOf: Omit<EvmCommit, 'id'>[] = [];
    // Intervals ordered or cleared but not yet delivered: what the devices expect to happen first.
    const undelivered = [...runs.values()].filter((r) => !r.delivered && r.k < k);
    devices.forEach((d, i) => {
      const orders = strategicOrders(
        d,
        planOrders(d.spec, states[i]!, ctxOf(k), pendingOf(undelivered, i, d.spec.kind)),
        ranAway.has(i),
        ctxOf(k).minutes,
      );
      if (orders.length === 0) return;
      planned.set(i, orders);
      for (const ord of orders) {
        const side: 0 | 1 = ord.side === 'buy' ? 0 : 1;
        const steps = ord.steps.map((st) => ({
          energyWh: st.energyWh,
          priceMicrosPerMWh: st.priceMicrosPerMWh,
        }));
        if (revealWindowMs > 0n) {
          const salt = bytesToHex(randomBytes(32));
          const bus = BigInt(d.spec.bus);
          const hash = commitmentHash({ owner: d.account.address, interval: k, bus, side, steps, salt });
          sealedOf.push({ device: i, bus, side, steps, salt });
          txs.push({
            from: accounts[i]!,
            to: c.market,
            data: call(MarketAbi as Abi, 'commitOrder', [k, hash, depositOf(side, steps)]),
            gas: GAS.commit,
          });
          continue;
        }
        txs.push({
          from: accounts[i]!,
          to: c.market,
          data: call(MarketAbi as Abi, 'placeOrder', [
            k,
            BigInt(d.spec.bus),
            ord.side === 'buy' ? 0 : 1,
            ord.steps.map((s) => ({ energyWh: s.energyWh, priceMicrosPerMWh: s.priceMicrosPerMWh })),
          ]),
          gas: GAS.order(ord.steps.length),
        });
      }
    });
    const receipts = await sender.sendAndWait(txs, signal);
    const refused = receipts.filter((r) => r.status !== 'success').length;
    if (refused > 0)
      emit({
        type: 'warning',
        message: `interval ${k}: ${refused} of ${txs.length} ${revealWindowMs > 0n ? 'commitments' : 'orders'} reverted`,
      });
    let commits: EvmCommit[] | undefined;
    if (revealWindowMs > 0n) {
      commits = [];
      receipts.forEach((r, j) => {
        if (r.status !== 'success') return;
        for (const l of r.logs) {
          if (l.address.toLowerCase() !== c.market.toLowerCase()) continue;
          try {
            const ev = decodeEventLog({
              abi: MarketAbi as Abi,
              data: l.data,
              topics: l.topics as [Hex, ...Hex[]],
            });
            if (ev.eventName === 'OrderCommitted')
              commits!.push({ ...sealedOf[j]!, id: (ev.args as unknown as { id: bigint }).id });
          } catch {
            // another event
          }
        }
      });
    }
    runs.set(k, {
      k,
      planned,
      ordersSent: txs.length,
      ordersRefused: refused,
      delivered: false,
      readingsAccepted: 0,
      readingsRejected: 0,
      settleTried: -1n,
      ...(commits === undefined ? {} : { commits, revealed: false }),
    });
    emit({ type: 'orders', interval: k.toString(), orders: txs.length, rejected: refused, ms: 0 });
  };

  /** Sealed bids: reveals a run's commitments once its gate has passed, in its reveal window. */
  const reveal = async (run: EvmIntervalRun, nowMs: bigint) => {
    const gate = run.k * intervalMs - gateLeadMs;
    if (run.commits === undefined || run.revealed || nowMs < gate) return;
    run.revealed = true;
    if (nowMs >= gate + revealWindowMs) {
      emit({
        type: 'warning',
        message: `interval ${run.k}: its reveal window closed before the devices could reveal (market time ${nowMs} ms)`,
      });
      return;
    }
    const txs: Tx[] = run.commits.map((m) => ({
      from: accounts[m.device]!,
      to: c.market,
      data: call(MarketAbi as Abi, 'revealOrder', [m.id, m.bus, m.side, m.steps, m.salt]),
      gas: GAS.reveal(m.steps.length),
    }));
    const receipts = await sender.sendAndWait(txs, signal);
    const refused = receipts.filter((r) => r.status !== 'success').length;
    run.ordersRefused += refused;
    if (refused > 0)
      emit({ type: 'warning', message: `interval ${run.k}: ${refused} of ${txs.length} reveals reverted` });
    emit({ type: 'reveals', interval: run.k.toString(), reveals: txs.length - refused });
  };

  const readCleared = async (run: EvmIntervalRun) => {
    const [orders, iv] = await Promise.all([views.orders(run.k), views.interval(run.k)]);
    const cleared = new Map<number, Cleared>();
    for (const ord of orders) {
      if (ord.kind !== 'order') continue;
      const i = byAddress.get(ord.owner.toLowerCase());
      if (i === undefined) continue;
      const cl = cleared.get(i) ?? { boughtWh: 0n, soldWh: 0n };
      if (ord.side === 'buy') cl.boughtWh += BigInt(ord.clearedWh);
      else cl.soldWh += BigInt(ord.clearedWh);
      cleared.set(i, cl);
    }
    run.cleared = cleared;
    run.lmps = iv.lmpMicrosPerMWh ?? {};
    run.clearedBlock = await client.getBlockNumber();
    for (const f of await invariants.checkCleared(run.k)) emit({ type: 'warning', message: f });
    const prices = Object.values(run.lmps).map((p) => Number(p) / 1e6);
    emit({
      type: 'cleared',
      interval: run.k.toString(),
      status: iv.status,
      lmpMin: prices.length ? Math.min(...prices) : 0,
      lmpMax: prices.length ? Math.max(...prices) : 0,
      promises: iv.promises.length,
    });
  };

  /** One `submitReadings` transaction of the deployer for `batch` (all or nothing on chain). */
  const readingsTx = (batch: readonly SignedReading[], gasOf: (n: number) => bigint): Tx => ({
    from: deployer,
    to: c.meters,
    data: call(MetersAbi as Abi, 'submitReadings', [
      batch.map((x) => x.reading),
      batch.map((x) => x.signature),
    ]),
    gas: gasOf(batch.length),
  });
  /** Sends the batches' transactions and counts each batch's readings as accepted or rejected. */
  const submitReadings = async (run: EvmIntervalRun, batches: readonly SignedReading[][], txs: Tx[]) => {
    const receipts = await sender.sendAndWait(txs, signal);
    receipts.forEach((r, j) => {
      if (r.status === 'success') run.readingsAccepted += batches[j]!.length;
      else run.readingsRejected += batches[j]!.length;
    });
  };

  const sendReadings = async (run: EvmIntervalRun) => {
    const domain = { ...readingDomain(chainId), verifyingContract: c.meters };
    const good: SignedReading[] = [];
    const alone: SignedReading[] = [];
    const late: SignedReading[] = [];
    for (const [i, d] of devices.entries()) {
      const price = run.lmps?.[String(d.spec.bus)];
      const out = deliver(
        d.spec,
        states[i]!,
        ctxOf(run.k, price === undefined ? undefined : Number(price)),
        run.cleared?.get(i) ?? { boughtWh: 0n, soldWh: 0n },
      );
      states[i] = out.state;
      profit.recordEnergy(i, run.k, out.metered);
      // What the meter reports (its strategy's report) and how: a missing meter (or a withheld reading)
      // never; a late one after the settlement (trued up, as natively: sendLate); a forged or inflated one
      // alone.
      const sent = meterReport(d, out.metered, Number(intervalMs / 60_000n));
      if (sent === undefined) continue;
      const reading = { meter: d.meterId, interval: run.k, ...sent.metered };
      const signature = await privateKeyToAccount(bytesToHex(sent.key.privateKey)).signTypedData({
        domain,
        types: READING_TYPES,
        primaryType: 'Reading',
        message: reading,
      });
      (sent.route === 'alone' ? alone : sent.route === 'late' ? late : good).push({ reading, signature });
    }
    run.late = late;
    // A forged (or inflated) reading goes alone: the meters refuse a batch that holds one.
    const batches = [...inBatches(good), ...alone.map((x) => [x])];
    const txs = batches.map((b) => readingsTx(b, GAS.readings));
    await submitReadings(run, batches, txs);
    run.delivered = true;
    emit({
      type: 'readings',
      interval: run.k.toString(),
      readings: run.readingsAccepted,
      transactions: txs.length,
      ms: 0,
    });
  };

  const report = async (
    run: EvmIntervalRun,
    status: IntervalReport['status'],
    creditsWh: bigint,
    iv: Awaited<ReturnType<typeof views.interval>>,
  ) => {
    const invariantFailures =
      status === 'settled'
        ? await invariants.checkSettled(run.k, {
            cleared: run.cleared ?? new Map(),
            creditsFromLog: creditsWh,
            settledLogSeen: true,
            fromBlock: run.clearedBlock ?? invariants.startBlock,
          })
        : [];
    const lmps = Object.fromEntries(
      Object.entries(iv.lmpMicrosPerMWh ?? {}).map(([b, p]) => [b, Number(p) / 1e6]),
    );
    const prices = Object.values(lmps);
    let soldWh = BigInt(iv.upstream.soldWh);
    for (const cl of run.cleared?.values() ?? []) soldWh += cl.soldWh;
    const r: IntervalReport = {
      interval: run.k.toString(),
      startIso: new Date(Number(BigInt(iv.startMs))).toISOString(),
      status,
      ordersPlaced: Number(iv.orders),
      ordersRejected: run.ordersRefused,
      clearedWh: Number(soldWh),
      lmpMin: prices.length ? Math.min(...prices) : 0,
      lmpMax: prices.length ? Math.max(...prices) : 0,
      lmpByBus: lmps,
      congestionRent: Number(iv.congestionRent) / 1e6,
      promisesMinted: iv.promises.length,
      readingsAccepted: run.readingsAccepted,
      readingsRejected: run.readingsRejected,
      creditsMintedWh: Number(creditsWh),
      meteredDeliveredWh: 0,
      upstreamSoldWh: Number(iv.upstream.soldWh),
      upstreamBoughtWh: Number(iv.upstream.boughtWh),
      invariantFailures,
    };
    reports.push(r);
    runs.delete(run.k);
    emit({ type: 'settled', report: r });
    try {
      o.onInterval?.(r);
    } catch {
      // A listener's failure must not stop the devices.
    }
  };

  /** The late meters' readings of a settled interval: each replaces its estimate (a true-up, market-rules §10a). */
  const sendLate = async (run: EvmIntervalRun) => {
    const batches = inBatches(run.late ?? []);
    if (batches.length === 0) return;
    await submitReadings(
      run,
      batches,
      batches.map((b) => readingsTx(b, GAS.lateReadings)),
    );
  };

  const trySettle = async (run: EvmIntervalRun, nowMs: bigint) => {
    // Not again within the same second of market time: the answer would be the same.
    if (run.settleTried === nowMs) return;
    run.settleTried = nowMs;
    // In chunks sized to the block (docs/evm.md "Settlement in chunks"): beginSettle fails while the
    // readings or the real-time prices are awaited (the contract's reason), then the chunks follow.
    let out: Awaited<ReturnType<typeof settleInChunks>>;
    try {
      out = await settleInChunks(client, c.market, deployer.address, run.k, async (tx) => {
        const [r] = await sender.sendAndWait(
          [{ from: deployer, to: c.market, data: tx.data, gas: tx.gas }],
          signal,
        );
        return r!;
      });
    } catch (e) {
      emit({
        type: 'warning',
        message: `interval ${run.k}: settle: ${e instanceof Error ? e.message : String(e)}`,
      });
      return;
    }
    if (out.status !== 'settled') return;
    await sendLate(run);
    await report(run, 'settled', out.creditsWh, await views.interval(run.k));
  };

  /** default-and-run: the cash token's transfer to the stash once a purchase cleared (run-away.ts). */
  const runAway = () =>
    moveCashAway(
      {
        devices,
        seed: o.scenario.seed,
        ranAway,
        cleared: () => [...runs.values()].map((r) => r.cleared),
        emit,
      },
      {
        cash: c.cash,
        views: (calls) => invariantChain.views<bigint>(calls),
        send: async (txs) => {
          const receipts = await sender.sendAndWait(
            txs.map((t) => ({
              from: accounts[t.device]!,
              to: t.call.to,
              data: call(t.call.abi, t.call.functionName, t.call.args),
              gas: t.gas,
            })),
            signal,
          );
          const reverted = receipts.filter((r) => r.status !== 'success').length;
          if (reverted > 0)
            emit({
              type: 'warning',
              message: `${reverted} of ${txs.length} cash transfers to a stash reverted`,
            });
        },
      },
    );

  while (!signal?.aborted && !done()) {
    const mc = await views.marketConfig();
    const nowMs = BigInt(mc.marketTimeMs ?? '0');
    const open = BigInt(mc.openInterval ?? cfg.firstInterval);
    if (nextOrder < 0n) {
      // The first interval: the one after the next gate, so its orders have a whole interval to land.
      nextOrder = open + 1n;
      emit({ type: 'ready', devices: devices.length, firstInterval: nextOrder.toString() });
    }
    if (nextOrder < open) {
      emit({
        type: 'warning',
        message: `intervals ${nextOrder}..${open - 1n} passed their gate before the devices could order`,
      });
      nextOrder = open;
    }
    // Reveals first: their window (the gate lead) must not wait behind an earlier interval's readings.
    for (const run of runs.values()) await reveal(run, nowMs);
    await runAway();
    if (nextOrder <= open + 1n && (o.intervals === undefined || ordered < o.intervals)) {
      await placeOrders(nextOrder);
      nextOrder++;
      ordered++;
    }
    for (const run of [...runs.values()].sort((a, b) => (a.k < b.k ? -1 : 1))) {
      const endMs = (run.k + 1n) * intervalMs;
      if (run.cleared === undefined) {
        const iv = await views.interval(run.k);
        if (iv.status === 'cleared') await readCleared(run);
        else if (iv.status === 'failed') {
          await report(run, 'failed', 0n, iv);
          continue;
        } else if (
          iv.status === 'open' &&
          BigInt(iv.orders) === 0n &&
          nowMs >= BigInt(iv.gateMs) + revealWindowMs
        ) {
          emit({
            type: 'warning',
            message: `interval ${run.k}: no order reached the market before its gate`,
          });
          runs.delete(run.k);
          continue;
        } else if (iv.status === 'open' && nowMs >= BigInt(iv.deadlineMs)) {
          // No clearing came by the deadline: anyone may release the escrow.
          await sender.sendAndWait(
            [
              {
                from: deployer,
                to: c.market,
                data: call(MarketAbi as Abi, 'expireClearing', [run.k]),
                gas: GAS.expire,
              },
            ],
            signal,
          );
          await report(run, 'failed', 0n, await views.interval(run.k));
          continue;
        }
      }
      if (run.cleared === undefined) break; // later intervals deliver after this one
      if (!run.delivered) {
        if (nowMs < endMs) break;
        await sendReadings(run);
      }
      await trySettle(run, nowMs);
    }
    await sleep(pollMs, signal);
  }
  // The whole-chain checks need a quiet chain: only when the intervals asked for are done.
  const stopped = done() ? 'done' : 'aborted';
  let strategies: StrategyResult[] = [];
  if (stopped === 'done') {
    strategies = await profit.finish();
    failGains(strategies, invariants);
  }
  const final =
    stopped === 'done'
      ? await invariants.finish(reports.length > 0)
      : { results: { ...invariants.ok }, failures: [...invariants.failures] };
  return { intervals: reports, invariants: final.results, failures: final.failures, strategies, stopped };
}
