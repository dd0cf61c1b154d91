// `npm run bench:e2e`: the whole platform end to end on this machine. For each configuration (a feeder
// and case118, 1,000 and 10,000 devices) it makes a fresh 4-validator network for the scenario (the
// default scenario with its network and device count replaced, meters all honest and on time), runs the
// simulator until two intervals are cleared and settled, and measures from the chain:
//   gate → clearing   wall time from the gate closing (the block time at which the market clock passes
//                     it) to node0 announcing the block that holds IntervalCleared
//   readings → credits  wall time from the last reading of the interval being submitted to node0
//                     announcing the block that holds IntervalSettled
//   tx/s              transactions committed per second in the busiest 5 blocks (an order burst)
// and from those the devices one 5-minute interval can carry here: the clearing must commit within the
// gate lead (one interval), settlement within one interval, and an interval's transactions (one order per
// device, readings in batches) must fit in it at the measured rate; the smallest bound binds.
// Prints a table; with --format json the last line is one JSON object (`gridledger capacity --measured`
// reads its `clearing` points). --quick runs only the feeder with 1,000 devices.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RpcClient, subscribeNewHeads } from '@gridledger/client';
import { blockTimeAtMs, gateMs, MARKET_ABI, MARKET_ADDRESS, type MarketConfig } from '@gridledger/energy';
import { initDevNetwork } from '@gridledger/node';
import {
  DEFAULT_SCENARIO_PATH,
  pacedForChain,
  parseScenario,
  runScenario,
  type Scenario,
  scenarioGenesis,
  withDevices,
} from '@gridledger/simulator';
import { encodeEventTopics, type Hex } from 'viem';
import { parse as parseYaml } from 'yaml';
import { renderTable } from '../src/output.ts';
import { Validators } from '../src/validators.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    devices: { type: 'string' },
    network: { type: 'string' },
    format: { type: 'string', default: 'table' },
    'base-port': { type: 'string', default: '28600' },
  },
});
const format = values.format;
if (format !== 'table' && format !== 'json') {
  process.stderr.write(
    'usage: bench:e2e [--quick] [--devices N[,N...]] [--network case.m[,case.m...]] [--format table|json]\n',
  );
  process.exit(2);
}
const log = (s: string) => process.stderr.write(`${s}\n`);

const NETWORKS = (
  values.network ?? (values.quick ? 'case33bw_congested.m' : 'case33bw_congested.m,case118.m')
)
  .split(',')
  .map((s) => s.trim());
const DEVICES = (values.devices ?? (values.quick ? '1000' : '1000,10000')).split(',').map((s) => Number(s));
if (DEVICES.some((n) => !(Number.isInteger(n) && n >= 10 && n <= 100_000))) {
  process.stderr.write('bench:e2e: --devices takes whole numbers in 10..100000\n');
  process.exit(2);
}
/** Intervals run per run (those without orders, e.g. cut short by setup, are not measured). */
const INTERVALS = 3;
/** The interval length a deployment would run (the measured rates are scaled to it). */
const REAL_INTERVAL_S = 300;

interface RunResult {
  network: string;
  devices: number;
  wallSecondsPerInterval: number;
  setupS: number;
  intervals: { interval: string; orders: number; gateToClearingMs: number; readingsToCreditsMs: number }[];
  txPerSec: number;
  devicesPer5MinInterval: number;
  binding: string;
  /** Why the simulator stopped early, after the measured intervals ('' when it finished). */
  failure: string;
}

async function scenarioFor(network: string, devices: number): Promise<Scenario> {
  const raw = parseYaml(readFileSync(DEFAULT_SCENARIO_PATH, 'utf8')) as Record<string, unknown>;
  raw.name = `bench ${network} ${devices}`;
  raw.network = `grid-cases:${network}`;
  raw.meters = { lateShare: 0, missingShare: 0, faultyShare: 0 };
  // The community park's buses exist in both networks; the upstream is the reference bus.
  delete (raw.upstream as Record<string, unknown>).bus;
  // Paced as `gridledger start --devices N` paces it: at most 75 orders/s asked of the chain.
  return pacedForChain(
    withDevices(await parseScenario(raw, `bench:e2e ${network}`, join(DEFAULT_SCENARIO_PATH, '..')), devices),
  );
}

/** Records when node0 announces each block (newHeads over WebSocket). */
function watchHeads(rpcUrl: string) {
  const seen = new Map<bigint, number>();
  const sub = subscribeNewHeads(rpcUrl, (head) => seen.set(BigInt(head.number), Date.now()));
  return { seen, close: () => sub.close() };
}

