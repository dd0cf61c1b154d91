// The contract tests' and the gas benchmark's world: one anvil, the market deployed and a small network
// registered once (participants, meters, cash and allowances), and the helpers to send, read and move
// time, to sign and submit readings, to clear the forward interval most settlement tests start from and
// to read its real-time prices. The tests isolate themselves with evm_snapshot / evm_revert (use-world.ts).

import { READING_TYPES, readingDomain } from '@gridledger/energy';
import { type Abi, type Address, BaseError, ContractFunctionRevertedError, type Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { type Anvil, startAnvil } from '../src/anvil.ts';
import { DEFAULT_TOLERANCES, integerNetwork } from '../src/certificate/format.ts';
import { deployVerifier } from '../src/certificate/verifier-client.ts';
import {
  deployMarket,
  devAccount,
  type EvmClients,
  type EvmMarketConfig,
  evmClients,
  type MarketAddresses,
  sendCall,
  setClearingVerifier,
} from '../src/deploy.ts';
import { MarketAbi } from '../src/generated/Market.ts';
import { MetersAbi } from '../src/generated/Meters.ts';
import { PromisesAbi } from '../src/generated/Promises.ts';
import { RealtimeBookAbi } from '../src/generated/RealtimeBook.ts';
import { RegistryAbi } from '../src/generated/Registry.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain, readNetwork } from '../src/operator/operator.ts';
import { deployRealtimePricer, type RealtimeContracts } from '../src/operator/realtime.ts';

/** Interval length of the test market: 5 minutes. */
export const INTERVAL_MS = 300_000n;
export const GATE_LEAD_MS = 60_000n;
export const SETTLEMENT_DELAY_MS = 600_000n;
/**
 * A small network: buses 1..3, the upstream at 1; line 2-3 carries at most 0.3 MW (25,000 Wh in a 5-minute
 * interval), so a seller at 3 and a buyer at 2 congest it.
 */
const branch = (index: number, from: number, to: number, rateAMw: number) => ({
  index,
  from,
  to,
  xPu: 0.1,
  rateAMw,
  tap: 0,
  shiftDeg: 0,
  status: 1,
  angminDeg: -360,
  angmaxDeg: 360,
});
export const NETWORK_JSON = JSON.stringify({
  name: 'evm-test-3bus',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
    { id: 3, type: 1 },
  ],
  branches: [branch(1, 1, 2, 10), branch(2, 2, 3, 0.3)],
});

/** Everything a test needs: the node, the accounts and their clients, the deployment. */
export interface World {
  anvil: Anvil;
  addresses: MarketAddresses;
  deployer: PrivateKeyAccount;
  operator: PrivateKeyAccount;
  alice: PrivateKeyAccount;
  bob: PrivateKeyAccount;
  carol: PrivateKeyAccount;
  meterKey: PrivateKeyAccount;
  clients: (a: PrivateKeyAccount) => Promise<EvmClients>;
  config: EvmMarketConfig;
  /** The first interval the market trades (its gate is hours ahead of the genesis block). */
  k0: bigint;
  deployGas: Record<string, bigint>;
  /** The ClearingVerifier named by the market. */
  verifier: Address;
  /** The second settlement's real-time prices (every market): the RealtimeBook and its verifier. */
  realtime: RealtimeContracts;
}

export const ALICE_CASH = 1_000_000_000n; // 1,000 $
/** Capacity of alice's and bob's meters: 1 GW (83,333,333 Wh in a 5-minute interval). */
export const METER_CAPACITY_W = 1_000_000_000n;
/**
 * The second settlement of the tests' markets (`realtime`): δ 5 $/MWh, prices within [1, 195] $/MWh (cap + δ =
 * the world's shortfall price, the sell collateral's), 1 $ per missing reading, damages 2 $/MWh.
 */
export const WORLD_REALTIME = {
  penaltyMicrosPerMWh: 5_000_000n,
  priceCapMicrosPerMWh: 195_000_000n,
  priceFloorMicrosPerMWh: 1_000_000n,
  nonReportingPenaltyMicros: 1_000_000n,
  liquidatedDamagesMicrosPerMWh: 2_000_000n,
};

