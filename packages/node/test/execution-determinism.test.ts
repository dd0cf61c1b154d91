// Determinism: random blocks of ERC-20 and accounts operations (valid, reverting, out of gas, replayed
// and out-of-order nonces) applied to independent ExecutionApp instances, one on disk with sender
// recovery on worker threads and one in memory with inline recovery, give identical state roots, results
// and receipts at every height; the disk instance reopens to the same root. Here, above both the app and
// the store (moved from packages/execution/test: the execution layer does not import the store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import {
  CASH_ADDRESS,
  ERC20_ABI,
  ERC20_ISSUER_ABI,
  ExecutionApp,
  SenderRecoveryPool,
} from '@gridledger/execution';
import { NodeStore } from '@gridledger/store';
import fc from 'fast-check';
import { encodeFunctionData } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { alice, bob, genesis, issuer, signCall } from '../../execution/test/fixtures.ts';

const pool = SenderRecoveryPool.create(2)!;
afterAll(async () => {
  await pool.close();
});

const senders = [alice, bob, issuer];
const op = fc.record({
  sender: fc.integer({ min: 0, max: 2 }),
  kind: fc.constantFrom('transfer', 'approve', 'transferFrom', 'mint'),
  other: fc.integer({ min: 0, max: 2 }),
  amount: fc.bigInt({ min: 0n, max: 2_000n }),
  nonceSkew: fc.constantFrom(0, 0, 0, 0, -1, 1),
  lowGas: fc.boolean(),
});

describe('determinism across instances', () => {
  it('gives identical roots, results and receipts for random blocks, on disk with workers and in memory inline', async () => {
    const samples = fc.sample(
      fc.array(fc.array(op, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 4 }),
      {
        numRuns: 4,
        seed: 42,
      },
    );
    const seen = new Set<string>();
    for (const blocks of samples) {
      const dir = mkdtempSync(join(tmpdir(), 'gl-exec-det-'));
      try {
        const store = await NodeStore.open(dir, { sync: false });
        const disk = await ExecutionApp.load({ chainId: 1337n, genesis, storage: store, recoveryPool: pool });
        const mem = await ExecutionApp.load({ chainId: 1337n, genesis });
        const nonces = [0, 0, 0];
        for (const [i, ops] of blocks.entries()) {
          const height = BigInt(i + 1);
          const txs: Uint8Array[] = [];
          for (const o of ops) {
            const who = senders[o.sender]!;
            const other = senders[o.other]!.address;
            const data =
              o.kind === 'transfer'
                ? encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [other, o.amount] })
                : o.kind === 'approve'
                  ? encodeFunctionData({ abi: ERC20_ABI, functionName: 'approve', args: [other, o.amount] })
                  : o.kind === 'transferFrom'
                    ? encodeFunctionData({
                        abi: ERC20_ABI,
                        functionName: 'transferFrom',
                        args: [other, who.address, o.amount],
                      })
                    : encodeFunctionData({
                        abi: ERC20_ISSUER_ABI,
                        functionName: 'mint',
                        args: [other, o.amount],
                      });
            const nonce = Math.max(0, nonces[o.sender]! + o.nonceSkew);
            if (o.nonceSkew === 0) nonces[o.sender]!++;
            txs.push(await signCall(who, CASH_ADDRESS, data, nonce, { gas: o.lowGas ? 25_000n : 200_000n }));
          }
          const req = { height, timeMs: height * 1000n, proposer: new Uint8Array(32), txs };
          const a = await disk.finalizeBlock(req);
          await store.saveBlock(
            {
              height,
              hash: sha256(new Uint8Array([i])),
              block: new Uint8Array([1]),
              cert: new Uint8Array([1]),
            },
            disk.pendingCommit(height),
          );
          await disk.commit(height);
          const b = await mem.finalizeBlock(req);
          await mem.commit(height);
          expect(toHex(a.appHash)).toBe(toHex(b.appHash));
          expect(a.txResults).toEqual(b.txResults);
          for (const r of a.txResults) seen.add(r.ok ? 'ok' : (r.info ?? '').split(':')[0]!);
          expect(await disk.loadBlock(height)).toEqual(await mem.loadBlock(height));
          for (const hash of (await mem.loadBlock(height))!.txHashes) {
            expect(await disk.loadReceipt(hash)).toEqual(await mem.loadReceipt(hash));
          }
          // Keep the nonce model in step with what actually executed.
          for (const [k, s] of senders.entries()) nonces[k] = Number(mem.nonceOf(s.addr));
        }
        const info = await disk.info();
        await store.close();
        const reopened = await NodeStore.open(dir);
        const again = await ExecutionApp.load({ chainId: 1337n, genesis, storage: reopened });
        expect(await again.info()).toEqual(info);
        await reopened.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // The random blocks exercised success, reverts, out of gas and bad nonces.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['execution reverted', 'nonce too low', 'ok', 'out of gas']),
    );
  }, 60_000);
});
