// Deploying the market's contracts with viem on any EVM JSON-RPC endpoint: registry, cash (a given ERC-20,
// or the test stablecoin), promises, credits, meters, the market engine and the market, then the one-time
// wiring (the market mints promises and credits, the meters follow the market's clock), and the upstream's
// tariff schedule (Tariffs, named in the market once). The clearing
// verifier is named afterwards (setClearingVerifier), once it is deployed with the market's address.
import { InputError } from '@gridledger/base';
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { CreditsAbi, CreditsBytecode } from './generated/Credits.ts';
import { MarketAbi, MarketBytecode } from './generated/Market.ts';
import { MarketEngineAbi, MarketEngineBytecode } from './generated/MarketEngine.ts';
import { MarketRealtimeAbi, MarketRealtimeBytecode } from './generated/MarketRealtime.ts';
import { MarketSealedAbi, MarketSealedBytecode } from './generated/MarketSealed.ts';
import { MetersAbi, MetersBytecode } from './generated/Meters.ts';
import { PromisesAbi, PromisesBytecode } from './generated/Promises.ts';
import { RegistryAbi, RegistryBytecode } from './generated/Registry.ts';
import { TariffsAbi, TariffsBytecode } from './generated/Tariffs.ts';
import { TestStablecoinAbi, TestStablecoinBytecode } from './generated/TestStablecoin.ts';

/** The mnemonic of anvil's (and hardhat's) development accounts. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** Development account `i` of {@link DEV_MNEMONIC} (anvil funds the first ten with 10,000 ETH). */
export const devAccount = (i: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });

/** The market's configuration as the contract takes it (Market.Config; units as the native MarketConfig). */
export interface EvmMarketConfig {
  gridOperator: Address;
  intervalMs: bigint;
  gateLeadMs: bigint;
  settlementDelayMs: bigint;
  firstInterval: bigint;
  upstream: {
    bus: bigint;
    account: Address;
    importPriceMicrosPerMWh: bigint;
    exportPriceMicrosPerMWh: bigint;
    capacityWh: bigint;
  };
  shortfallPriceMicrosPerMWh: bigint;
  surplusPriceMicrosPerMWh: bigint;
  maxOrdersPerAccount: number;
  maxStepsPerOrder: number;
  /** >= 1. */
  minStepWh: bigint;
  /** 0: no cap. */
  maxOrderWh: bigint;
  /** scale 1n and origins 0n: market time is block time. */
  clock: { blockOriginMs: bigint; marketOriginMs: bigint; scale: bigint };
  /**
   * Sealed bids (commit-reveal, docs/market-rules.md §6b): a reveal window after the gate (0 < ms <=
   * gateLeadMs) and the forfeited share of an unrevealed deposit (0..10000 bps). Absent: an open book.
   */
  sealed?: { revealWindowMs: bigint; forfeitBps: number };
  /**
   * Orders capped by the registered meters (market-rules §10 "Orders", the native ordersCappedByMeters):
   * an owner's open orders at a bus, interval and side <= Σ capacityW × interval of its meters there.
   * Absent: false.
   */
  ordersCappedByMeters?: boolean;
  /**
   * The second settlement (market-rules §10a; the native `imbalance`'s fields of the same names), every
   * market's settlement: the penalty band's δ (> 0), the real-time price cap and floor (the floor may be
   * negative, <= the export price), the non-reporting penalty and the liquidated damages' rate. The sell
   * collateral's price `shortfallPriceMicrosPerMWh` must be cap + δ (as native). Absent:
   * {@link defaultEvmRealtime} (δ 5 $/MWh, cap = shortfall price − δ, floor 0, no penalty or damages).
   */
  realtime?: EvmRealtimeConfig;
  /**
   * The upstream's initial tariff by time of day (the native `upstream.tariff`: 1..48 periods, the first
   * from minute 0, export < import each; the Tariffs contract, docs/evm.md). Absent: one period at the
   * upstream's flat prices above.
   */
  tariff?: readonly EvmTariffPeriod[];
  /** Notice for a tariff change, ms of market time (native `upstream.tariffLeadMs`; default one day). */
  tariffLeadMs?: bigint;
}

/** One period of a tariff: from a minute of the day (UTC, market time), its import and export prices. */
export interface EvmTariffPeriod {
  fromMinute: number;
  importPriceMicrosPerMWh: bigint;
  exportPriceMicrosPerMWh: bigint;
}

/** Default notice for a tariff change: one day of market time (as native DEFAULT_TARIFF_LEAD_MS). */
const DEFAULT_EVM_TARIFF_LEAD_MS = 86_400_000n;

/** The second settlement's parameters as the contract takes them (Market.Config.realtime). */
export interface EvmRealtimeConfig {
  penaltyMicrosPerMWh: bigint;
  priceCapMicrosPerMWh: bigint;
  priceFloorMicrosPerMWh: bigint;
  nonReportingPenaltyMicros: bigint;
  /** What a seller pays its promise's holder per undelivered MWh, µ$/MWh (0: none). */
  liquidatedDamagesMicrosPerMWh: bigint;
  /** How long after the settlement deadline an estimated meter's reading is trued up, ms (absent: 0, never). */
  trueUpDelayMs?: bigint;
  /** Largest energy-balance mismatch not flagged, Wh (absent: 0). */
  balanceToleranceWh?: bigint;
  /** The upstream connection's own meter (native upstream.meter; absent: no energy-balance check). */
  upstreamMeter?: bigint;
}

