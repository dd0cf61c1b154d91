import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateBatch } from '@gridledger/app-api';
import { InputError, toHex, utf8 } from '@gridledger/base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeStore, StoreError } from './index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gl-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function blockOf(height: bigint) {
  const hash = new Uint8Array(32).fill(Number(height % 251n) + 1);
  return { height, hash, block: utf8(`block ${height}`), cert: utf8(`cert ${height}`) };
}

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of it) out.push(`${new TextDecoder().decode(k)}=${new TextDecoder().decode(v)}`);
  return out;
}

describe('NodeStore', () => {
  it('writes blocks, certificates and state, and reads them back after reopening from disk', async () => {
    let store = await NodeStore.open(dir);
    expect(store.latestHeight()).toBe(0n);
    expect(store.loadAppInfo()).toBeUndefined();
    for (let h = 1n; h <= 3n; h++) {
      const batch = new StateBatch().put(utf8(`k${h}`), utf8(`v${h}`));
      if (h === 3n) batch.del(utf8('k1'));
      await store.saveBlock(blockOf(h), { writes: batch.writes(), appHash: new Uint8Array([Number(h)]) });
    }
    await store.close();

    store = await NodeStore.open(dir);
    expect(store.latestHeight()).toBe(3n);
    expect(store.loadAppInfo()).toEqual({ height: 3n, appHash: new Uint8Array([3]) });
    const b2 = await store.loadBlock(2n);
    expect(b2).toEqual({ height: 2n, hash: blockOf(2n).hash, block: utf8('block 2') });
    expect(await store.loadBlockByHash(blockOf(3n).hash)).toEqual({
      height: 3n,
      hash: blockOf(3n).hash,
      block: utf8('block 3'),
    });
    expect(await store.loadCert(1n)).toEqual(utf8('cert 1'));
    expect(await store.loadBlock(4n)).toBeUndefined();
    expect(await store.loadBlock(0n)).toBeUndefined();
    expect(await store.loadCert(4n)).toBeUndefined();
    expect(await store.loadBlockByHash(new Uint8Array(32).fill(99))).toBeUndefined();
    expect(await store.state.get(utf8('k1'))).toBeUndefined();
    expect(await store.state.get(utf8('k2'))).toEqual(utf8('v2'));
    expect(await collect(store.state.entries())).toEqual(['k2=v2', 'k3=v3']);
    expect(await collect(store.state.entries(utf8('k3')))).toEqual(['k3=v3']);
    await store.close();
  });

  it('refuses a block that is not latest + 1, and a bad write anywhere in the batch leaves nothing', async () => {
    const store = await NodeStore.open(dir);
    await expect(store.saveBlock(blockOf(2n))).rejects.toThrow(/expected height 1 \(latest is 0\), got 2/);
    await store.saveBlock(blockOf(1n), {
      writes: [{ key: utf8('a'), value: utf8('1') }],
      appHash: utf8('r1'),
    });
    await expect(store.saveBlock(blockOf(1n))).rejects.toThrow(InputError);
    // An interrupted batch: the third state write is malformed, so the whole block must not land.
    const writes = [
      { key: utf8('a'), value: utf8('2') },
      { key: utf8('b'), value: utf8('2') },
      { key: new Uint8Array(0), value: utf8('bad') },
    ];
    await expect(store.saveBlock(blockOf(2n), { writes, appHash: utf8('r2') })).rejects.toThrow(
      /state write 2/,
    );
    expect(store.latestHeight()).toBe(1n);
    expect(await store.loadBlock(2n)).toBeUndefined();
    expect(await store.state.get(utf8('a'))).toEqual(utf8('1'));
    expect(await store.state.get(utf8('b'))).toBeUndefined();
    expect(store.loadAppInfo()?.appHash).toEqual(utf8('r1'));
    await store.close();
    const again = await NodeStore.open(dir);
    expect(again.latestHeight()).toBe(1n);
    expect(await again.loadBlock(2n)).toBeUndefined();
    await again.close();
  });

  it('serialises concurrent saves so heights stay consecutive', async () => {
    const store = await NodeStore.open(dir, { sync: false });
    const results = await Promise.allSettled([1n, 2n, 3n, 2n].map((h) => store.saveBlock(blockOf(h))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(store.latestHeight()).toBe(3n);
    await store.close();
  });

  it('keeps evidence, named records and write-ahead-log entries across a reopen', async () => {
    let store = await NodeStore.open(dir);
    await store.saveEvidence(utf8('ev-b'), utf8('votes b'));
    await store.saveEvidence(utf8('ev-a'), utf8('votes a'));
    await store.saveRecord('sign-guard', utf8('h=5 r=0 step=prevote'));
    expect(await store.appendWal(5n, utf8('proposal'))).toBe(0);
    expect(await store.appendWal(5n, utf8('prevote'))).toBe(1);
    expect(await store.appendWal(6n, utf8('next'))).toBe(0);
    await store.close();
    store = await NodeStore.open(dir);
    expect((await store.listEvidence()).map((e) => toHex(e.evidence))).toEqual([
      toHex(utf8('votes a')),
      toHex(utf8('votes b')),
    ]);
    expect(await store.loadRecord('sign-guard')).toEqual(utf8('h=5 r=0 step=prevote'));
    expect(await store.loadRecord('nothing')).toBeUndefined();
    expect(await store.loadWal(5n)).toEqual([utf8('proposal'), utf8('prevote')]);
    expect(await store.appendWal(5n, utf8('precommit'))).toBe(2);
    await store.pruneWal(6n);
    expect(await store.loadWal(5n)).toEqual([]);
    expect(await store.loadWal(6n)).toEqual([utf8('next')]);
    await store.close();
  });

  it('writes named records in the block batch, or nothing when one is malformed', async () => {
    let store = await NodeStore.open(dir);
    await expect(
      store.saveBlock({ ...blockOf(1n), records: [{ name: '', value: utf8('x') }] }),
    ).rejects.toThrow(/a record must be \{ name: non-empty string, value: bytes \}/);
    expect(store.latestHeight()).toBe(0n);
    await store.saveBlock({ ...blockOf(1n), records: [{ name: 'committed-evidence', value: utf8('e1') }] });
    await store.close();
    store = await NodeStore.open(dir);
    expect(store.latestHeight()).toBe(1n);
    expect(await store.loadRecord('committed-evidence')).toEqual(utf8('e1'));
    await store.close();
  });

  it('says clearly when the database is held by another open store, and refuses use after close', async () => {
    const store = await NodeStore.open(dir);
    await expect(NodeStore.open(dir)).rejects.toThrow(StoreError);
    await expect(NodeStore.open(dir)).rejects.toThrow(/in use by another process/);
    await store.close();
    await expect(store.loadBlock(1n)).rejects.toThrow(/closed/);
    await expect(store.saveBlock(blockOf(1n))).rejects.toThrow(/closed/);
  });
});
