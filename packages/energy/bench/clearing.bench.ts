// Benchmark: the clearing block and the settlement block of one interval with N orders (default 10^4)
// on case118, through the ExecutionApp with real signed transactions. Prints numbers; asserts nothing.
// CPU time of the blocks (all threads of this process) is printed beside wall time: on a shared,
// loaded machine it is the steadier number. Each block's time is split into the market's begin-block step (clearing or settlement) and the rest
// (transactions, state commitment, commit). `--cpu-prof place|clear|settle` writes a V8 CPU profile of
// that phase alone to bench-energy-<phase>.cpuprofile (open it in Chrome DevTools).
// `--sealed`: the market takes sealed bids (docs/market-rules.md §6b): the orders are committed before the
// gate and revealed after it, and the clearing block (which first closes the reveal window) is timed.
// Run: npm run bench:energy [-- N] [--format json] [--cpu-prof clear] [--sealed]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Address, ExecutionApp } from '@gridledger/execution';
import { loadMatpower } from '@gridledger/grid';
import { encodeFunctionData, hexToBytes, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  commitmentHash,
  energyExtension,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  marketKeys,
  networkToJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
} from '../src/index.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    format: { type: 'string', default: 'table' },
    'cpu-prof': { type: 'string' },
    sealed: { type: 'boolean', default: false },
  },
});
const N = Number(positionals[0] ?? 10_000);
const profilePhase = values['cpu-prof'];
if (
  !(Number.isInteger(N) && N >= 2) ||
  (values.format !== 'table' && values.format !== 'json') ||
  (profilePhase !== undefined && !['place', 'clear', 'settle'].includes(profilePhase))
) {
  process.stderr.write(
    'usage: bench:energy [N >= 2] [--format table|json] [--cpu-prof place|clear|settle]\n',
  );
  process.exit(2);
}