/** The contract's Config.realtime of `r`: the optional fields filled (no upstream meter: upstreamMetered false). */
const contractRealtime = (r: EvmRealtimeConfig) => {
  const { upstreamMeter, ...rest } = r;
  return {
    ...rest,
    trueUpDelayMs: r.trueUpDelayMs ?? 0n,
    balanceToleranceWh: r.balanceToleranceWh ?? 0n,
    upstreamMetered: upstreamMeter !== undefined,
    upstreamMeter: upstreamMeter ?? 0n,
  };
};

/** The default penalty band's half-width δ, µ$/MWh: 5 $/MWh (as the native development market). */
export const DEFAULT_EVM_PENALTY_MICROS_PER_MWH = 5_000_000n;

/**
 * The second settlement's parameters of a market configured without `realtime`: δ 5 $/MWh, the real-time
 * price cap = the shortfall price − δ (the sell collateral's price stays the shortfall price), floor 0, no
 * non-reporting penalty, no liquidated damages, no true-up, no energy-balance check (market.json's
 * defaults for `market.realtime`, docs/evm.md).
 * @example defaultEvmRealtime(120_000_000n).priceCapMicrosPerMWh // 115_000_000n
 */
function defaultEvmRealtime(shortfallPriceMicrosPerMWh: bigint): EvmRealtimeConfig {
  if (shortfallPriceMicrosPerMWh <= DEFAULT_EVM_PENALTY_MICROS_PER_MWH) {
    throw new InputError(
      `market config: expected shortfallPriceMicrosPerMWh > ${DEFAULT_EVM_PENALTY_MICROS_PER_MWH} (the default real-time price cap is the shortfall price − δ 5 $/MWh), got ${shortfallPriceMicrosPerMWh}; or give realtime`,
    );
  }
  return {
    penaltyMicrosPerMWh: DEFAULT_EVM_PENALTY_MICROS_PER_MWH,
    priceCapMicrosPerMWh: shortfallPriceMicrosPerMWh - DEFAULT_EVM_PENALTY_MICROS_PER_MWH,
    priceFloorMicrosPerMWh: 0n,
    nonReportingPenaltyMicros: 0n,
    liquidatedDamagesMicrosPerMWh: 0n,
  };
}

/** Where the contracts of one deployment live (`addresses.json`). */
export interface MarketAddresses {
  chainId: number;
  registry: Address;
  cash: Address;
  promises: Address;
  credits: Address;
  meters: Address;
  engine: Address;
  /** The sealed bids' code (MarketSealed), run by the market through delegatecall. */
  sealedEngine: Address;
  /** The second settlement's code (MarketRealtime), run by the market through delegatecall. */
  realtimeEngine: Address;
  market: Address;
  /** The upstream's tariff schedule (Tariffs; the market's `tariffs()`). */
  tariffs: Address;
}

/** Clients for one endpoint and one signing account. */
export interface EvmClients {
  public: PublicClient<Transport, Chain>;
  wallet: WalletClient<Transport, Chain, Account>;
}

/**
 * Public and wallet clients for `url` signing with `account` (chain id read from the node). `pollingIntervalMs`:
 * how often receipts and blocks are polled (viem's default, 4 s, suits public networks; a local node with
 * 1-second blocks wants less).
 */
