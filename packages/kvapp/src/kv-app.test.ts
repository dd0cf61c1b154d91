// The KvApp on its own, in memory. Persistence through the node store (restart, memory vs disk, the
// commit protocol with the store) is tested where both are below: packages/node/test/kvapp-store.test.ts.
import { utf8 } from '@gridledger/base';
import { describe, expect, it } from 'vitest';
import { KvApp } from './kv-app.ts';
import { MerkleKvState } from './merkle-state.ts';

const proposer = new Uint8Array(32);
const txs = (...s: string[]) => s.map(utf8);

describe('KvApp', () => {
  it('re-executing an uncommitted height rolls the first run back', async () => {
    const app = await KvApp.load();
    await app.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs: txs('x=1', 'y=2') });
    expect(app.query(utf8('x'))).toBeUndefined();
    const again = await app.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs: txs('z=3') });
    const fresh = await KvApp.load();
    const expected = await fresh.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs: txs('z=3') });
    expect(again.appHash).toEqual(expected.appHash);
    // info() reports the committed state while a block is only finalized.
    expect(await app.info()).toEqual({ height: 0n, appHash: new MerkleKvState().root() });
    await app.commit(1n);
    expect(app.query(utf8('x'))).toBeUndefined();
    expect(app.query(utf8('z'))).toEqual(utf8('3'));
    expect(app.size).toBe(1);
  });

  it('checks transactions for the mempool and proposals, and fills proposals within maxBytes', async () => {
    const app = await KvApp.load();
    expect(await app.checkTx(utf8('k=v'))).toEqual({ ok: true });
    expect(await app.checkTx(new Uint8Array(5000))).toMatchObject({
      ok: false,
      reason: /too large: 5000 bytes/,
    });
    const cands = txs('a=1', 'nope', 'bb=22', 'c=3');
    expect(await app.prepareProposal({ height: 1n, timeMs: 0n, txs: cands, maxBytes: 8 })).toEqual(
      txs('a=1', 'bb=22'),
    );
    expect(await app.prepareProposal({ height: 1n, timeMs: 0n, txs: cands, maxBytes: 7 })).toEqual(
      txs('a=1'),
    );
    expect(await app.processProposal({ height: 1n, timeMs: 0n, txs: txs('a=1', 'c=3') })).toBe(true);
    expect(await app.processProposal({ height: 1n, timeMs: 0n, txs: cands })).toBe(false);
  });
});