/** Runs `fn` under the V8 CPU profiler when `phase` is the one asked for. */
async function profiled<T>(phase: string, fn: () => Promise<T>): Promise<T> {
  if (profilePhase !== phase) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = `bench-energy-${phase}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    process.stderr.write(`wrote ${file}\n`);
    session.disconnect();
  }
}
const ACCOUNTS = 100;
const CHAIN_ID = 1337n;
const HOUR = 3_600_000n;
const MINUTE = 60_000n;
const SEALED = values.sealed === true;
const K = 10n;
const USD = 1_000_000n;
const MWH = 1_000_000n;
const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));

const acct = (name: string) => {
  const a = privateKeyToAccount(keccak256(toHex(`bench ${name}`)));
  return Object.assign(a, { addr: a.address.toLowerCase() as Address });
};
const admin = acct('admin');
const operator = acct('operator');
const traders = Array.from({ length: ACCOUNTS }, (_, i) => acct(`trader ${i}`));

let seed = 42;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

const config: MarketConfig = {
  chainId: CHAIN_ID,
  gridOperator: operator.addr,
  intervalMs: HOUR,
  gateLeadMs: 0n,
  settlementDelayMs: HOUR,
  firstInterval: K,
  upstream: {
    bus: 69,
    account: operator.addr,
    importPriceMicrosPerMWh: 80n * USD,
    exportPriceMicrosPerMWh: 5n * USD,
    capacityWh: 2_000n * MWH,
  },
  imbalance: {
    penaltyMicrosPerMWh: 5n * USD,
    priceCapMicrosPerMWh: 150n * USD,
    priceFloorMicrosPerMWh: 0n,
    nonReportingPenaltyMicros: 1n * USD,
    trueUpDelayMs: 0n,
    liquidatedDamagesMicrosPerMWh: 0n,
    balanceToleranceWh: 1_000n,
  },
  maxOrdersPerAccount: Math.ceil(N / ACCOUNTS),
  maxStepsPerOrder: 4,
  ...(SEALED
    ? { gateLeadMs: 10n * MINUTE, sealed: { revealWindowMs: 5n * MINUTE, forfeitBps: 1_000n } }
    : {}),
};
const GATE = K * HOUR - config.gateLeadMs;
const CLEARING = GATE + (config.sealed?.revealWindowMs ?? 0n);

const nonces = new Map<Address, number>();
async function sign(who: (typeof traders)[number], to: Address, data: `0x${string}`, gas = 400_000n) {
  const nonce = nonces.get(who.addr) ?? 0;
  nonces.set(who.addr, nonce + 1);
  return hexToBytes(
    await who.signTransaction({
      type: 'eip1559',
      chainId: Number(CHAIN_ID),
      nonce,
      gas,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
      to,
      data,
    }),
  );
}

// The market's begin-block step, timed (clearing and settlement run there).
const extension = energyExtension(config);
let beginMs = 0;
const timedExtension: typeof extension = {
  ...extension,
  beginBlock: async (...args) => {
    const t = performance.now();
    try {
      return (await extension.beginBlock?.(...args)) ?? [];
    } finally {
      beginMs += performance.now() - t;
    }
  },
};

const app = await ExecutionApp.load({
  chainId: CHAIN_ID,
  genesis: {
    admin: admin.addr,
    accounts: [
      { address: operator.addr, roles: ['GRID_OPERATOR_ROLE'] },
      ...traders.map((t) => ({ address: t.addr, roles: ['PARTICIPANT_ROLE' as const] })),
    ],
    cash: [
      { address: operator.addr, amount: 10n ** 12n },
      ...traders.map((t) => ({ address: t.addr, amount: 10n ** 13n })),
    ],
  },
  extensions: [timedExtension],
});
let height = 0n;
/** CPU time (user + system, all threads of this process, ms) spent in blocks: robust to a loaded machine. */
let blockCpuMs = 0;
/** Store writes (state leaves, receipts, block record) of the last block. */
let lastWrites = 0;
async function block(timeMs: bigint, txs: Uint8Array[]) {
  height++;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await app.finalizeBlock({ height, timeMs, proposer: new Uint8Array(32), txs });
  lastWrites = app.pendingCommit(height).writes.length;
  await app.commit(height);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  blockCpuMs += (c.user + c.system) / 1000;
  const failed = r.txResults.filter((x) => !x.ok).length;
  if (failed > 0)
    throw new Error(`block ${height}: ${failed} failed, first: ${r.txResults.find((x) => !x.ok)?.info}`);
  return ms;
}

const net = await loadMatpower(`${CASES}case118.m`);
const buses = net.buses.map((b) => BigInt(b.id));
const setup = [
  await sign(
    operator,
    REGISTRY_ADDRESS,
    encodeFunctionData({
      abi: REGISTRY_ABI,
      functionName: 'registerNetwork',
      args: [JSON.stringify(networkToJson(net))],
    }),
    20_000_000n,
  ),
];
for (const t of traders) {
  setup.push(
    await sign(
      admin,
      REGISTRY_ADDRESS,
      encodeFunctionData({ abi: REGISTRY_ABI, functionName: 'registerParticipant', args: [t.addr, buses] }),
      5_000_000n,
    ),
  );
}
await block(1_000n, setup);

const tSign = performance.now();
const orders: Uint8Array[] = [];
const revealData: `0x${string}`[] = [];
for (let i = 0; i < N; i++) {
  const side = i % 2;
  const bus = buses[Math.floor(rand() * buses.length)]!;
  const steps = [
    {
      energyWh: BigInt(Math.floor(1 + rand() * 2_000)) * 1_000n,
      priceMicrosPerMWh: BigInt(Math.floor((side === 0 ? 30 + rand() * 70 : 5 + rand() * 70) * 1e6)),
    },
  ];
  const who = traders[i % ACCOUNTS]!;
  if (!SEALED) {
    orders.push(
      await sign(
        who,
        MARKET_ADDRESS,
        encodeFunctionData({ abi: MARKET_ABI, functionName: 'placeOrder', args: [K, bus, side, steps] }),
      ),
    );
    continue;
  }
  const salt = keccak256(toHex(`bench salt ${i}`));
  const hash = commitmentHash({ owner: who.addr, interval: K, bus, side, steps, salt });
  orders.push(
    await sign(
      who,
      MARKET_ADDRESS,
      encodeFunctionData({ abi: MARKET_ABI, functionName: 'commitOrder', args: [K, hash, 10n ** 9n] }),
    ),
  );
  // Commitment ids are 1..N in order (every commitment is accepted).
  revealData.push(
    encodeFunctionData({
      abi: MARKET_ABI,
      functionName: 'revealOrder',
      args: [BigInt(i + 1), bus, side, steps, salt],
    }),
  );
}
// Reveals are signed after the commitments (nonces follow them).
const reveals: Uint8Array[] = [];
for (let i = 0; i < revealData.length; i++)
  reveals.push(await sign(traders[i % ACCOUNTS]!, MARKET_ADDRESS, revealData[i]!));
const signMs = performance.now() - tSign;
let placeMs = 0;
blockCpuMs = 0;
const perBlock = Number(app.blockGasLimit / 400_000n);
await profiled('place', async () => {
  for (let i = 0; i < orders.length; i += perBlock)
    placeMs += await block(2_000n + BigInt(i), orders.slice(i, i + perBlock));
});

const placeCpuMs = blockCpuMs;
blockCpuMs = 0;
for (let i = 0; i < reveals.length; i += perBlock)
  await block(GATE + BigInt(i), reveals.slice(i, i + perBlock));
const revealCpuMs = blockCpuMs;
beginMs = 0;
blockCpuMs = 0;
const clearMs = await profiled('clear', () => block(CLEARING, []));
const clearStepMs = beginMs;
const clearCpuMs = blockCpuMs;
const clearWrites = lastWrites;
const [, rent, , promises] = (() => {
  const data = hexToBytes(encodeFunctionData({ abi: MARKET_ABI, functionName: 'intervalState', args: [K] }));
  const out = app.staticCall({ to: MARKET_ADDRESS, data });
  return [0, BigInt(`0x${out.returnData.slice(66, 130)}`), 0, BigInt(`0x${out.returnData.slice(194, 258)}`)];
})();
beginMs = 0;
blockCpuMs = 0;
const settleMs = await profiled('settle', () => block((K + 2n) * HOUR, []));
const settleStepMs = beginMs;
const settleCpuMs = blockCpuMs;
const settleWrites = lastWrites;
// The certificate: a hash in state and the text in the clearing block's log (or, before that change,
// a blob of state words).
const certificateStateWords =
  app.stateValue(marketKeys.interval(K).certificateHash) !== 0n
    ? 1
    : Number((app.stateValue(`${MARKET_ADDRESS}:iv:${K}:cert:len`) + 31n) / 32n);
const load = loadavg()[0]!;

const result = {
  orders: N,
  sealed: SEALED,
  accounts: ACCOUNTS,
  placeBlocks: Math.ceil(N / perBlock),
  placeMs: Math.round(placeMs),
  placeUsPerOrder: Math.round((placeMs * 1000) / N),
  placeCpuMs: Math.round(placeCpuMs),
  revealCpuMs: Math.round(revealCpuMs),
  clearBlockMs: Math.round(clearMs),
  clearStepMs: Math.round(clearStepMs),
  clearCpuMs: Math.round(clearCpuMs),
  clearStoreWrites: clearWrites,
  promises: Number(promises),
  congestionRentMicros: rent.toString(),
  settleBlockMs: Math.round(settleMs),
  settleStepMs: Math.round(settleStepMs),
  settleCpuMs: Math.round(settleCpuMs),
  settleStoreWrites: settleWrites,
  certificateStateWords,
  node: process.version,
  loadAvg1m: Number(load.toFixed(1)),
};
if (values.format === 'table') {
  const rows: [string, string][] = [
    ['orders (case118)', `${N} from ${ACCOUNTS} accounts, signed with viem in ${signMs.toFixed(0)} ms`],
    [
      `execute the orders (${result.placeBlocks} blocks)`,
      `${result.placeMs} ms (${result.placeUsPerOrder} µs/order), CPU ${result.placeCpuMs} ms${SEALED ? ` (commitments); reveals CPU ${result.revealCpuMs} ms` : ''}`,
    ],
    [
      'clearing block',
      `${result.clearBlockMs} ms (clearing step ${result.clearStepMs} ms: solve, verify, settle, promises), CPU ${result.clearCpuMs} ms`,
    ],
    ['promises minted, congestion rent', `${promises}, ${rent} µ$`],
    ['certificate in state', `${certificateStateWords} words`],
    ['store writes (clearing, settlement block)', `${clearWrites}, ${settleWrites}`],
    [
      'settlement block (readings missing)',
      `${result.settleBlockMs} ms (settlement step ${result.settleStepMs} ms), CPU ${result.settleCpuMs} ms`,
    ],
    ['machine', `node ${process.version}, load average ${result.loadAvg1m} (shared)`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(`${rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join('\n')}\n`);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