export async function evmClients(
  url: string,
  account: Account,
  options: { pollingIntervalMs?: number } = {},
): Promise<EvmClients> {
  const probe = createPublicClient({ transport: http(url) });
  const polling =
    options.pollingIntervalMs === undefined ? {} : { pollingInterval: options.pollingIntervalMs };
  const id = await probe.getChainId();
  const chain = defineChain({
    id,
    name: `evm-${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  return {
    public: createPublicClient({ chain, transport: http(url), ...polling }) as PublicClient<Transport, Chain>,
    wallet: createWalletClient({ chain, transport: http(url), account, ...polling }),
  };
}

/** Deploys one contract and waits for its receipt; returns its address and the gas the deployment used. */
export async function deployContract(
  c: EvmClients,
  abi: Abi,
  bytecode: Hex,
  args: readonly unknown[],
): Promise<{ address: Address; gasUsed: bigint }> {
  const hash = await c.wallet.deployContract({ abi, bytecode, args } as Parameters<
    typeof c.wallet.deployContract
  >[0]);
  const r = await c.public.waitForTransactionReceipt({ hash });
  if (r.status !== 'success' || r.contractAddress == null) {
    throw new InputError(`deploy: the deployment transaction ${hash} reverted`);
  }
  return { address: r.contractAddress, gasUsed: r.gasUsed };
}

/** Sends one contract call and waits for a successful receipt. */
export async function sendCall(
  c: EvmClients,
  address: Address,
  abi: Abi,
  functionName: string,
  args: readonly unknown[],
): Promise<{ gasUsed: bigint }> {
  const hash = await c.wallet.writeContract({ address, abi, functionName, args } as Parameters<
    typeof c.wallet.writeContract
  >[0]);
  const r = await c.public.waitForTransactionReceipt({ hash });
  if (r.status !== 'success') throw new InputError(`deploy: ${functionName} (${hash}) reverted`);
  return { gasUsed: r.gasUsed };
}

/** Options of {@link deployMarket}. */
export interface DeployMarketOptions {
  config: EvmMarketConfig;
  /** The cash ERC-20 (6 decimals); absent: a TestStablecoin owned by the deployer is deployed. */
  cash?: Address;
  /** Registers participants (DEFAULT_ADMIN_ROLE of the registry); default the deployer. */
  accountsAdmin?: Address;
}

/**
 * Deploys and wires the market's contracts from `c.wallet`'s account. The clearing verifier is set later
 * with {@link setClearingVerifier} (only this deployer may, once).
 * @example const addrs = await deployMarket(clients, { config });
 */
export async function deployMarket(
  c: EvmClients,
  opts: DeployMarketOptions,
): Promise<{ addresses: MarketAddresses; gasUsed: Record<string, bigint> }> {
  const me = c.wallet.account.address;
  const cfg = opts.config;
  const gas: Record<string, bigint> = {};
  const deploy = async (name: string, abi: Abi, bytecode: Hex, args: readonly unknown[]) => {
    const d = await deployContract(c, abi, bytecode, args);
    gas[name] = d.gasUsed;
    return d.address;
  };
  // Before the first transaction: a configuration without a default second settlement is refused here.
  const realtimeConfig = contractRealtime(cfg.realtime ?? defaultEvmRealtime(cfg.shortfallPriceMicrosPerMWh));
  const registry = await deploy('registry', RegistryAbi, RegistryBytecode, [
    opts.accountsAdmin ?? me,
    cfg.gridOperator,
  ]);
  const cash = opts.cash ?? (await deploy('cash', TestStablecoinAbi, TestStablecoinBytecode, [me]));
  const promises = await deploy('promises', PromisesAbi, PromisesBytecode, []);
  const credits = await deploy('credits', CreditsAbi, CreditsBytecode, []);
  const meters = await deploy('meters', MetersAbi, MetersBytecode, [registry]);
  // `sealed` is a reserved word of Solidity: the contract's field is `sealedBids` (0 window: open book).
  const { sealed, ordersCappedByMeters, realtime: _realtime, tariff, tariffLeadMs, ...rest } = cfg;
  const contractConfig = {
    ...rest,
    sealedBids: sealed ?? { revealWindowMs: 0n, forfeitBps: 0 },
    ordersCappedByMeters: ordersCappedByMeters ?? false,
    realtime: realtimeConfig,
  };
  const common = [contractConfig, cash, registry, meters, promises, credits] as const;
  const engine = await deploy('engine', MarketEngineAbi, MarketEngineBytecode, common);
  const sealedEngine = await deploy('sealedEngine', MarketSealedAbi, MarketSealedBytecode, common);
  const realtimeEngine = await deploy('realtimeEngine', MarketRealtimeAbi, MarketRealtimeBytecode, common);
  const market = await deploy('market', MarketAbi, MarketBytecode, [
    ...common,
    engine,
    sealedEngine,
    realtimeEngine,
  ]);
  await sendCall(c, promises, PromisesAbi, 'setMinter', [market]);
  await sendCall(c, credits, CreditsAbi, 'setMinter', [market]);
  await sendCall(c, meters, MetersAbi, 'setMarket', [market]);
  const periods = tariff ?? [
    {
      fromMinute: 0,
      importPriceMicrosPerMWh: cfg.upstream.importPriceMicrosPerMWh,
      exportPriceMicrosPerMWh: cfg.upstream.exportPriceMicrosPerMWh,
    },
  ];
  const tariffs = await deploy('tariffs', TariffsAbi, TariffsBytecode, [
    market,
    registry,
    tariffLeadMs ?? DEFAULT_EVM_TARIFF_LEAD_MS,
    periods.map((p) => BigInt(p.fromMinute)),
    periods.map((p) => p.importPriceMicrosPerMWh),
    periods.map((p) => p.exportPriceMicrosPerMWh),
  ]);
  await sendCall(c, market, MarketAbi, 'setTariffs', [tariffs]);
  return {
    addresses: {
      chainId: c.public.chain.id,
      registry,
      cash,
      promises,
      credits,
      meters,
      engine,
      sealedEngine,
      realtimeEngine,
      market,
      tariffs,
    },
    gasUsed: gas,
  };
}

/** Names the clearing verifier of a deployed market (its deployer, once). */
export async function setClearingVerifier(c: EvmClients, market: Address, verifier: Address): Promise<void> {
  await sendCall(c, market, MarketAbi, 'setClearingVerifier', [verifier]);
}