/**
 * Starts anvil, deploys the market, registers the network, participants, meters and funds them, and
 * deploys the real-time book. `overrides` change the market's configuration (sealed.test.ts: sealed bids;
 * without `realtime` the market gets deployMarket's default second settlement: δ 5 $/MWh, cap 195 $/MWh,
 * floor 0, no non-reporting penalty or damages).
 */
export async function setUpWorld(overrides: Partial<EvmMarketConfig> = {}): Promise<World> {
  const start = BigInt(Math.floor(Date.now() / 1000));
  const anvil = await startAnvil({ timestamp: start });
  try {
    return await buildWorld(anvil, start, overrides);
  } catch (err) {
    // A deployment that fails (a contract over the size limit, a bad configuration) leaves no node behind.
    await anvil.close();
    throw err;
  }
}

async function buildWorld(anvil: Anvil, start: bigint, overrides: Partial<EvmMarketConfig>): Promise<World> {
  const [deployer, operator, alice, bob, carol, meterKey] = [0, 1, 2, 3, 4, 5].map(devAccount) as unknown as [
    PrivateKeyAccount,
    PrivateKeyAccount,
    PrivateKeyAccount,
    PrivateKeyAccount,
    PrivateKeyAccount,
    PrivateKeyAccount,
  ];
  const cache = new Map<string, EvmClients>();
  const clients = async (a: PrivateKeyAccount) => {
    let c = cache.get(a.address);
    if (c === undefined) cache.set(a.address, (c = await evmClients(anvil.url, a)));
    return c;
  };
  const k0 = (start * 1000n) / INTERVAL_MS + 10n;
  const config: EvmMarketConfig = {
    gridOperator: operator.address,
    intervalMs: INTERVAL_MS,
    gateLeadMs: GATE_LEAD_MS,
    settlementDelayMs: SETTLEMENT_DELAY_MS,
    firstInterval: k0,
    upstream: {
      bus: 1n,
      account: operator.address,
      importPriceMicrosPerMWh: 100_000_000n,
      exportPriceMicrosPerMWh: 20_000_000n,
      capacityWh: 10_000_000n,
    },
    shortfallPriceMicrosPerMWh: 200_000_000n,
    surplusPriceMicrosPerMWh: 10_000_000n,
    maxOrdersPerAccount: 4,
    maxStepsPerOrder: 5,
    minStepWh: 1n,
    maxOrderWh: 50_000_000n,
    clock: { blockOriginMs: 0n, marketOriginMs: 0n, scale: 1n },
    ...overrides,
  };
  const d = await clients(deployer);
  const { addresses, gasUsed } = await deployMarket(d, { config });
  const op = await clients(operator);
  await sendCall(op, addresses.registry, RegistryAbi, 'registerNetwork', [NETWORK_JSON, [1n, 2n, 3n], 2n]);
  await sendCall(d, addresses.registry, RegistryAbi, 'registerParticipant', [alice.address, [2n]]);
  await sendCall(d, addresses.registry, RegistryAbi, 'registerParticipant', [bob.address, [3n]]);
  await sendCall(op, addresses.registry, RegistryAbi, 'registerMeter', [
    1n,
    meterKey.address,
    2n,
    alice.address,
    METER_CAPACITY_W,
  ]);
  await sendCall(op, addresses.registry, RegistryAbi, 'registerMeter', [
    2n,
    meterKey.address,
    3n,
    bob.address,
    METER_CAPACITY_W,
  ]);
  for (const a of [alice, bob, carol, operator]) {
    await sendCall(d, addresses.cash, TestStablecoinAbi, 'mint', [a.address, ALICE_CASH]);
    await sendCall(await clients(a), addresses.cash, TestStablecoinAbi, 'approve', [
      addresses.market,
      2n ** 256n - 1n,
    ]);
  }
  const { network, version } = await readNetwork(op, addresses.registry);
  const minutes = Number(INTERVAL_MS / 60_000n);
  const verifier = await deployVerifier(op, {
    market: addresses.market,
    networkVersion: version,
    network: integerNetwork(network, minutes),
    intervalMinutes: minutes,
    tolerances: DEFAULT_TOLERANCES,
  });
  await setClearingVerifier(d, addresses.market, verifier.address);
  const realtime = await deployRealtimePricer(d, addresses.market, {
    networkVersion: version,
    network: integerNetwork(network, minutes),
    intervalMinutes: minutes,
    tolerances: DEFAULT_TOLERANCES,
  });
  return {
    realtime: { book: realtime.book, verifier: realtime.verifier },
    verifier: verifier.address,
    anvil,
    addresses,
    deployer,
    operator,
    alice,
    bob,
    carol,
    meterKey,
    clients,
    config,
    k0,
    deployGas: gasUsed,
  };
}