const topic = (name: 'IntervalCleared' | 'IntervalSettled', k: bigint) =>
  encodeEventTopics({ abi: MARKET_ABI, eventName: name, args: { interval: k } } as Parameters<
    typeof encodeEventTopics
  >[0]);

async function logBlock(rpc: RpcClient, name: 'IntervalCleared' | 'IntervalSettled', k: bigint) {
  const logs = await rpc.request('eth_getLogs', [
    { address: MARKET_ADDRESS, fromBlock: '0x1', toBlock: 'latest', topics: topic(name, k) },
  ]);
  return logs[0] === undefined ? undefined : BigInt(logs[0].blockNumber);
}

async function runOne(network: string, devices: number, basePort: number): Promise<RunResult> {
  const scenario = await scenarioFor(network, devices);
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-e2e-'));
  const genesisTime = new Date();
  // Registering 2 transactions per device takes a while (10 s for 1,000 devices, 82 s for 10,000 on an
  // idle machine): start the simulated day after it.
  const g = scenarioGenesis(scenario, {
    genesisTimeMs: BigInt(genesisTime.getTime()),
    setupAllowanceMs: BigInt(30_000 + 15 * devices),
  });
  initDevNetwork({
    validators: 4,
    outDir: dir,
    basePort,
    genesisTime,
    energy: g.energy,
    extraAccounts: g.extraAccounts,
    logLevel: 'warn',
    mempool: { maxTxs: Math.max(10_000, 3 * devices) },
  });
  const config: MarketConfig = g.energy;
  const dev = JSON.parse(readFileSync(join(dir, 'dev-accounts.json'), 'utf8')) as {
    accounts: { role: string; address: Hex; privateKey: Hex }[];
  };
  const keyOf = (role: string) => dev.accounts.find((a) => a.role === role)!.privateKey;
  const nodes = Validators.start(dir);
  const heads = { seen: new Map<bigint, number>(), close: () => {} };
  let ok = false;
  try {
    await nodes.waitUntilProducing(120_000);
    Object.assign(heads, watchHeads(nodes.rpcUrls[0]!));
    const t0 = Date.now();
    let setupS = 0;
    const readingsAt = new Map<string, number>();
    const orders = new Map<string, number>();
    log(`bench:e2e: ${network}, ${devices} devices, one interval every ${scenario.wallSecondsPerInterval} s`);
    // Intervals as the simulator reports them: measured even when the run fails afterwards (an
    // end-of-run check that cannot complete should not throw away the minutes of measurement before it).
    const reported: { interval: string; ordersPlaced: number }[] = [];
    let failure = '';
    const result = await runScenario({
      rpcUrls: nodes.rpcUrls,
      scenario,
      keys: { admin: keyOf('admin'), gridOperator: keyOf('grid-operator'), submitter: keyOf('meter') },
      intervals: INTERVALS,
      verifyClearing: false,
      knownAccounts: dev.accounts.map((a) => a.address),
      onEvent: (e) => {
        if (e.type === 'ready') setupS = (Date.now() - t0) / 1000;
        if (e.type === 'orders') orders.set(e.interval, e.orders);
        if (e.type === 'readings') readingsAt.set(e.interval, Date.now());
        if (e.type === 'setup' || e.type === 'warning')
          log(`  ${e.type}: ${'step' in e ? `${e.step}${e.detail ? ` (${e.detail})` : ''}` : e.message}`);
      },
      onInterval: (r) => {
        reported.push(r);
        log(`  interval ${r.interval}: ${r.ordersPlaced} orders, ${r.promisesMinted} promises, settled`);
      },
    }).catch((err: unknown) => {
      failure = err instanceof Error ? err.message : String(err);
      log(`bench:e2e: the simulator stopped: ${failure}`);
      if (reported.length === 0) throw err;
      return { intervals: reported };
    });
    const rpc = new RpcClient(nodes.rpcUrls[0]!, { timeoutMs: 30_000 });
    const intervals: RunResult['intervals'] = [];
    for (const rep of result.intervals) {
      const k = BigInt(rep.interval);
      const cleared = await logBlock(rpc, 'IntervalCleared', k);
      const settled = await logBlock(rpc, 'IntervalSettled', k);
      const gateWall = Number(blockTimeAtMs(config, gateMs(config, k)));
      const clearedAt = cleared === undefined ? undefined : heads.seen.get(cleared);
      const settledAt = settled === undefined ? undefined : heads.seen.get(settled);
      const readAt = readingsAt.get(rep.interval);
      if (
        clearedAt === undefined ||
        settledAt === undefined ||
        readAt === undefined ||
        rep.ordersPlaced === 0
      )
        continue;
      intervals.push({
        interval: rep.interval,
        orders: rep.ordersPlaced,
        gateToClearingMs: clearedAt - gateWall,
        readingsToCreditsMs: Math.max(0, settledAt - readAt),
      });
    }
    // Committed transactions per second at the busiest: the most transactions in any WINDOW consecutive
    // blocks after setup, over the time those blocks took (the order bursts saturate the chain).
    const tip = BigInt(await rpc.request('eth_blockNumber', []));
    const from = tip > 600n ? tip - 600n : 1n;
    const blocks: { ts: number; txs: number }[] = [];
    for (let h = from; h <= tip; h++) {
      const b = await rpc.request('eth_getBlockByNumber', [`0x${h.toString(16)}`, false]);
      if (b === null) continue;
      blocks.push({ ts: Number(BigInt(b.timestamp)) * 1000, txs: b.transactions.length });
    }
    const WINDOW = 5;
    let txPerSec = 0;
    for (let i = 1; i + WINDOW <= blocks.length; i++) {
      if (blocks[i - 1]!.ts < t0 + setupS * 1000) continue;
      const w = blocks.slice(i, i + WINDOW);
      const span = (w[w.length - 1]!.ts - blocks[i - 1]!.ts) / 1000;
      if (span > 0) txPerSec = Math.max(txPerSec, w.reduce((a, b) => a + b.txs, 0) / span);
    }
    const worst = (f: (i: RunResult['intervals'][number]) => number) =>
      intervals.length === 0 ? Number.NaN : Math.max(...intervals.map(f));
    const clearS = worst((i) => i.gateToClearingMs) / 1000;
    const settleS = worst((i) => i.readingsToCreditsMs) / 1000;
    // One order per device and readings MAX_READINGS_PER_TX (200) to a transaction, per interval.
    const txPerDevice = 1 + 1 / 200;
    const bounds: [string, number][] = [
      ['throughput', (txPerSec * REAL_INTERVAL_S) / txPerDevice],
      ['clearing within the gate lead', (devices * REAL_INTERVAL_S) / Math.max(clearS, 1e-3)],
      ['settlement within an interval', (devices * REAL_INTERVAL_S) / Math.max(settleS, 1e-3)],
    ];
    bounds.sort((a, b) => a[1] - b[1]);
    ok = true;
    return {
      network,
      devices,
      wallSecondsPerInterval: scenario.wallSecondsPerInterval,
      setupS,
      intervals,
      txPerSec,
      devicesPer5MinInterval: Math.floor(bounds[0]![1]),
      binding: bounds[0]![0],
      failure,
    };
  } finally {
    heads.close();
    await nodes.stop();
    if (ok) rmSync(dir, { recursive: true, force: true });
    else log(`bench:e2e: the run failed; its network and node logs are kept in ${dir}`);
  }
}

