// Execution benchmarks (prints numbers, asserts nothing): secp256k1 sender recovery per second on one
// core (native libsecp256k1 vs noble), full transaction decode (viem parse + signing hash + recovery),
// and in-process ERC-20 transfers per second through ExecutionApp.finalizeBlock + commit, with senders
// recovered at checkTx (the node's path) and cold (recovered inside finalizeBlock).
// Run: node --import tsx packages/execution/bench/execution.bench.ts [--txs 4000] [--format json]
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodeFunctionData, hexToBytes, keccak256, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { CASH_ADDRESS } from '../src/addresses.ts';
import { ExecutionApp } from '../src/app.ts';
import type { ExecutionGenesis } from '../src/genesis.ts';
import type { Address } from '../src/module.ts';
import { ERC20_ABI } from '../src/modules/erc20.ts';
import { recoverAddressNative, recoverAddressNoble, recoveryBackend } from '../src/recover.ts';
import { SenderRecoveryPool } from '../src/recover-pool.ts';
import { decodeSignedTx } from '../src/tx.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const TXS = Number(arg('txs', '4000'));
const SENDERS = Number(arg('senders', '400'));
const json = arg('format', 'text') === 'json';
const log = (s: string) => {
  if (!json) console.log(s);
};

function perSec(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

/** CPU time (user + system, all threads of the process) in ms: robust to other processes sharing the cores. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

// 1. Recovery.
const sk = secp256k1.utils.randomSecretKey();
const sigs = Array.from({ length: 2000 }, (_, i) => {
  const digest = hexToBytes(keccak256(toHex(i)));
  const s = secp256k1.sign(digest, sk, { prehash: false, format: 'recovered' });
  return { digest, sig: s.subarray(1), rec: s[0]! };
});
let t = performance.now();
const c = cpuMs();
for (const { digest, sig, rec } of sigs) recoverAddressNative(digest, sig, rec);
const nativePerSec = perSec(sigs.length, performance.now() - t);
const nativePerCpuSec = perSec(sigs.length, cpuMs() - c);
t = performance.now();
for (const { digest, sig, rec } of sigs.slice(0, 300)) recoverAddressNoble(digest, sig, rec);
const noblePerSec = perSec(300, performance.now() - t);
log(`recovery backend in use: ${recoveryBackend}`);
log(
  `secp256k1 recovery, one core: native ${nativePerSec}/s (${nativePerCpuSec} per CPU-second), noble ${noblePerSec}/s`,
);

const pool = SenderRecoveryPool.create(2);
if (pool !== undefined) {
  const items = sigs.map(({ digest, sig, rec }) => ({ digest, signature: sig, recoveryId: rec }));
  await pool.recover(items.slice(0, 50));
  t = performance.now();
  await pool.recover(items);
  log(`secp256k1 recovery on ${pool.size} worker threads: ${perSec(items.length, performance.now() - t)}/s`);
}

// 2. Accounts, genesis and signed transfers.
const accounts = Array.from({ length: SENDERS }, (_, i) =>
  privateKeyToAccount(keccak256(toHex(`bench ${i}`))),
);
const addr = (i: number) => accounts[i]!.address.toLowerCase() as Address;
const genesis: ExecutionGenesis = {
  admin: addr(0),
  accounts: accounts.map((_, i) => ({ address: addr(i), roles: ['PARTICIPANT_ROLE'] })),
  cash: accounts.map((_, i) => ({ address: addr(i), amount: 1_000_000_000n })),
};
t = performance.now();
const raws: Uint8Array[] = [];
for (let i = 0; i < TXS; i++) {
  const s = i % SENDERS;
  const data = encodeFunctionData({
    abi: ERC20_ABI,
    functionName: 'transfer',
    args: [addr((s + 1) % SENDERS), 1n],
  });
  const signed = await accounts[s]!.signTransaction({
    type: 'eip1559',
    chainId: 1337,
    nonce: Math.floor(i / SENDERS),
    gas: 60_000n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
    to: CASH_ADDRESS,
    data,
  });
  raws.push(hexToBytes(signed));
}
log(`signed ${TXS} transfers from ${SENDERS} senders in ${Math.round(performance.now() - t)} ms`);

t = performance.now();
for (const raw of raws) decodeSignedTx(raw, { chainId: 1337n });
const decodePerSec = perSec(raws.length, performance.now() - t);
log(`full decode (parse + signing hash + ${recoveryBackend} recovery), one core: ${decodePerSec}/s`);

// 3. finalizeBlock throughput.
async function blocks(prechecked: boolean, recoveryPool?: SenderRecoveryPool) {
  const app = await ExecutionApp.load({
    chainId: 1337n,
    genesis,
    blockGasLimit: 1n << 40n,
    ...(recoveryPool === undefined ? {} : { recoveryPool }),
  });
  if (prechecked) for (const raw of raws) await app.checkTx(raw);
  const perBlock = SENDERS; // one transfer per sender per block
  const start = performance.now();
  const startCpu = cpuMs();
  let ok = 0;
  for (let h = 1; h * perBlock <= raws.length; h++) {
    const txs = raws.slice((h - 1) * perBlock, h * perBlock);
    const r = await app.finalizeBlock({
      height: BigInt(h),
      timeMs: BigInt(h) * 1000n,
      proposer: new Uint8Array(32),
      txs,
    });
    ok += r.txResults.filter((x) => x.ok).length;
    await app.commit(BigInt(h));
  }
  return { perSec: perSec(ok, performance.now() - start), perCpuSec: perSec(ok, cpuMs() - startCpu), ok };
}
const only = arg('only', 'all');
const warm = await blocks(true);
const cold = only === 'warm' ? warm : await blocks(false);
const coldPool = pool === undefined || only === 'warm' ? undefined : await blocks(false, pool);
await pool?.close();
log(
  `ERC-20 transfers through finalizeBlock+commit (blocks of ${SENDERS}), senders recovered at checkTx: ${warm.perSec}/s, ${warm.perCpuSec} per CPU-second (${warm.ok} ok)`,
);
log(
  `ERC-20 transfers through finalizeBlock+commit, cold (recovery inside finalizeBlock): ${cold.perSec}/s, ${cold.perCpuSec} per CPU-second (${cold.ok} ok)`,
);
if (coldPool !== undefined) {
  log(
    `ERC-20 transfers through finalizeBlock+commit, cold, recovery on 2 worker threads: ${coldPool.perSec}/s (${coldPool.ok} ok)`,
  );
}
const result = {
  recoveryBackend,
  nativeRecoveryPerSec: nativePerSec,
  nativeRecoveryPerCpuSec: nativePerCpuSec,
  nobleRecoveryPerSec: noblePerSec,
  decodePerSec,
  transfersPerSecPrechecked: warm.perSec,
  transfersPerCpuSecPrechecked: warm.perCpuSec,
  transfersPerSecCold: cold.perSec,
  transfersPerCpuSecCold: cold.perCpuSec,
  transfersPerSecColdWorkers: coldPool?.perSec,
};
if (json) console.log(JSON.stringify(result));