/** Raw JSON-RPC on the world's anvil. */
export async function rpc<T>(w: World, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(w.anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Mines a block at market time `ms` (identity clock: block time; whole seconds, rounded up). */
export async function mineAt(w: World, ms: bigint): Promise<void> {
  await rpc(w, 'evm_mine', [Number((ms + 999n) / 1000n)]);
}

/** A call of one contract function. */
export interface Call {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export const market = (w: World, functionName: string, args: readonly unknown[]): Call => ({
  address: w.addresses.market,
  abi: MarketAbi as Abi,
  functionName,
  args,
});
export const registry = (w: World, functionName: string, args: readonly unknown[]): Call => ({
  address: w.addresses.registry,
  abi: RegistryAbi as Abi,
  functionName,
  args,
});
export const meters = (w: World, functionName: string, args: readonly unknown[]): Call => ({
  address: w.addresses.meters,
  abi: MetersAbi as Abi,
  functionName,
  args,
});
export const promisesCall = (w: World, functionName: string, args: readonly unknown[]): Call => ({
  address: w.addresses.promises,
  abi: PromisesAbi as Abi,
  functionName,
  args,
});

/**
 * Time stands still between mineAt calls: the next block gets the latest block's timestamp (anvil allows
 * equal timestamps), so a transaction runs at the time its eth_call saw, whatever the wall clock did.
 */
export async function holdTime(w: World): Promise<void> {
  const b = await rpc<{ timestamp: Hex }>(w, 'eth_getBlockByNumber', ['latest', false]);
  await rpc(w, 'evm_setNextBlockTimestamp', [Number(BigInt(b.timestamp))]);
}

/** Sends `call` from `from` (at the latest block's time), expects success; returns the gas used. */
export async function send(w: World, from: PrivateKeyAccount, call: Call): Promise<bigint> {
  await holdTime(w);
  return (await sendCall(await w.clients(from), call.address, call.abi, call.functionName, call.args))
    .gasUsed;
}

/** Reads a view. */
export async function read<T>(w: World, call: Call): Promise<T> {
  const c = await w.clients(w.deployer);
  return (await c.public.readContract(call as Parameters<typeof c.public.readContract>[0])) as T;
}

/** The revert reason `eth_call` gives for `call` from `from`, or undefined when it succeeds. */
export async function revertReason(
  w: World,
  from: PrivateKeyAccount,
  call: Call,
): Promise<string | undefined> {
  const c = await w.clients(from);
  try {
    await c.public.simulateContract({ ...call, account: from } as Parameters<
      typeof c.public.simulateContract
    >[0]);
    return undefined;
  } catch (e) {
    if (e instanceof BaseError) {
      const r = e.walk((x) => x instanceof ContractFunctionRevertedError);
      if (r instanceof ContractFunctionRevertedError) return r.reason ?? r.data?.errorName ?? r.shortMessage;
    }
    throw e;
  }
}

/**
 * A digest of the state a test cares about (views answered by the contracts), to compare before and after
 * a refused call.
 */
export type Probe = () => Promise<unknown>;

/** Cash balances of the usual accounts and of the market. */
export function cashProbe(w: World): Probe {
  return async () => {
    const out: Record<string, bigint> = {};
    for (const [name, a] of [
      ['alice', w.alice.address],
      ['bob', w.bob.address],
      ['carol', w.carol.address],
      ['operator', w.operator.address],
      ['market', w.addresses.market],
    ] as const) {
      out[name] = await read<bigint>(w, {
        address: w.addresses.cash,
        abi: TestStablecoinAbi as Abi,
        functionName: 'balanceOf',
        args: [a],
      });
    }
    out.nextOrderId = await read<bigint>(w, market(w, 'nextOrderId', []));
    out.nextPromiseId = await read<bigint>(w, market(w, 'nextPromiseId', []));
    return out;
  };
}

export type { Hex };

/** A meter reading as the Meters contract takes it (the native `Reading` type). */
export interface MeterReading {
  meter: bigint;
  interval: bigint;
  importedWh: bigint;
  exportedWh: bigint;
}

/** `key`'s EIP-712 signature of `r`: the native `Reading` type and domain, the world's Meters contract. */
export function signReading(w: World, r: MeterReading, key: PrivateKeyAccount = w.meterKey): Promise<Hex> {
  return key.signTypedData({
    domain: { ...readingDomain(31337n), verifyingContract: w.addresses.meters },
    types: READING_TYPES,
    primaryType: 'Reading',
    message: r,
  });
}

/** The call submitting meter `meter`'s reading of interval `k`, signed by `key` (the world's meter key). */
export async function readingCall(
  w: World,
  meter: bigint,
  k: bigint,
  importedWh: bigint,
  exportedWh: bigint,
  key: PrivateKeyAccount = w.meterKey,
): Promise<Call> {
  const r = { meter, interval: k, importedWh, exportedWh };
  return meters(w, 'submitReadings', [[r], [await signReading(w, r, key)]]);
}

/** Carol (anyone may send a signed reading) submits meter `meter`'s reading of interval `k`; expects success. */
export async function submitReading(
  w: World,
  meter: bigint,
  k: bigint,
  importedWh: bigint,
  exportedWh: bigint,
): Promise<bigint> {
  return send(w, w.carol, await readingCall(w, meter, k, importedWh, exportedWh));
}

/**
 * The forward interval most settlement tests start from: alice buys 25,000 Wh at 80 $/MWh at bus 2, bob
 * sells 25,000 Wh at 30 $/MWh at bus 3 (line 2-3 full), and the operator clears interval `k` after its
 * gate. Throws unless the clearing took both orders; returns `k`.
 */
export async function clearForward(w: World, k: bigint = w.k0): Promise<bigint> {
  const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
  await send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(25_000n, 80_000_000n)]]));
  await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(25_000n, 30_000_000n)]]));
  await mineAt(w, k * INTERVAL_MS - GATE_LEAD_MS);
  const op = await w.clients(w.operator);
  const cleared = await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k);
  if (cleared?.orders !== 2)
    throw new Error(`clearForward: expected a clearing of 2 orders in interval ${k}, got ${cleared?.orders}`);
  return k;
}

/** The real-time prices the world's RealtimeBook recorded for interval `k`, at the network's buses 1..3. */
export async function realtimePrices(w: World, k: bigint): Promise<Map<number, bigint>> {
  const prices = new Map<number, bigint>();
  for (const bus of [1, 2, 3]) {
    prices.set(
      bus,
      await read<bigint>(w, {
        address: w.realtime.book,
        abi: RealtimeBookAbi as Abi,
        functionName: 'realtimePrice',
        args: [k, BigInt(bus)],
      }),
    );
  }
  return prices;
}

/** The world's addresses.json, as `gridledger deploy` writes it (for the CLI's `--contracts`). */
export function worldAddressesJson(w: World): string {
  return JSON.stringify({
    ...w.addresses,
    verifier: w.verifier,
    realtimeBook: w.realtime.book,
    realtimeVerifier: w.realtime.verifier,
  });
}
