import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '@gridledger/crypto';
import { NodeStore } from '@gridledger/store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommittedState } from './commitment.ts';
import { verifySmtProof } from './smt.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gl-exec-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('CommittedState', () => {
  it('persists each block through the store batch and reloads to the same root', async () => {
    let store = await NodeStore.open(dir, { sync: false });
    let cs = await CommittedState.load(store.state);
    const roots: Uint8Array[] = [];
    for (let h = 1n; h <= 3n; h++) {
      for (let i = 0n; i < 20n; i++) cs.state.set(`m:bal:${(i * h) % 17n}`, i * h);
      cs.state.set('m:gone', h === 3n ? 0n : h);
      const { root, writes } = cs.finalize();
      await store.saveBlock(
        {
          height: h,
          hash: sha256(new Uint8Array([Number(h)])),
          block: new Uint8Array([1]),
          cert: new Uint8Array([2]),
        },
        { writes, appHash: root },
      );
      cs.commit();
      roots.push(root);
    }
    expect(new Set(roots.map((r) => Buffer.from(r).toString('hex'))).size).toBe(3);
    const before = cs.state.entries();
    await store.close();
    store = await NodeStore.open(dir);
    cs = await CommittedState.load(store.state);
    expect(cs.root()).toEqual(roots[2]);
    expect(cs.state.entries()).toEqual(before);
    expect(cs.state.get('m:gone')).toBe(0n);
    const p = cs.prove('m:bal:4');
    expect(p.value).toBe(cs.state.get('m:bal:4'));
    expect(verifySmtProof(roots[2]!, p)).toBe(true);
    await store.close();
  });

  it('rolls back a finalized, uncommitted block in values and tree', async () => {
    const cs = await CommittedState.load();
    cs.state.set('a', 1n);
    const r1 = cs.finalize().root;
    cs.commit();
    cs.state.set('a', 2n);
    cs.state.set('b', 3n);
    cs.finalize();
    cs.rollback();
    expect(cs.root()).toEqual(r1);
    expect(cs.state.get('b')).toBe(0n);
    expect(cs.finalize().writes).toEqual([]);
  });
});
