// Benchmark of the consensus core on this machine, printing numbers (no assertions): certificate checks,
// block codec, proposer schedule and an in-process 4-validator network: the real driver and state machine
// of each validator on the simulation's clock and network (test/sim.ts).
// Run: npm run bench:consensus-core
import { sha256 } from '@gridledger/crypto';
import { buildBlock, ZERO_HASH } from '../src/block.ts';
import { decodeBlock, encodeBlock, hashBlock } from '../src/codec.ts';
import { makeValidators, signCommit } from '../src/testkit.ts';
import { ProposerSchedule } from '../src/validators.ts';
import { verifyCommit } from '../src/verify.ts';
import { simulate } from '../test/sim.ts';

const CHAIN = 'gl-bench';

function time(label: string, reps: number, f: (i: number) => void): number {
  for (let i = 0; i < Math.min(reps, 20); i++) f(i);
  const t = performance.now();
  for (let i = 0; i < reps; i++) f(i);
  const us = ((performance.now() - t) / reps) * 1000;
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(10)} us/op`);
  return us;
}

for (const n of [4, 7, 100]) {
  const { signers, valset } = makeValidators(n, undefined, 'bench');
  const quorum = Array.from({ length: Math.floor((2 * n) / 3) + 1 }, (_, i) => i);
  const certs = Array.from({ length: 60 }, (_, i) =>
    signCommit(CHAIN, signers, quorum, BigInt(i + 1), 0, sha256(new Uint8Array([i, n]))),
  );
  let k = 20;
  time(`verifyCommit n=${n} (${quorum.length} signatures, first check)`, 40, () => {
    if (!verifyCommit(certs[k++ % certs.length]!, valset, CHAIN).ok) throw new Error('bad');
  });
  time(`verifyCommit n=${n} (already verified, cached)`, 200, () => {
    if (!verifyCommit(certs[0]!, valset, CHAIN).ok) throw new Error('bad');
  });
}

const { signers, valset } = makeValidators(4, undefined, 'bench');
for (const [count, size] of [
  [1000, 200],
  [10000, 200],
]) {
  const txs = Array.from({ length: count! }, (_, i) => new Uint8Array(size!).fill(i & 255));
  const block = buildBlock({
    chainId: CHAIN,
    height: 2n,
    timeMs: 1n,
    proposer: signers[0]!.publicKey,
    lastBlockHash: ZERO_HASH,
    appHash: new Uint8Array(32),
    validators: valset,
    lastCommit: signCommit(CHAIN, signers, [0, 1, 2], 1n, 0, new Uint8Array(32)),
    txs,
  });
  const bytes = encodeBlock(block);
  time(
    `buildBlock (tx Merkle root) ${count} txs x ${size} B`,
    10,
    () => void buildBlock({ ...block.header, validators: valset, lastCommit: block.lastCommit, txs }),
  );
  time(
    `encodeBlock ${count} txs x ${size} B (${(bytes.length / 1e6).toFixed(2)} MB)`,
    10,
    () => void encodeBlock(block),
  );
  time(`decodeBlock ${count} txs x ${size} B`, 10, () => void decodeBlock(bytes));
  time('hashBlock', 2000, () => void hashBlock(block.header));
}

time('ProposerSchedule: proposer of height 100,000 from genesis (n=4)', 3, () => {
  new ProposerSchedule(valset).advanceTo(100_000n);
});
const sched = new ProposerSchedule(makeValidators(100, undefined, 'b100').valset);
time('ProposerSchedule: next height (walking forward, n=100)', 2000, (i) => {
  sched.proposer(BigInt(i + 1), 0);
});

const t = performance.now();
const heights = 200;
const r = await simulate({
  seed: 1,
  n: 4,
  targetHeight: heights,
  maxSimMs: 10_000_000,
  dropRate: 0,
  dupRate: 0,
  minDelayMs: 1,
  maxDelayMs: 5,
  byzantine: [],
  crashes: [],
  partitions: [],
  gossipEveryMs: 1000,
  timeouts: { commitMs: 0 },
});
const ms = performance.now() - t;
console.log(
  `in-process network, 4 validators on one core, no faults: ${r.committedHeight} heights in ${ms.toFixed(0)} ms = ${((r.committedHeight / ms) * 1000).toFixed(0)} heights/s (all four drivers and machines: signing, verification, codec, relays)`,
);
