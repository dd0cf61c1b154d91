// The strategic participants of test/fixtures/strategies-short.yaml (every strategy, each beside its
// truthful twin, on the congested feeder) run for 3 intervals against one in-process validator: the
// report names each strategy with its profit, its twin's and the gain, and every other invariant holds.
// Exploit-first: "<kind> does not pay" asserts gain ≤ 0. On the second settlement of main (fixed
// imbalance prices, a missing reading counts as zero, unbounded readings, parties without a cleared
// order unsettled, forgotten debts) every strategy gained; those that still gain are in STILL_GAINS and
// marked `it.fails` (vitest passes an it.fails test only while its assertion fails). The second
// settlement of issue 12 (real-time prices in a penalty band, every meter settled, adverse estimates,
// capacity bounds, debts) closed all seven: STILL_GAINS is empty, and a strategy that gains again fails.
// A gain ≤ 0 says nothing of a strategy the chain never played (the phantom buyer's 2 kWh once exceeded
// its connection, so the market refused its whole order every interval): each strategy is read back from
// the chain: no order refused but the defaulter's once it owes, the phantoms clearing more than their
// twins, the readings withheld or refused.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '@gridledger/client';
import { METERS_ABI, METERS_ADDRESS } from '@gridledger/energy';
import { initDevNetwork, loadHome, Node } from '@gridledger/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange } from '../../node/test/harness.ts';
import { ChainClient } from '../src/chain.ts';
import { type RunResult, runScenario } from '../src/driver.ts';
import { scenarioGenesis } from '../src/genesis.ts';
import { buildPopulation, type SimDevice } from '../src/population.ts';
import { loadScenario } from '../src/scenario.ts';
import { STRATEGY_KINDS, type StrategyKind } from '../src/strategy-schema.ts';

const SCENARIO = fileURLToPath(new URL('./fixtures/strategies-short.yaml', import.meta.url));
const INTERVALS = 3;

let dir: string | undefined;
let node: Node | undefined;
let result: RunResult;
let devices: SimDevice[];
let rpcUrl = '';
let log = '';
/** The run's warnings in full (an order not on chain says why). */
const warnings: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gl-strategies-'));
  const scenario = await loadScenario(SCENARIO);
  devices = buildPopulation(scenario);
  const genesisTime = new Date();
  const g = scenarioGenesis(scenario, {
    genesisTimeMs: BigInt(genesisTime.getTime()),
    setupAllowanceMs: 4_000n,
  });
  initDevNetwork({
    validators: 1,
    outDir: dir,
    basePort: await freePortRange(2),
    genesisTime,
    energy: g.energy,
    extraAccounts: g.extraAccounts,
    logLevel: 'warn',
    timeouts: {
      proposeMs: 300,
      proposeDeltaMs: 100,
      prevoteMs: 100,
      prevoteDeltaMs: 50,
      precommitMs: 100,
      precommitDeltaMs: 50,
      commitMs: 100,
    },
  });
  const dev = JSON.parse(readFileSync(join(dir, 'dev-accounts.json'), 'utf8')) as {
    accounts: { role: string; address: `0x${string}`; privateKey: `0x${string}` }[];
  };
  const keyOf = (role: string) => dev.accounts.find((a) => a.role === role)!.privateKey;
  node = await Node.create(loadHome(join(dir, 'node0')));
  const where = await node.start();
  rpcUrl = `http://127.0.0.1:${where.rpc.port}`;
  result = await runScenario({
    rpcUrls: [rpcUrl],
    scenario,
    keys: { admin: keyOf('admin'), gridOperator: keyOf('grid-operator'), submitter: keyOf('meter') },
    intervals: INTERVALS,
    knownAccounts: dev.accounts.map((a) => a.address),
    onEvent: (e) => {
      log += `${JSON.stringify(e).slice(0, 300)}\n`;
      if (e.type === 'warning') warnings.push(e.message);
    },
  });
}, 240_000);

