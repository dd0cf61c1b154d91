import { toHex } from '@gridledger/base';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { encodeFunctionData, hexToBytes, keccak256 } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { alice, bob, genesis, signCall } from '../test/fixtures.ts';
import { CASH_ADDRESS } from './addresses.ts';
import { ExecutionApp } from './app.ts';
import { ERC20_ABI } from './modules/erc20.ts';
import { recoverAddressNoble } from './recover.ts';
import { SenderRecoveryPool } from './recover-pool.ts';

const pool = SenderRecoveryPool.create(2)!;
afterAll(async () => {
  await pool.close();
});

describe('SenderRecoveryPool', () => {
  it('recovers the same addresses as noble, in order, across workers and concurrent callers', async () => {
    expect(pool.size).toBe(2);
    const items = Array.from({ length: 25 }, (_, i) => {
      const digest = hexToBytes(keccak256(new Uint8Array([i])));
      const s = secp256k1.sign(digest, secp256k1.utils.randomSecretKey(), {
        prehash: false,
        format: 'recovered',
      });
      return { digest, signature: s.subarray(1), recoveryId: s[0]! };
    });
    // A signature that does not recover: r = s = all 0xff (out of range).
    items.push({ digest: items[0]!.digest, signature: new Uint8Array(64).fill(0xff), recoveryId: 0 });
    const [a, b] = await Promise.all([pool.recover(items.slice(0, 10)), pool.recover(items.slice(10))]);
    const got = [...a, ...b].map((x) => (x === null ? null : toHex(x)));
    const want = items.map((it) => {
      const r = recoverAddressNoble(it.digest, it.signature, it.recoveryId);
      return r === null ? null : toHex(r);
    });
    expect(got).toEqual(want);
    expect(got.at(-1)).toBeNull();
  });

  it('gives an app the same results with recovery on worker threads as inline', async () => {
    const withPool = await ExecutionApp.load({ chainId: 1337n, genesis, recoveryPool: pool });
    const inline = await ExecutionApp.load({ chainId: 1337n, genesis });
    const t = (v: bigint) =>
      encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [bob.address, v] });
    const txs = [
      await signCall(alice, CASH_ADDRESS, t(1n), 0),
      await signCall(alice, CASH_ADDRESS, t(2n), 1),
      await signCall(bob, CASH_ADDRESS, t(3n), 0),
    ];
    expect(await withPool.checkTx(txs[0]!)).toMatchObject({ ok: true });
    const req = { height: 1n, timeMs: 0n, proposer: new Uint8Array(32), txs };
    const a = await withPool.finalizeBlock(req);
    const b = await inline.finalizeBlock(req);
    expect(toHex(a.appHash)).toBe(toHex(b.appHash));
    expect(a.txResults).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(a.txResults).toEqual(b.txResults);
  });
});
