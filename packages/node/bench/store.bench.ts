// `npm run bench:store`: what the node's commit path costs without consensus or networking.
//  1. NodeStore.saveBlock alone: blocks per second with and without fsync, 100 state writes per block.
//  2. The kv application's commit pipeline (finalizeBlock -> saveBlock with the app's writes -> commit)
//     at 1,000 key=value transactions per block with fresh keys, so the state grows block by block:
//     transactions per second and milliseconds per block as the state reaches 100,000 keys.
//  3. The mempool: admissions per second, and reaping a 1 MiB proposal then updating after its commit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateBatch } from '@gridledger/app-api';
import { utf8 } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { KvApp } from '@gridledger/kvapp';
import { Mempool } from '@gridledger/mempool';
import { NodeStore } from '@gridledger/store';
import Table from 'cli-table3';

const rows: string[][] = [];

async function saveBlocks(sync: boolean, blocks: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-store-'));
  const store = await NodeStore.open(dir, { sync });
  const block = new Uint8Array(16 * 1024).fill(7);
  const t0 = performance.now();
  for (let h = 1n; h <= BigInt(blocks); h++) {
    const batch = new StateBatch();
    for (let i = 0; i < 100; i++) batch.put(utf8(`k${h}-${i}`), new Uint8Array(64).fill(i));
    await store.saveBlock(
      { height: h, hash: sha256(utf8(`b${h}`)), block, cert: new Uint8Array(300) },
      { writes: batch.writes(), appHash: sha256(utf8(`s${h}`)) },
    );
  }
  const s = (performance.now() - t0) / 1000;
  rows.push([
    `saveBlock (16 KiB block, 100 writes), ${sync ? 'fsync' : 'no fsync'}`,
    `${(blocks / s).toFixed(0)} blocks/s`,
    `${((s * 1000) / blocks).toFixed(2)} ms/block`,
  ]);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

async function pipeline(txsPerBlock: number, blocks: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-kv-'));
  const store = await NodeStore.open(dir);
  const app = await KvApp.load(store);
  const proposer = new Uint8Array(32);
  let k = 0;
  let windowMs = 0;
  for (let h = 1n; h <= BigInt(blocks); h++) {
    const txs = Array.from({ length: txsPerBlock }, () => utf8(`key-${k++}=${'v'.repeat(32)}`));
    const t0 = performance.now();
    await app.finalizeBlock({ height: h, timeMs: h * 1000n, proposer, txs });
    await store.saveBlock(
      { height: h, hash: sha256(utf8(`b${h}`)), block: txs[0]!, cert: new Uint8Array(300) },
      app.pendingCommit(h),
    );
    await app.commit(h);
    windowMs += performance.now() - t0;
    if (h % 20n === 0n) {
      rows.push([
        `kv pipeline, ${txsPerBlock} txs/block, state ${(app.size / 1000).toFixed(0)}k keys (blocks ${h - 19n}-${h})`,
        `${((20 * txsPerBlock) / (windowMs / 1000)).toFixed(0)} txs/s`,
        `${(windowMs / 20).toFixed(1)} ms/block`,
      ]);
      windowMs = 0;
    }
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

async function mempoolAdds(n: number): Promise<void> {
  const app = await KvApp.load();
  const pool = new Mempool({ app, maxTxs: n });
  const txs = Array.from({ length: n }, (_, i) => utf8(`key-${i}=${'v'.repeat(32)}`));
  const t0 = performance.now();
  for (const tx of txs) await pool.add(tx);
  const t1 = performance.now();
  const reaped = pool.reap({ maxBytes: 1 << 20 });
  await pool.update(1n, reaped);
  const t2 = performance.now();
  rows.push([
    `mempool add (kv checkTx, sha256 dedup), ${n} txs`,
    `${(n / ((t1 - t0) / 1000)).toFixed(0)} txs/s`,
    '',
  ]);
  rows.push([
    `mempool reap 1 MiB + update (${reaped.length} txs, recheck ${n - reaped.length})`,
    '',
    `${(t2 - t1).toFixed(1)} ms`,
  ]);
}

await mempoolAdds(20_000);
await saveBlocks(false, 300);
await saveBlocks(true, 300);
await pipeline(1000, 100);
const t = new Table({ head: ['what', 'rate', 'per block'], style: { head: [], border: [] } });
for (const r of rows) t.push(r);
process.stdout.write(`store benchmark: Node ${process.version}, one process\n${t.toString()}\n`);
