// Benchmark: the clearing block and the settlement block of one interval with N orders (default 10^4)
// on case118, through the ExecutionApp with real signed transactions. Prints numbers; asserts nothing.
// Run: npm run bench:energy [-- N]
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type Address, ExecutionApp } from '@gridledger/execution';
import { loadMatpower } from '@gridledger/grid';
import { encodeFunctionData, hexToBytes, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  energyExtension,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  marketKeys,
  networkToJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
} from '../src/index.ts';

const N = Number(process.argv[2] ?? 10_000);
const ACCOUNTS = 100;
const CHAIN_ID = 1337n;
const HOUR = 3_600_000n;
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
  imbalance: { shortfallPriceMicrosPerMWh: 150n * USD, surplusPriceMicrosPerMWh: 10n * USD },
  maxOrdersPerAccount: Math.ceil(N / ACCOUNTS),
  maxStepsPerOrder: 4,
};

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
  extensions: [energyExtension(config)],
});
let height = 0n;
async function block(timeMs: bigint, txs: Uint8Array[]) {
  height++;
  const t0 = performance.now();
  const r = await app.finalizeBlock({ height, timeMs, proposer: new Uint8Array(32), txs });
  await app.commit(height);
  const ms = performance.now() - t0;
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
for (let i = 0; i < N; i++) {
  const side = i % 2;
  const bus = buses[Math.floor(rand() * buses.length)]!;
  const steps = [
    {
      energyWh: BigInt(Math.floor(1 + rand() * 2_000)) * 1_000n,
      priceMicrosPerMWh: BigInt(Math.floor((side === 0 ? 30 + rand() * 70 : 5 + rand() * 70) * 1e6)),
    },
  ];
  orders.push(
    await sign(
      traders[i % ACCOUNTS]!,
      MARKET_ADDRESS,
      encodeFunctionData({ abi: MARKET_ABI, functionName: 'placeOrder', args: [K, bus, side, steps] }),
    ),
  );
}
const signMs = performance.now() - tSign;
let placeMs = 0;
const perBlock = Number(app.blockGasLimit / 400_000n);
for (let i = 0; i < orders.length; i += perBlock)
  placeMs += await block(2_000n + BigInt(i), orders.slice(i, i + perBlock));

const clearMs = await block(K * HOUR, []);
const [, rent, , promises] = (() => {
  const data = hexToBytes(encodeFunctionData({ abi: MARKET_ABI, functionName: 'intervalState', args: [K] }));
  const out = app.staticCall({ to: MARKET_ADDRESS, data });
  return [0, BigInt(`0x${out.returnData.slice(66, 130)}`), 0, BigInt(`0x${out.returnData.slice(194, 258)}`)];
})();
const settleMs = await block((K + 2n) * HOUR, []);

console.log(`energy market on case118, ${N} orders (${ACCOUNTS} accounts), node ${process.version}`);
console.log(`  sign ${N} placeOrder txs (viem):           ${signMs.toFixed(0)} ms`);
console.log(
  `  execute them (${Math.ceil(N / perBlock)} blocks):               ${placeMs.toFixed(0)} ms (${((placeMs * 1000) / N).toFixed(0)} µs/order)`,
);
console.log(`  clearing block (solve, verify, settle, promises, commit): ${clearMs.toFixed(0)} ms`);
console.log(`  promises minted: ${promises}, congestion rent: ${rent} µ$`);
const certBytes = app.stateValue(`${marketKeys.interval(K).certificate}:len`);
console.log(`  stored certificate: ${certBytes} bytes (${(certBytes + 31n) / 32n} state words)`);
console.log(`  settlement block (${promises} promises, all readings missing): ${settleMs.toFixed(0)} ms`);
