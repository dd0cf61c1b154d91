// The scenario's strategic participants on an EVM chain (runScenarioOnEvm), as the native driver runs them
// (test/strategies.test.ts): test/fixtures/strategies-short.yaml (every strategy beside its truthful twin
// on the congested feeder) on its own anvil with the operator clearing and pricing the second settlement.
// The strategies are exercised on the contracts (each strategic device's orders, reading or cash differ
// from its twin's, read back from the market, the meters and the cash token), every strategy is reported
// with its profit and its twin's, none gains and every invariant holds, noStrategyGains included. Then the
// same ProfitTracker over the same contracts catches a gain: 1 µ$ more for one strategic account, and
// energy it consumed valued at the market's tariffAt.
import { fileURLToPath } from 'node:url';
import { EvmMarketViews, MarketRpcClient } from '@gridledger/client';
import {
  deployPlatform,
  devAccount,
  type EvmAddresses,
  evmClients,
  MarketAbi,
  MetersAbi,
  runOperator,
  sendCall,
  startAnvil,
  TestStablecoinAbi,
} from '@gridledger/evm';
import { type Abi, type Address, erc20Abi } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '../src/chain.ts';
import { type EvmRunResult, evmDeployConfig, evmInvariantTargets, runScenarioOnEvm } from '../src/evm-run.ts';
import { buildPopulation, type SimDevice } from '../src/population.ts';
import { failGains, ProfitTracker } from '../src/profit.ts';
import { loadScenario, type Scenario, withPacing } from '../src/scenario.ts';
import { stashOf } from '../src/strategies.ts';
import { STRATEGY_KINDS, type StrategyKind } from '../src/strategy-schema.ts';

const SCENARIO = fileURLToPath(new URL('./fixtures/strategies-short.yaml', import.meta.url));
const INTERVALS = 1;

const stop = new AbortController();
let closeAnvil: (() => Promise<void>) | undefined;
let operatorDone: Promise<unknown> | undefined;
let url = '';
let contracts: EvmAddresses;
let scenario: Scenario;
let devices: SimDevice[];
let result: EvmRunResult;
const operatorErrors: string[] = [];
let log = '';

beforeAll(async () => {
  scenario = withPacing({ ...(await loadScenario(SCENARIO)), pricing: 'dc', sealedBids: false }, 5);
  devices = buildPopulation(scenario);
  const anvil = await startAnvil({ gasLimit: 1_000_000_000n });
  closeAnvil = () => anvil.close();
  url = anvil.url;
  const deployer = devAccount(0);
  const clients = await evmClients(url, deployer, { pollingIntervalMs: 100 });
  const block = await clients.public.getBlock({ blockTag: 'latest' });
  contracts = (
    await deployPlatform(clients, evmDeployConfig(scenario, deployer.address, block.timestamp * 1000n))
  ).addresses;
  await clients.public.request({ method: 'evm_setIntervalMining' as never, params: [1] as never });
  operatorDone = runOperator(await evmClients(url, devAccount(1), { pollingIntervalMs: 100 }), {
    contracts,
    realtime: { book: contracts.realtimeBook!, verifier: contracts.realtimeVerifier! },
    pollMs: 250,
    signal: stop.signal,
    onOutcome: (o) => {
      if (o.kind === 'error') operatorErrors.push(`interval ${o.interval}: ${o.reason}`);
    },
  }).catch((e: Error) => operatorErrors.push(e.message));
  result = await runScenarioOnEvm({
    rpcUrl: url,
    contracts,
    scenario,
    deployer,
    intervals: INTERVALS,
    signal: stop.signal,
    pollMs: 250,
    onEvent: (e) => {
      log += `${JSON.stringify(e).slice(0, 300)}\n`;
    },
  });
}, 150_000);

afterAll(async () => {
  stop.abort();
  await operatorDone;
  await closeAnvil?.();
});

/** The strategic device of `kind` and its truthful twin. */
const pairOf = (kind: StrategyKind) => {
  const of = (role: 'strategic' | 'truthful') =>
    devices.find((d) => d.strategy?.spec.kind === kind && d.strategy.role === role)!;
  return { strategic: of('strategic'), twin: of('truthful') };
};

