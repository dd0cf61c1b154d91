// The mempool's lanes with the real execution app and energy extension (issue 17, H1). The attack: one
// account sent 10,000 zero-fee transactions at nonce next+1 (a gap never filled); they filled every
// mempool and another account's valid transaction was refused ("txpool is full"). Now one transaction per
// (sender, nonce), a queued lane capped per sender and in total, a TTL for queued ones, and a reserved
// lane for meter readings and cancellations.
import { createRequire } from 'node:module';
import { energyExtension, METERS_ABI, METERS_ADDRESS } from '@gridledger/energy';
import { buildDevAccounts, CASH_ADDRESS, ExecutionApp } from '@gridledger/execution';
import { Mempool } from '@gridledger/mempool';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { encodeFunctionData, erc20Abi, type Hex, hexToBytes, serializeTransaction, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import { defaultDevMarketConfig } from './dev-network.ts';

const secp = createRequire(import.meta.url)('secp256k1') as {
  ecdsaSign(msg: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
};
const CHAIN = 99n;

/** A signed EIP-1559 call (native secp256k1: thousands per test). */
function sign(key: Hex, nonce: number, to: `0x${string}`, data: Hex, feePerGas = 0n): Uint8Array {
  const tx = {
    type: 'eip1559' as const,
    chainId: Number(CHAIN),
    nonce,
    to,
    data,
    gas: 200_000n,
    maxFeePerGas: feePerGas,
    maxPriorityFeePerGas: 0n,
  };
  const { signature, recid } = secp.ecdsaSign(
    keccak_256(hexToBytes(serializeTransaction(tx))),
    hexToBytes(key),
  );
  return hexToBytes(
    serializeTransaction(tx, {
      r: toHex(signature.subarray(0, 32)),
      s: toHex(signature.subarray(32, 64)),
      yParity: recid,
    }),
  );
}

async function setup() {
  const { accounts, genesis } = buildDevAccounts({ participants: 3 });
  const [a, b, c] = accounts.filter((x) => x.role === 'participant');
  const operator = accounts.find((x) => x.role === 'grid-operator')!;
  const config = defaultDevMarketConfig(CHAIN, operator.address, 0n);
  const app = await ExecutionApp.load({ chainId: CHAIN, genesis, extensions: [energyExtension(config)] });
  const transfer = (amount: bigint) =>
    encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [c!.address, amount] });
  return { app, a: a!, b: b!, c: c!, transfer };
}

describe('mempool lanes (issue 17, H1)', () => {
  it("10,000 gap transactions from one account no longer refuse another account's valid transaction", async () => {
    const { app, a, b, transfer } = await setup();
    let t = 0;
    const pool = new Mempool({ app, nonceOf: (s) => app.nonceOf(s as `0x${string}`), now: () => t });
    // 10,000 different transactions at nonce next+1 = 1 (nonce 0 never sent).
    const spam = Array.from({ length: 10_000 }, (_, i) =>
      sign(a.privateKey, 1, CASH_ADDRESS, transfer(BigInt(i + 1))),
    );
    const results = await Promise.all(spam.map((tx) => pool.add(tx)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const refused = results.filter((r) => !r.ok);
    expect(new Set(refused.map((r) => (r.ok ? '' : r.code)))).toEqual(new Set(['underpriced']));
    expect(refused[0]).toMatchObject({ reason: /already has nonce 1 in the mempool at 0 per gas/ });
    // Every other gap nonce it may use (up to 1,000 ahead): only 64 queue.
    const gaps = Array.from({ length: 999 }, (_, i) => sign(a.privateKey, i + 2, CASH_ADDRESS, transfer(1n)));
    const gapResults = await Promise.all(gaps.map((tx) => pool.add(tx)));
    expect(gapResults.filter((r) => r.ok)).toHaveLength(63);
    expect(gapResults.find((r) => !r.ok)).toMatchObject({
      code: 'queued_full',
      reason: /queued behind a nonce gap/,
    });
    expect(pool.laneSizes()).toEqual({ pending: 0, queued: 64, reserved: 0 });
    // Another account's valid transaction is admitted, and it is what a proposer reaps.
    const valid = sign(b.privateKey, 0, CASH_ADDRESS, transfer(5n));
    expect(await pool.add(valid)).toMatchObject({ ok: true });
    expect(pool.reap({ maxBytes: 1 << 20 })).toEqual([valid]);
    // Queued transactions expire after the TTL (10 minutes by default).
    t = 600_001;
    await pool.update(1n, []);
    expect(pool.laneSizes()).toEqual({ pending: 1, queued: 0, reserved: 0 });
  }, 120_000);

  it('replaces only with a 10% higher fee, promotes a queued chain when its gap fills, drops used nonces', async () => {
    const { app, a, transfer } = await setup();
    const pool = new Mempool({ app, nonceOf: (s) => app.nonceOf(s as `0x${string}`) });
    const n1 = sign(a.privateKey, 1, CASH_ADDRESS, transfer(1n), 100n);
    expect((await pool.add(n1)).ok).toBe(true);
    expect(await pool.add(sign(a.privateKey, 1, CASH_ADDRESS, transfer(2n), 109n))).toMatchObject({
      ok: false,
      code: 'underpriced',
      reason: /needs at least 110 and more than 100/,
    });
    const n1b = sign(a.privateKey, 1, CASH_ADDRESS, transfer(3n), 110n);
    expect((await pool.add(n1b)).ok).toBe(true);
    expect(pool.txs()).toEqual([n1b]);
    expect(pool.laneSizes()).toEqual({ pending: 0, queued: 1, reserved: 0 });
    const n0 = sign(a.privateKey, 0, CASH_ADDRESS, transfer(4n));
    expect((await pool.add(n0)).ok).toBe(true);
    expect(pool.laneSizes()).toEqual({ pending: 2, queued: 0, reserved: 0 });
    expect(pool.reap({ maxBytes: 1 << 20 })).toEqual([n1b, n0]);
    // A block executes nonce 0 (committed elsewhere): the pool learns the next nonce and keeps nonce 1.
    await app.finalizeBlock({ height: 1n, timeMs: 1n, proposer: new Uint8Array(32), txs: [n0] });
    await app.commit(1n);
    await pool.update(1n, []);
    expect(pool.txs()).toEqual([n1b]);
    expect(pool.laneSizes()).toEqual({ pending: 1, queued: 0, reserved: 0 });
  });

  it('keeps a reserved lane for meter readings when order and transfer spam fills the pool', async () => {
    const { app, a, b, transfer } = await setup();
    const pool = new Mempool({ app, maxTxs: 20, nonceOf: (s) => app.nonceOf(s as `0x${string}`) });
    for (let i = 0; i < 20; i++)
      expect((await pool.add(sign(a.privateKey, i, CASH_ADDRESS, transfer(1n)))).ok).toBe(true);
    expect(await pool.add(sign(b.privateKey, 0, CASH_ADDRESS, transfer(1n)))).toMatchObject({
      ok: false,
      code: 'full',
    });
    const readings = sign(
      b.privateKey,
      0,
      METERS_ADDRESS,
      encodeFunctionData({ abi: METERS_ABI, functionName: 'submitReadings', args: [[], []] }),
    );
    expect(await pool.add(readings)).toMatchObject({ ok: true });
    expect(pool.laneSizes()).toEqual({ pending: 20, queued: 0, reserved: 1 });
    // The proposer reaps the reserved lane first.
    expect(pool.reap({ maxBytes: 1 << 20 })[0]).toEqual(readings);
  });
});