afterAll(async () => {
  await node?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/**
 * The strategies that still gain on this branch's settlement. inflate-reading stopped paying when meters
 * got a registered capacity (a reading above capacity × interval is refused, so it counts as missing).
 * Measured on helper settle's second settlement (real-time prices in a penalty band, every meter settled,
 * estimates, debts), with this file's scenario and settle's imbalance fields: none gains, so once it is
 * merged this set is empty.
 */
const STILL_GAINS = new Set<StrategyKind>([]);

const of = (kind: StrategyKind) => result.strategies.find((s) => s.kind === kind)!;

describe('strategic participants beside truthful twins (in-process chain)', () => {
  it('reports every strategy with its profit, its twin profit and the gain; the other invariants hold', () => {
    expect(result.stopped).toBe('done');
    expect(result.intervals).toHaveLength(INTERVALS);
    expect(result.strategies.map((s) => s.kind)).toEqual(STRATEGY_KINDS);
    for (const s of result.strategies) {
      expect(Number.isFinite(s.profitUsd)).toBe(true);
      expect(s.gainUsd).toBeCloseTo(s.profitUsd - s.truthfulProfitUsd, 5);
      expect(s.account).toMatch(/^0x[0-9a-f]{40}$/);
    }
    expect(new Set(result.strategies.map((s) => s.account)).size).toBe(STRATEGY_KINDS.length);
    const { noStrategyGains, ...others } = result.invariants;
    expect(others, `${result.failures.join('\n')}\n${log}`).toEqual(
      Object.fromEntries(Object.keys(others).map((k) => [k, true])),
    );
    expect(noStrategyGains).toBe(result.strategies.every((s) => s.gainUsd <= 0));
  });

  it("played every strategy on the chain: no order refused but a defaulter's, the phantoms clear more than their twins", async () => {
    const pairOf = (kind: StrategyKind) => {
      const of = (role: 'strategic' | 'truthful') =>
        devices.find((d) => d.strategy?.spec.kind === kind && d.strategy.role === role)!;
      return { strategic: of('strategic'), twin: of('truthful') };
    };
    const ks = result.intervals.map((r) => BigInt(r.interval));
    // Every order reached the book but the defaulter's once it owes (an order it sent before its cash
    // move may land after its debt: "is in default", the market's rule, not the strategy refused).
    const dr = pairOf('default-and-run');
    const notOnChain = warnings.filter((w) => w.includes('orders are not on chain'));
    const inDefault = new RegExp(
      `not on chain: 1× (rejected at submission: )?market: ${dr.strategic.account.address} is in default, owing \\d+ µ\\$: pay it with payDebts\\(\\) first$`,
    );
    for (const w of notOnChain) expect(w).toMatch(inDefault);
    expect(result.intervals.reduce((a, r) => a + r.ordersRejected, 0)).toBe(notOnChain.length);
    const rpc = new RpcClient(rpcUrl);
    const byK = await Promise.all(ks.map((k) => rpc.orders(k)));
    /** Wh `d` ordered and cleared on `side`, in interval `k` or over the run's intervals. */
    const wh = (d: SimDevice, side: 'buy' | 'sell', k?: bigint) => {
      const own = byK
        .filter((_, j) => k === undefined || ks[j] === k)
        .flat()
        .flatMap((o) =>
          o.kind === 'order' && o.owner.toLowerCase() === d.account.address && o.side === side ? [o] : [],
        );
      return {
        ordered: own.flatMap((o) => o.steps).reduce((a, st) => a + BigInt(st.energyWh), 0n),
        cleared: own.reduce((a, o) => a + BigInt(o.clearedWh), 0n),
      };
    };
    const fr = pairOf('free-rider');
    expect(wh(fr.strategic, 'buy').ordered).toBe(0n);
    expect(wh(fr.twin, 'buy').cleared).toBeGreaterThan(0n);
    // The phantom buyer bids 2 kWh more than its twin each interval, up to what its 25 kW connection
    // carries in 5 minutes (2,083 Wh), and buys it.
    const pb = pairOf('phantom-buyer');
    for (const k of ks) {
      const twin = wh(pb.twin, 'buy', k).ordered;
      expect(twin).toBeGreaterThan(0n);
      expect(wh(pb.strategic, 'buy', k).ordered, `interval ${k}`).toBe(
        twin + 2000n < 2083n ? twin + 2000n : 2083n,
      );
    }
    expect(wh(pb.strategic, 'buy').cleared - wh(pb.twin, 'buy').cleared).toBeGreaterThan(
      1900n * BigInt(ks.length),
    );
    const ps = pairOf('phantom-seller');
    expect(wh(ps.strategic, 'sell').ordered - wh(ps.twin, 'sell').ordered).toBe(2000n * BigInt(ks.length));
    expect(wh(ps.strategic, 'sell').cleared - wh(ps.twin, 'sell').cleared).toBeGreaterThan(0n);
    const od = pairOf('over-deliver');
    expect(wh(od.strategic, 'sell').cleared).toBeGreaterThan(0n);
    expect(wh(od.strategic, 'sell').ordered).toBeLessThan(wh(od.twin, 'sell').ordered / 5n);
    expect(wh(dr.strategic, 'buy').cleared).toBeGreaterThan(0n);
    expect(wh(dr.strategic, 'buy').ordered).toBeLessThan(wh(dr.twin, 'buy').ordered / 2n);
    expect(log).toMatch(/moved its cash to 0x[0-9a-f]{40} after its purchase cleared/);
    // Readings: withhold-reading's meter sent none, inflate-reading's was refused; their twins' are stored.
    const chain = new ChainClient([rpcUrl]);
    const seen = async (d: SimDevice) =>
      (
        await chain.views<readonly [boolean, bigint, bigint]>(
          ks.map((k) => ({
            to: METERS_ADDRESS,
            abi: METERS_ABI,
            functionName: 'readingOf',
            args: [d.meterId, k],
          })),
        )
      ).map((r) => r![0]);
    for (const kind of ['withhold-reading', 'inflate-reading'] as const) {
      expect(await seen(pairOf(kind).strategic), kind).toEqual(ks.map(() => false));
      expect(await seen(pairOf(kind).twin), kind).toEqual(ks.map(() => true));
    }
    expect(result.intervals.map((r) => r.readingsRejected)).toEqual(ks.map(() => 1));
  });

  // Exploit-first (see the header): those the settlement still lets gain are it.fails.
  for (const kind of STRATEGY_KINDS) {
    (STILL_GAINS.has(kind) ? it.fails : it)(`${kind} does not pay`, () => {
      expect(of(kind).gainUsd, JSON.stringify(of(kind))).toBeLessThanOrEqual(0);
    });
  }
});
