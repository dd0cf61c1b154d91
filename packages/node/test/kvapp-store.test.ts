// The key-value application persisted through the node store, the way the node runs them: restart at
// the same height and root, disk and memory instances agreeing, and the commit protocol between the app
// and the store. Moved from packages/kvapp/src/kv-app.test.ts: the app (execution layer) does not import
// the store (protocol layer); the node, above both, composes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex, utf8 } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { AppError, KvApp, MerkleKvState } from '@gridledger/kvapp';
import { NodeStore } from '@gridledger/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gl-kvapp-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const proposer = new Uint8Array(32);
const txs = (...s: string[]) => s.map(utf8);

/** Runs one block through the app and the store the way the node does. */
async function runBlock(app: KvApp, store: NodeStore, height: bigint, blockTxs: Uint8Array[]) {
  const res = await app.finalizeBlock({ height, timeMs: 1000n * height, proposer, txs: blockTxs });
  const hash = sha256(utf8(`block ${height}`));
  await store.saveBlock(
    { height, hash, block: utf8(`b${height}`), cert: utf8(`c${height}`) },
    app.pendingCommit(height),
  );
  await app.commit(height);
  return res;
}

describe('KvApp with the node store', () => {
  it('executes blocks, persists with the store, and after a restart reports the same height and root', async () => {
    let store = await NodeStore.open(dir);
    let app = await KvApp.load(store);
    const genesis = await app.info();
    expect(genesis).toEqual({ height: 0n, appHash: new MerkleKvState().root() });
    const r1 = await runBlock(app, store, 1n, txs('a=1', 'b=2', 'bad', 'a=3'));
    expect(r1.txResults).toEqual([
      { ok: true, info: 'set' },
      { ok: true, info: 'set' },
      { ok: false, info: "malformed transaction: expected key=value, found no '='" },
      { ok: true, info: 'set' },
    ]);
    const r2 = await runBlock(app, store, 2n, txs('b=', 'c=hello'));
    expect(r2.txResults[0]).toEqual({ ok: true, info: 'deleted' });
    expect(app.query(utf8('a'))).toEqual(utf8('3'));
    expect(app.query(utf8('b'))).toBeUndefined();
    const before = await app.info();
    expect(before.height).toBe(2n);
    expect(before.appHash).toEqual(r2.appHash);
    await store.close();

    store = await NodeStore.open(dir);
    app = await KvApp.load(store);
    expect(await app.info()).toEqual(before);
    expect(app.query(utf8('c'))).toEqual(utf8('hello'));
    await runBlock(app, store, 3n, txs('d=4'));
    expect((await app.info()).height).toBe(3n);
    await store.close();
  });

  it('is deterministic: two apps fed the same blocks agree on every root, in memory or on disk', async () => {
    const store = await NodeStore.open(dir, { sync: false });
    const disk = await KvApp.load(store);
    const mem = await KvApp.load();
    for (let h = 1n; h <= 5n; h++) {
      const blockTxs = txs(`k${h}=v${h}`, `k${h - 1n}=`, `shared=${h}`);
      const a = await runBlock(disk, store, h, blockTxs);
      const b = await mem.finalizeBlock({ height: h, timeMs: 0n, proposer, txs: blockTxs });
      await mem.commit(h);
      expect(toHex(a.appHash)).toBe(toHex(b.appHash));
    }
    await store.close();
  });

  it('refuses a commit the store did not record, a wrong height, and a state that does not match its root', async () => {
    const store = await NodeStore.open(dir);
    const app = await KvApp.load(store);
    await expect(app.finalizeBlock({ height: 2n, timeMs: 0n, proposer, txs: [] })).rejects.toThrow(
      /expected height 1, got 2/,
    );
    await app.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs: txs('a=1') });
    await expect(app.commit(1n)).rejects.toThrow(AppError);
    await expect(app.commit(1n)).rejects.toThrow(/save the block with store.saveBlock/);
    await expect(app.commit(2n)).rejects.toThrow(/no finalized block/);
    // A block saved with a root that does not match its writes: loading must notice.
    const { writes } = app.pendingCommit(1n);
    await store.saveBlock(
      { height: 1n, hash: sha256(utf8('b1')), block: utf8('b1'), cert: utf8('c1') },
      { writes, appHash: new Uint8Array(32) },
    );
    await store.close();
    const reopened = await NodeStore.open(dir);
    await expect(KvApp.load(reopened)).rejects.toThrow(/database is corrupt/);
    await reopened.close();
  });
});