describe('strategic participants beside truthful twins (EVM chain)', () => {
  it('reports every strategy with its twin; none gains and every invariant holds', () => {
    expect(operatorErrors).toEqual([]);
    expect(result.stopped).toBe('done');
    expect(result.intervals.map((r) => r.status)).toEqual(['settled']);
    expect(result.strategies.map((s) => s.kind)).toEqual(STRATEGY_KINDS);
    for (const s of result.strategies) {
      expect(s.account).toBe(pairOf(s.kind).strategic.account.address);
      expect(s.gainUsd).toBeCloseTo(s.profitUsd - s.truthfulProfitUsd, 5);
      expect(s.gainUsd, JSON.stringify(s)).toBeLessThanOrEqual(0);
    }
    // Every order reached the book (none refused, the phantom purchase included).
    expect(result.intervals[0]!.ordersRejected).toBe(0);
    expect(result.failures, `${log}`).toEqual([]);
    expect(result.invariants.noStrategyGains).toBe(true);
    expect(Object.values(result.invariants).every(Boolean)).toBe(true);
  });

  it('played the strategies on the contracts: orders, readings and cash differ from the twins', async () => {
    const views = new EvmMarketViews(url, contracts);
    const k = BigInt(result.intervals[0]!.interval);
    const orders = await views.orders(k);
    /** Wh `d` ordered on `side` in interval k. */
    const orderedWh = (d: SimDevice, side: 'buy' | 'sell') =>
      orders
        .filter((o) => o.kind === 'order' && o.owner.toLowerCase() === d.account.address && o.side === side)
        .flatMap((o) => o.steps)
        .reduce((a, st) => a + BigInt(st.energyWh), 0n);
    // free-rider: no order at all, its twin buys what it consumes.
    const fr = pairOf('free-rider');
    expect(orderedWh(fr.strategic, 'buy')).toBe(0n);
    expect(orderedWh(fr.twin, 'buy')).toBeGreaterThan(0n);
    // phantom-buyer / phantom-seller: 2 kWh more than the twin on their side, the buyer's up to what its
    // 25 kW connection carries in 5 minutes (2,083 Wh: the market refuses an order beyond it).
    const pb = pairOf('phantom-buyer');
    const twinBid = orderedWh(pb.twin, 'buy');
    expect(twinBid).toBeGreaterThan(0n);
    expect(orderedWh(pb.strategic, 'buy')).toBe(twinBid + 2_000n < 2_083n ? twinBid + 2_000n : 2_083n);
    expect(orderedWh(pb.strategic, 'buy') - twinBid).toBeGreaterThan(1_900n);
    const ps = pairOf('phantom-seller');
    expect(orderedWh(ps.strategic, 'sell') - orderedWh(ps.twin, 'sell')).toBe(2_000n);
    // over-deliver sells a tenth of what its twin sells; default-and-run buys a quarter.
    const od = pairOf('over-deliver');
    expect(orderedWh(od.twin, 'sell')).toBeGreaterThan(0n);
    expect(orderedWh(od.strategic, 'sell')).toBeLessThan(orderedWh(od.twin, 'sell') / 5n);
    const dr = pairOf('default-and-run');
    expect(orderedWh(dr.strategic, 'buy')).toBeGreaterThan(0n);
    expect(orderedWh(dr.strategic, 'buy')).toBeLessThan(orderedWh(dr.twin, 'buy') / 2n);

    // Readings: withhold-reading's meter sent none; inflate-reading's reported 3 × its capacity and was
    // refused (above what the registered connection carries); their twins' were stored.
    const client = (await evmClients(url, devAccount(5))).public;
    const readingOf = async (d: SimDevice) =>
      (await client.readContract({
        address: contracts.meters,
        abi: MetersAbi as Abi,
        functionName: 'readingOf',
        args: [d.meterId, k],
      })) as readonly [boolean, bigint, bigint];
    for (const kind of ['withhold-reading', 'inflate-reading'] as const) {
      const p = pairOf(kind);
      expect((await readingOf(p.strategic))[0], kind).toBe(false);
      expect((await readingOf(p.twin))[0], kind).toBe(true);
    }
    expect(result.intervals[0]!.readingsRejected).toBe(1);

    // default-and-run moved all its cash to its stash after its purchase cleared and owes a debt.
    const stash = stashOf(scenario.seed, dr.strategic)!;
    const cashOf = async (a: Address) =>
      (await client.readContract({
        address: contracts.cash,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [a],
      })) as bigint;
    expect(await cashOf(dr.strategic.account.address)).toBe(0n);
    expect(await cashOf(stash.address)).toBeGreaterThan(0n);
    const [debt] = (await client.readContract({
      address: contracts.market,
      abi: MarketAbi as Abi,
      functionName: 'debtOf',
      args: [dr.strategic.account.address],
    })) as readonly [bigint, bigint];
    expect(debt).toBeGreaterThan(0n);
    expect(log).toMatch(/moved its cash to 0x[0-9a-f]{40} after its purchase cleared/);
  });

  it('the tracker catches a gain on the contracts: 1 µ$ in a stash, and energy at the tariff', async () => {
    const deployer = await evmClients(url, devAccount(0), { pollingIntervalMs: 100 });
    const chain = new ChainClient([new MarketRpcClient(url, {}, new EvmMarketViews(url, contracts))]);
    const tracker = new ProfitTracker(chain, devices, scenario.seed, evmInvariantTargets(contracts).tariffs);
    await tracker.start();
    const dr = pairOf('default-and-run');
    await sendCall(deployer, contracts.cash, TestStablecoinAbi as Abi, 'mint', [
      stashOf(scenario.seed, dr.strategic)!.address,
      1n,
    ]);
    // free-rider's device consumed 1 kWh its twin did not, in the run's interval: worth it at the import
    // price in force then (250 $/MWh: 0.25 $).
    const fr = pairOf('free-rider');
    const k = BigInt(result.intervals[0]!.interval);
    tracker.recordEnergy(devices.indexOf(fr.strategic), k, { importedWh: 1_000n, exportedWh: 0n });
    tracker.recordEnergy(devices.indexOf(fr.twin), k, { importedWh: 0n, exportedWh: 0n });
    const results = await tracker.finish();
    const gains = Object.fromEntries(results.map((r) => [r.kind, r.gainUsd]));
    expect(gains['default-and-run']).toBe(0.000001);
    expect(gains['free-rider']).toBe(0.25);
    expect(results.filter((r) => r.gainUsd !== 0).map((r) => r.kind)).toEqual([
      'free-rider',
      'default-and-run',
    ]);
    const failed: string[] = [];
    failGains(results, {
      fail: (name, message) => {
        failed.push(`${name}: ${message}`);
        return message;
      },
    });
    expect(failed).toHaveLength(2);
    expect(failed[1]).toMatch(
      /^noStrategyGains: default-and-run-7 \(default-and-run, bus 10\) gained 0.000001 \$/,
    );
  });
});
