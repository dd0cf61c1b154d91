// The simulator's EVM driver (runScenarioOnEvm) with late meters, as the native driver runs them
// (readings.ts sendLate): a late meter's reading is sent after its interval is settled and the contracts
// true it up (docs/market-rules.md §10a "Meter data", docs/evm.md "The second settlement"). A small feeder
// (6 devices, half of them late, a true-up window of 4 intervals) on its own anvil with the operator
// clearing and pricing; one interval: every late reading is accepted and each late party gets a TrueUp.
import { join } from 'node:path';
import {
  deployPlatform,
  devAccount,
  evmClients,
  MarketRealtimeAbi,
  runOperator,
  startAnvil,
} from '@gridledger/evm';
import type { Abi } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { evmDeployConfig, runScenarioOnEvm } from '../src/evm-run.ts';
import { buildPopulation } from '../src/population.ts';
import { loadScenario, type Scenario, withDevices, withPacing } from '../src/scenario.ts';

const stop = new AbortController();
let closeAnvil: (() => Promise<void>) | undefined;
let operatorDone: Promise<unknown> | undefined;

afterAll(async () => {
  stop.abort();
  await operatorDone;
  await closeAnvil?.();
});

describe('late meters on an EVM chain', () => {
  it('sends their readings after the settlement, and the contracts true them up', async () => {
    const base = await loadScenario(join(import.meta.dirname, 'fixtures', 'faulty-meters.yaml'));
    const s: Scenario = withPacing(
      {
        ...withDevices(base, 6),
        pricing: 'dc',
        sealedBids: false,
        gateLeadIntervals: 1,
        meters: { lateShare: 0.5, missingShare: 0, faultyShare: 0 },
        imbalance: { ...base.imbalance, trueUpIntervals: 4 },
      },
      5,
    );
    const late = buildPopulation(s).filter((d) => d.fault === 'late');
    expect(late.length).toBe(3);
    const anvil = await startAnvil({ gasLimit: 1_000_000_000n });
    closeAnvil = () => anvil.close();
    const deployer = devAccount(0);
    const clients = await evmClients(anvil.url, deployer, { pollingIntervalMs: 100 });
    const block = await clients.public.getBlock({ blockTag: 'latest' });
    const cfg = evmDeployConfig(s, deployer.address, block.timestamp * 1000n);
    expect(cfg.market.realtime?.trueUpDelayMs).toBe(4n * 300_000n);
    const contracts = (await deployPlatform(clients, cfg)).addresses;
    await clients.public.request({ method: 'evm_setIntervalMining' as never, params: [1] as never });
    const errors: string[] = [];
    operatorDone = runOperator(await evmClients(anvil.url, devAccount(1), { pollingIntervalMs: 100 }), {
      contracts,
      realtime: { book: contracts.realtimeBook!, verifier: contracts.realtimeVerifier! },
      pollMs: 250,
      signal: stop.signal,
      onOutcome: (o) => {
        if (o.kind === 'error') errors.push(`interval ${o.interval}: ${o.reason}`);
      },
    }).catch((e: Error) => errors.push(e.message));
    const {
      intervals: reports,
      failures,
      stopped,
    } = await runScenarioOnEvm({
      rpcUrl: anvil.url,
      contracts,
      scenario: s,
      deployer,
      intervals: 1,
      signal: stop.signal,
      pollMs: 250,
    });
    expect(errors).toEqual([]);
    expect(reports.map((r) => r.status)).toEqual(['settled']);
    // The market's invariants held on the contracts, the whole-chain ones included (the run is done).
    expect(stopped).toBe('done');
    expect(failures).toEqual([]);
    // every meter's reading accepted: the on-time ones before the settlement, the late ones after it
    expect(reports[0]!.readingsAccepted).toBe(6);
    expect(reports[0]!.readingsRejected).toBe(0);
    const k = BigInt(reports[0]!.interval);
    const trueUps = await clients.public.getContractEvents({
      address: contracts.market,
      abi: MarketRealtimeAbi as Abi,
      eventName: 'TrueUp',
      fromBlock: 0n,
    });
    const parties = trueUps.map((e) => (e as unknown as { args: { interval: bigint; party: string } }).args);
    expect(parties.every((p) => p.interval === k)).toBe(true);
    expect(new Set(parties.map((p) => p.party.toLowerCase()))).toEqual(
      new Set(late.map((d) => d.account.address.toLowerCase())),
    );
  }, 150_000);
});
