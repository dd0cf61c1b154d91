// The ExecutionApp in memory. Durability through the node store (disk and memory instances agreeing, a
// restart resuming) is tested above both: packages/node/test/execution-store.test.ts.
import { toHex } from '@gridledger/base';
import { decodeErrorResult, encodeFunctionData } from 'viem';
import { describe, expect, it } from 'vitest';
import { admin, alice, bob, genesis, issuer, mallory, signCall } from '../test/fixtures.ts';
import { ACCOUNTS_ADDRESS, CASH_ADDRESS } from './addresses.ts';
import { ExecutionApp } from './app.ts';
import { ACCOUNTS_ABI } from './modules/accounts.ts';
import { ERC20_ABI, ERC20_ISSUER_ABI } from './modules/erc20.ts';
import type { JournaledState } from './state.ts';

const proposer = new Uint8Array(32);
const hashOf = (app: ExecutionApp, raw: Uint8Array) => {
  const d = app.decode(raw);
  if (!d.ok) throw new Error(d.reason);
  return d.tx.hash;
};
const transfer = (to: `0x${string}`, v: bigint) =>
  encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [to, v] });

async function runBlock(app: ExecutionApp, height: bigint, txs: Uint8Array[]) {
  const res = await app.finalizeBlock({ height, timeMs: 1000n * height, proposer, txs });
  await app.commit(height);
  return res;
}

/** A fixed script of blocks: transfers, a revert, an out-of-gas call, admin and issuer actions. */
async function scriptBlocks(): Promise<Uint8Array[][]> {
  return [
    [
      await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 100n), 0),
      await signCall(alice, CASH_ADDRESS, transfer(mallory.addr, 7n), 1),
      await signCall(bob, CASH_ADDRESS, transfer(alice.addr, 10_000n), 0),
    ],
    [
      await signCall(
        admin,
        ACCOUNTS_ADDRESS,
        encodeFunctionData({ abi: ACCOUNTS_ABI, functionName: 'register', args: [mallory.addr] }),
        0,
      ),
      await signCall(
        issuer,
        CASH_ADDRESS,
        encodeFunctionData({ abi: ERC20_ISSUER_ABI, functionName: 'mint', args: [mallory.addr, 5n] }),
        0,
        { legacy: true },
      ),
      await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 1n), 2, { gas: 30_000n }),
    ],
    [await signCall(mallory, CASH_ADDRESS, transfer(bob.addr, 12n), 0)],
  ];
}

