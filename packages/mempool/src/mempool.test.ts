import type { CheckTxResult } from '@gridledger/app-api';
import { toHex, utf8 } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import { KvApp } from '@gridledger/kvapp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Mempool, txHash } from './mempool.ts';

let app: KvApp;
beforeAll(async () => {
  app = await KvApp.load();
});
const tx = (s: string) => utf8(s);

describe('Mempool', () => {
  it('admits checked transactions and reports the application reason for rejected ones', async () => {
    const pool = new Mempool({ app });
    const ok = await pool.add(tx('a=1'));
    expect(ok).toEqual({ ok: true, hash: sha256(tx('a=1')) });
    expect(pool.has(txHash(tx('a=1')))).toBe(true);
    const bad = await pool.add(tx('no equals sign'));
    expect(bad).toMatchObject({ ok: false, code: 'rejected', reason: /expected key=value/ });
    const big = await pool.add(new Uint8Array(2000).fill(0x61));
    expect(big).toMatchObject({ ok: false, code: 'rejected', reason: /too large: 2000 bytes, limit 1089/ });
    expect(pool.size).toBe(1);
    expect(pool.bytes).toBe(3);
  });

  it('refuses a transaction over its own per-transaction limit before asking the app', async () => {
    const pool = new Mempool({ app, maxTxBytes: 4 });
    expect(await pool.add(tx('ab=12'))).toMatchObject({
      ok: false,
      code: 'too_large',
      reason: 'transaction too large: 5 bytes, limit 4',
    });
  });

  it('deduplicates by hash, also between concurrent adds', async () => {
    const pool = new Mempool({ app });
    const results = await Promise.all([pool.add(tx('k=v')), pool.add(tx('k=v')), pool.add(tx('k=v'))]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const dups = results.filter((r) => !r.ok);
    expect(dups).toHaveLength(2);
    for (const d of dups) expect(d).toMatchObject({ code: 'duplicate', reason: /already in the mempool/ });
    expect(await pool.add(tx('k=v'))).toMatchObject({ ok: false, code: 'duplicate' });
    expect(pool.size).toBe(1);
  });

  it('is bounded in count with a clear error when full', async () => {
    const pool = new Mempool({ app, maxTxs: 3 });
    for (const s of ['a=1', 'b=2', 'c=3']) expect((await pool.add(tx(s))).ok).toBe(true);
    expect(await pool.add(tx('d=4'))).toMatchObject({
      ok: false,
      code: 'full',
      reason: 'mempool full: 3 txs / 9 bytes, limit 3 txs / 16777216 bytes (this transaction: 3 bytes)',
    });
    expect(pool.size).toBe(3);
  });

  it('is bounded in bytes with a clear error when full', async () => {
    const pool = new Mempool({ app, maxBytes: 10 });
    expect((await pool.add(tx('aa=11'))).ok).toBe(true);
    expect((await pool.add(tx('b=2'))).ok).toBe(true);
    expect(await pool.add(tx('c=3'))).toMatchObject({
      ok: false,
      code: 'full',
      reason: 'mempool full: 2 txs / 8 bytes, limit 10000 txs / 10 bytes (this transaction: 3 bytes)',
    });
    // A smaller one still fits exactly.
    expect((await pool.add(tx('c='))).ok).toBe(true);
    expect(pool.bytes).toBe(10);
  });

  it('reaps FIFO within maxBytes and maxTxs without removing', async () => {
    const pool = new Mempool({ app });
    for (const s of ['a=1', 'bb=22', 'c=3', 'd=4']) await pool.add(tx(s));
    expect(pool.reap({ maxBytes: 8 })).toEqual([tx('a=1'), tx('bb=22')]);
    expect(pool.reap({ maxBytes: 7 })).toEqual([tx('a=1')]);
    expect(pool.reap({ maxBytes: 100, maxTxs: 3 })).toEqual([tx('a=1'), tx('bb=22'), tx('c=3')]);
    expect(pool.reap({ maxBytes: 2 })).toEqual([]);
    expect(pool.size).toBe(4);
  });

  it('removes committed transactions, refuses them afterwards, and frees room', async () => {
    const pool = new Mempool({ app, maxTxs: 2, committedCacheSize: 2 });
    await pool.add(tx('a=1'));
    await pool.add(tx('b=2'));
    expect(await pool.update(1n, [tx('a=1'), tx('x=9')])).toBe(0);
    expect(pool.txs()).toEqual([tx('b=2')]);
    expect(pool.bytes).toBe(3);
    expect(await pool.add(tx('a=1'))).toMatchObject({ ok: false, code: 'committed' });
    expect((await pool.add(tx('c=3'))).ok).toBe(true);
    // The committed cache is bounded: after two more commits 'a=1' is forgotten.
    await pool.update(2n, [tx('y=1'), tx('z=1')]);
    expect(await pool.add(tx('x=9'))).toMatchObject({ ok: false, code: 'full' });
    expect(pool.remove([txHash(tx('b=2')), txHash(tx('nothing'))])).toBe(1);
    expect((await pool.add(tx('a=1'))).ok).toBe(true);
  });

  it('re-checks remaining transactions after a block and drops those now rejected', async () => {
    // An admission rule that depends on committed state: keys already written may not be written again.
    const written = new Set<string>();
    const writeOnce = {
      async checkTx(t: Uint8Array): Promise<CheckTxResult> {
        const key = new TextDecoder().decode(t).split('=')[0]!;
        return written.has(key) ? { ok: false, reason: `key ${key} already written` } : { ok: true };
      },
    };
    const pool = new Mempool({ app: writeOnce });
    for (const s of ['a=1', 'a=2', 'b=1']) await pool.add(tx(s));
    written.add('a');
    expect(await pool.update(1n, [tx('a=1')])).toBe(1);
    expect(pool.txs().map((t) => toHex(t))).toEqual([toHex(tx('b=1'))]);
    const noRecheck = new Mempool({ app: writeOnce, recheck: false });
    await noRecheck.add(tx('c=1'));
    written.add('c');
    expect(await noRecheck.update(1n, [])).toBe(0);
    expect(noRecheck.size).toBe(1);
  });

  it('throws on misuse: bad options and non-byte transactions', async () => {
    expect(() => new Mempool({ app, maxTxs: 0 })).toThrow(/maxTxs must be a positive integer, got 0/);
    expect(() => new Mempool({ app, maxBytes: 1.5 })).toThrow(/maxBytes/);
    const pool = new Mempool({ app });
    await expect(pool.add('a=1' as unknown as Uint8Array)).rejects.toThrow(
      /expected the transaction as a Uint8Array/,
    );
  });
});
