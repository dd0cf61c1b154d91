// Shared parts of the fault tests (`npm run test:faults`): a seeded PRNG whose seed is printed, every
// node's committed chain read from its stopped store, the check that honest nodes hold the same block
// and app hash at every height, and the wait for a log line.
import { join } from 'node:path';
import { toHex } from '@gridledger/base';
import { decodeBlock, decodeCommit } from '@gridledger/consensus';
import { NodeStore } from '@gridledger/store';
import { sleep, type TestNet } from '../test/harness.ts';

/** mulberry32: a small deterministic PRNG; the same seed gives the same run of kills and delays. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a run: GL_FAULT_SEED when set (to replay a failure), else a fresh one. Printed either way. */
export function faultSeed(test: string): number {
  const given = process.env.GL_FAULT_SEED;
  const seed = given !== undefined ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`GL_FAULT_SEED must be a non-negative integer`);
  process.stderr.write(`${test}: seed ${seed} (replay with GL_FAULT_SEED=${seed})\n`);
  return seed;
}

/** One committed block as a node stored it. */
export interface StoredBlock {
  hash: string;
  appHash: string;
  round: number;
  txs: Uint8Array[];
}

/** Every committed block of node k (the node must be stopped: the store is opened directly). */
export async function chainOf(net: TestNet, k: number): Promise<StoredBlock[]> {
  const store = await NodeStore.open(join(net.home(k), 'data'));
  try {
    const out: StoredBlock[] = [];
    for (let h = 1n; h <= store.latestHeight(); h++) {
      const rec = (await store.loadBlock(h))!;
      const cert = decodeCommit((await store.loadCert(h))!);
      const b = decodeBlock(rec.block);
      out.push({ hash: toHex(rec.hash), appHash: toHex(b.header.appHash), round: cert.round, txs: b.txs });
    }
    return out;
  } finally {
    await store.close();
  }
}

/** The evidence records node k stored (stopped node). */
export async function evidenceOf(net: TestNet, k: number): Promise<Uint8Array[]> {
  const store = await NodeStore.open(join(net.home(k), 'data'));
  try {
    return (await store.listEvidence()).map((e) => e.evidence);
  } finally {
    await store.close();
  }
}

/**
 * Compares the stored chains of `ks` height by height; returns the number of heights where two nodes hold
 * different blocks or app hashes (conflicting commits), and the common length.
 */
export function compareChains(chains: StoredBlock[][]): { conflicts: number; common: number; top: number } {
  const common = Math.min(...chains.map((c) => c.length));
  let conflicts = 0;
  for (let i = 0; i < common; i++) {
    const a = chains[0]![i]!;
    for (const c of chains) if (c[i]!.hash !== a.hash || c[i]!.appHash !== a.appHash) conflicts++;
  }
  return { conflicts, common, top: Math.max(...chains.map((c) => c.length)) };
}

/** Waits until node k's log matches `re` (polling; generous timeout). */
export async function waitLog(net: TestNet, k: number, re: RegExp, timeoutMs = 60_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const m = re.exec(net.log(k));
    if (m) return m[0];
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`node${k}: no log line matching ${re} in ${timeoutMs} ms`);
    await sleep(200);
  }
}