describe('ExecutionApp', () => {
  it('re-checks a decoded transaction against the latest state without decoding it again', async () => {
    const app = await ExecutionApp.load({ chainId: 1337n, genesis });
    const tx = await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 1n), 0);
    const unknown = await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 2n), 1);
    expect(app.recheckTx(tx)).toBeUndefined();
    // The mempool's ordering of the transaction (issue 17, H1): sender, nonce, committed next nonce, fee.
    expect(await app.checkTx(tx)).toEqual({
      ok: true,
      ordering: { sender: alice.addr, nonce: 0n, nextNonce: 0n, feePerGas: 0n, reserved: false },
    });
    expect(app.recheckTx(tx)).toEqual({ ok: true });
    expect(app.recheckTx(unknown)).toBeUndefined();
    const forged = tx.slice();
    forged[forged.length - 5]! ^= 1;
    await app.checkTx(forged);
    expect(app.recheckTx(forged)?.ok).toBe(false);
    await runBlock(app, 1n, [tx]);
    // Executed: its cache entry is gone (checkTx decodes again), and once decoded its nonce is used.
    expect(app.recheckTx(tx)).toBeUndefined();
    expect((await app.checkTx(tx)).ok).toBe(false);
    expect(app.recheckTx(tx)).toEqual({ ok: false, reason: 'nonce too low: next nonce 1, tx nonce 0' });
  });

  it('executes transfers with Ethereum receipts: success, revert with OpenZeppelin error, out of gas', async () => {
    const app = await ExecutionApp.load({ chainId: 1337n, genesis });
    const [b1, b2] = await scriptBlocks();
    const r1 = await runBlock(app, 1n, b1!);
    expect(r1.txResults).toEqual([{ ok: true }, { ok: true }, { ok: false, info: 'execution reverted' }]);
    const receipt = await app.loadReceipt(hashOf(app, b1![0]!));
    expect(receipt).toMatchObject({ status: 1, txIndex: 0, height: 1n, from: alice.addr, to: CASH_ADDRESS });
    expect(receipt!.logs).toHaveLength(1);
    expect(receipt!.logsBloom).not.toBe(`0x${'00'.repeat(256)}`);
    const failed = await app.loadReceipt(hashOf(app, b1![2]!));
    expect(failed).toMatchObject({ status: 0, error: 'execution reverted', logs: [] });
    expect(decodeErrorResult({ abi: ERC20_ABI, data: failed!.revertData! })).toMatchObject({
      errorName: 'ERC20InsufficientBalance',
      args: [expect.stringMatching(new RegExp(bob.addr.slice(2), 'i')), 600n, 10_000n],
    });
    expect(failed!.cumulativeGasUsed).toBe(
      receipt!.gasUsed + (await app.loadReceipt(hashOf(app, b1![1]!)))!.gasUsed + failed!.gasUsed,
    );
    expect(app.nonceOf(bob.addr)).toBe(1n);
    expect(app.stateValue(`${CASH_ADDRESS}:bal:${bob.addr}`)).toBe(600n);
    const r2 = await runBlock(app, 2n, b2!);
    expect(r2.txResults).toEqual([{ ok: true }, { ok: true }, { ok: false, info: 'out of gas' }]);
    const oog = await app.loadReceipt(hashOf(app, b2![2]!));
    expect(oog).toMatchObject({ status: 0, error: 'out of gas', gasUsed: 30_000n, logs: [] });
    expect(app.nonceOf(alice.addr)).toBe(3n);
    expect(app.stateValue(`${CASH_ADDRESS}:bal:${mallory.addr}`)).toBe(12n);
  });

  it('rejects bad transactions at checkTx with Ethereum-style reasons', async () => {
    const app = await ExecutionApp.load({ chainId: 1337n, genesis });
    const t = (v: bigint) => transfer(bob.addr, v);
    expect(await app.checkTx(await signCall(alice, CASH_ADDRESS, t(1n), 0))).toMatchObject({ ok: true });
    expect(await app.checkTx(await signCall(mallory, CASH_ADDRESS, t(1n), 0))).toEqual({
      ok: false,
      reason: `sender not registered: ${mallory.addr} is not a registered account`,
    });
    expect(await app.checkTx(await signCall(alice, CASH_ADDRESS, t(1n), 0, { chainId: 1n }))).toMatchObject({
      reason: /invalid chain id/,
    });
    expect(await app.checkTx(await signCall(alice, CASH_ADDRESS, t(1n), 5000))).toMatchObject({
      reason: /nonce too high/,
    });
    expect(await app.checkTx(await signCall(alice, CASH_ADDRESS, t(1n), 0, { gas: 21_000n }))).toMatchObject({
      reason: /intrinsic gas too low/,
    });
    const bad = await signCall(alice, CASH_ADDRESS, t(1n), 0);
    bad[bad.length - 5]! ^= 0xff;
    expect((await app.checkTx(bad)).ok).toBe(false);
    await runBlock(app, 1n, [await signCall(alice, CASH_ADDRESS, t(1n), 0)]);
    expect(await app.checkTx(await signCall(alice, CASH_ADDRESS, t(2n), 0))).toMatchObject({
      reason: 'nonce too low: next nonce 1, tx nonce 0',
    });
    expect(app.pendingNonceOf(alice.addr)).toBe(1n);
    await app.checkTx(await signCall(alice, CASH_ADDRESS, t(2n), 1));
    expect(app.pendingNonceOf(alice.addr)).toBe(2n);
  });

  it('takes senders round-robin in nonce order, drops gaps and replays, and checks proposals', async () => {
    const app = await ExecutionApp.load({ chainId: 1337n, genesis });
    const a0 = await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 1n), 0);
    const a1 = await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 2n), 1);
    const a3 = await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 3n), 3);
    const b0 = await signCall(bob, CASH_ADDRESS, transfer(alice.addr, 1n), 0);
    const m0 = await signCall(mallory, CASH_ADDRESS, transfer(alice.addr, 1n), 0);
    const chosen = await app.prepareProposal({
      height: 1n,
      timeMs: 0n,
      txs: [a1, b0, m0, a3, a0, a0],
      maxBytes: 1 << 20,
    });
    // Round-robin: each sender's first transaction, then each sender's second.
    expect(chosen).toEqual([a0, b0, a1]);
    expect(await app.processProposal({ height: 1n, timeMs: 0n, txs: chosen })).toBe(true);
    expect(await app.processProposal({ height: 1n, timeMs: 0n, txs: [a1, a0] })).toBe(false);
    expect(await app.processProposal({ height: 1n, timeMs: 0n, txs: [m0] })).toBe(false);
    expect(
      await app.prepareProposal({
        height: 1n,
        timeMs: 0n,
        txs: [a0, a1, b0],
        maxBytes: a0.length + b0.length,
      }),
    ).toEqual([a0, b0]);
    // Executing a replayed or out-of-order transaction anyway fails it alone, with no nonce use.
    const r = await app.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs: [a1, a0, a0] });
    expect(r.txResults).toEqual([
      { ok: false, info: 'nonce too high: next nonce 0, tx nonce 1' },
      { ok: true },
      { ok: false, info: 'nonce too low: next nonce 1, tx nonce 0' },
    ]);
  });

  it('rolls back a re-executed uncommitted height', async () => {
    const app = await ExecutionApp.load({ chainId: 1337n, genesis });
    const fresh = await ExecutionApp.load({ chainId: 1337n, genesis });
    await app.finalizeBlock({
      height: 1n,
      timeMs: 0n,
      proposer,
      txs: [await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 1n), 0)],
    });
    const txs = [await signCall(bob, CASH_ADDRESS, transfer(alice.addr, 3n), 0)];
    const again = await app.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs });
    const expected = await fresh.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs });
    expect(toHex(again.appHash)).toBe(toHex(expected.appHash));
    await expect(app.finalizeBlock({ height: 3n, timeMs: 0n, proposer, txs: [] })).rejects.toThrow(
      /expected height 1, got 3/,
    );
  });

  it('reverts its journal when a block throws part-way (issue 17, H4): a retry starts clean', async () => {
    let fail = true;
    const ext = {
      name: 'throws-once',
      beginBlock: async (state: JournaledState) => {
        state.set('half:done', 7n);
        if (fail) throw new Error('begin-block failure');
        return [];
      },
    };
    const app = await ExecutionApp.load({ chainId: 1337n, genesis, extensions: [ext] });
    const fresh = await ExecutionApp.load({ chainId: 1337n, genesis, extensions: [{ ...ext }] });
    const txs = [await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 1n), 0)];
    await expect(app.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs })).rejects.toThrow(
      'begin-block failure',
    );
    expect(app.stateValue('half:done')).toBe(0n);
    // The retry writes 'half:done' again and nothing else is left over: same root as a clean run.
    fail = false;
    const again = await app.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs });
    const expected = await fresh.finalizeBlock({ height: 1n, timeMs: 0n, proposer, txs });
    expect(toHex(again.appHash)).toBe(toHex(expected.appHash));
  });

  it('fails a transaction whose sender the admin removed earlier in the same block, without using its nonce', async () => {
    const app = await ExecutionApp.load({ chainId: 1337n, genesis });
    const bobTx = await signCall(bob, CASH_ADDRESS, transfer(alice.addr, 1n), 0);
    expect(await app.checkTx(bobTx)).toMatchObject({ ok: true });
    const remove = await signCall(
      admin,
      ACCOUNTS_ADDRESS,
      encodeFunctionData({ abi: ACCOUNTS_ABI, functionName: 'remove', args: [bob.addr] }),
      0,
    );
    const r = await runBlock(app, 1n, [remove, bobTx]);
    expect(r.txResults).toEqual([{ ok: true }, { ok: false, info: `sender not registered: ${bob.addr}` }]);
    expect(app.nonceOf(bob.addr)).toBe(0n);
    expect(await app.checkTx(bobTx)).toMatchObject({ ok: false, reason: /sender not registered/ });
    // Receiving needs no registration: alice can still pay bob.
    const pay = await runBlock(app, 2n, [await signCall(alice, CASH_ADDRESS, transfer(bob.addr, 5n), 0)]);
    expect(pay.txResults).toEqual([{ ok: true }]);
    expect(app.stateValue(`${CASH_ADDRESS}:bal:${bob.addr}`)).toBe(505n);
  });
});
