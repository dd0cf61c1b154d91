// The background mempool pruner with the real execution app: after a block uses a sender's nonce, a
// waiting transaction with that nonce is dropped by prune(), and a valid one stays.
import { buildDevAccounts, CASH_ADDRESS, ExecutionApp } from '@gridledger/execution';
import { Mempool } from '@gridledger/mempool';
import { encodeFunctionData, erc20Abi, hexToBytes } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { MempoolPruner } from './mempool-prune.ts';

describe('MempoolPruner', () => {
  it('drops transactions whose nonce a committed block used, keeps the rest', async () => {
    const { accounts, genesis } = buildDevAccounts({ participants: 2 });
    const [a, b] = accounts.filter((x) => x.role === 'participant');
    const app = await ExecutionApp.load({ chainId: 99n, genesis });
    const mempool = new Mempool({ app, recheck: false });
    const sign = async (key: `0x${string}`, nonce: number, amount: bigint) =>
      hexToBytes(
        await privateKeyToAccount(key).signTransaction({
          type: 'eip1559',
          chainId: 99,
          nonce,
          to: CASH_ADDRESS,
          data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [b!.address, amount] }),
          gas: 60_000n,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
        }),
      );
    const stale = await sign(a!.privateKey, 0, 1n);
    const competing = await sign(a!.privateKey, 0, 2n);
    const valid = await sign(b!.privateKey, 0, 3n);
    expect((await mempool.add(stale)).ok).toBe(true);
    expect((await mempool.add(valid)).ok).toBe(true);
    // A block (from another proposer) commits the competing transaction with the same nonce.
    await app.finalizeBlock({ height: 1n, timeMs: 1n, proposer: new Uint8Array(32), txs: [competing] });
    await app.commit(1n);
    await mempool.update(1n, [competing]);
    expect(mempool.size).toBe(2);
    const pruner = new MempoolPruner(mempool, app, 1);
    expect(await pruner.prune()).toBe(1);
    expect(mempool.txs()).toEqual([valid]);
  });
});