const runs: RunResult[] = [];
let port = Number(values['base-port']);
for (const network of NETWORKS) {
  for (const devices of DEVICES) {
    runs.push(await runOne(network, devices, port));
    port += 20;
  }
}

const fmt = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
process.stdout.write(
  `${renderTable(
    [
      'network',
      'devices',
      'wall s/interval',
      'setup s',
      'gate→clearing s',
      'readings→credits s',
      'tx/s',
      'devices per 5-min interval',
      'binds',
    ],
    runs.map((r) => [
      r.network,
      r.devices,
      r.wallSecondsPerInterval,
      r.setupS.toFixed(0),
      r.intervals.map((i) => fmt(i.gateToClearingMs)).join(', '),
      r.intervals.map((i) => fmt(i.readingsToCreditsMs)).join(', '),
      r.txPerSec.toFixed(0),
      r.devicesPer5MinInterval.toLocaleString('en-US'),
      r.binding,
    ]),
  )}\n`,
);
for (const r of runs.filter((x) => x.failure !== '')) {
  process.stdout.write(
    `${r.network} ${r.devices}: the simulator stopped after the measured intervals: ${r.failure}\n`,
  );
  process.exitCode = 1;
}
if (format === 'json') {
  const clearing = runs.flatMap((r) =>
    r.intervals.map((i) => ({ orders: i.orders, ms: i.gateToClearingMs })),
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'e2e',
      runs,
      clearing: clearing.filter((c) => c.orders > 0),
      devicesPer5MinInterval: Math.min(...runs.map((r) => r.devicesPer5MinInterval)),
    })}\n`,
  );
}
