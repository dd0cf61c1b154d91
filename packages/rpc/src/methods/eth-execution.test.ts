// The execution app's JSON-RPC methods (eth-chain, eth-state, eth-call, eth-transaction, eth-logs)
// through the dispatcher over an in-process node: viem unmodified sends a cash transfer, waits for its
// receipt, reads balances and events; pending transactions, reverts with OpenZeppelin's errors, Ethereum
// wording for refused transactions, log filters, state proofs and the subscriptions' log selection.
import { fromHex } from '@gridledger/base';
import {
  ACCOUNTS_ADDRESS,
  CASH_ADDRESS,
  ERC20_ABI,
  ERC20_ISSUER_ABI,
  ExecutionApp,
  PROMISES_ADDRESS,
  verifySmtProof,
} from '@gridledger/execution';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  encodeFunctionData,
  hexToBytes,
  keccak256,
  serializeTransaction,
  toHex,
} from 'viem';
import { describe, expect, it } from 'vitest';
import { alice, bob, genesis, issuer, mallory, signCall } from '../../../execution/test/fixtures.ts';
import { RpcDispatcher, type RpcResponse } from '../dispatch.ts';
import { RpcError } from '../errors.ts';
import { buildMethods } from '../methods.ts';
import type { RpcBackend } from '../port.ts';
import { parseLogFilter, selectBlockLogs } from './eth-logs.ts';

/** An in-process node: mempool = accepted transactions, `mine()` runs one block through the app. */
async function node() {
  const app = await ExecutionApp.load({ chainId: 1337n, genesis });
  const mempool: Uint8Array[] = [];
  const blockHash = (h: bigint) => keccak256(toHex(`block ${h}`));
  const backend: RpcBackend = {
    ethChainId: 1337n,
    latestHeight: () => app.height,
    getBlock: async () => undefined,
    commit: async () => undefined,
    status: () => ({
      chainId: '1337',
      height: app.height,
      latestHash: undefined,
      latestTimeMs: undefined,
      peers: 0,
      validator: undefined,
      catchingUp: false,
    }),
    validators: () => [],
    submitTx: async (raw) => {
      const r = await app.checkTx(raw);
      if (!r.ok) return { ok: false, code: 'rejected', reason: r.reason };
      mempool.push(raw);
      return { ok: true, hash: hexToBytes(keccak256(raw)) };
    },
    blockHash: async (h) => hexToBytes(blockHash(h)),
    blockHeight: async (hash) => {
      for (let h = 1n; h <= app.height; h++) if (blockHash(h) === toHex(hash)) return h;
      return undefined;
    },
    pendingTxs: () => mempool,
    execution: app,
  };
  const methods = buildMethods({ backend, clientVersion: 'test', maxTxBytes: 1 << 20 });
  const dispatcher = new RpcDispatcher(methods);
  const mine = async () => {
    const h = app.height + 1n;
    const txs = await app.prepareProposal({
      height: h,
      timeMs: h * 1000n,
      txs: mempool.splice(0),
      maxBytes: 1 << 22,
    });
    await app.finalizeBlock({ height: h, timeMs: h * 1000n, proposer: new Uint8Array(32), txs });
    await app.commit(h);
  };
  // Every request goes through the dispatcher: an error answer becomes an Error with its code and data.
  const call = async (method: string, params: unknown[]) => {
    const r = (await dispatcher.handle({ jsonrpc: '2.0', id: 1, method, params })) as RpcResponse;
    if ('error' in r) throw Object.assign(new Error(r.error.message), r.error);
    return r.result;
  };
  // The transport viem uses: every request goes straight to the handler table.
  const chain = defineChain({
    id: 1337,
    name: 'gridledger-test',
    nativeCurrency: { name: 'none', symbol: 'NONE', decimals: 18 },
    rpcUrls: { default: { http: ['http://127.0.0.1:1'] } },
  });
  const transport = custom({
    request: async ({ method, params }: { method: string; params?: unknown[] }) => {
      // The in-process node has no consensus blocks: this stand-in answers what viem reads of them.
      if (method === 'eth_blockNumber') return toHex(app.height);
      if (method === 'eth_getBlockByNumber') {
        const h = app.height;
        return {
          number: toHex(h),
          hash: blockHash(h),
          parentHash: blockHash(h - 1n),
          timestamp: toHex(app.lastTimeMs / 1000n),
          baseFeePerGas: '0x0',
          gasLimit: toHex(app.blockGasLimit),
          gasUsed: '0x0',
          transactions: [],
        };
      }
      return call(method, params ?? []);
    },
  });
  const client = createPublicClient({ chain, transport });
  return { app, methods, call, mine, client, chain, transport };
}

describe('execution JSON-RPC methods', () => {
  it('serve viem unmodified: send a cash transfer, wait for its receipt, read balanceOf, find the Transfer log', async () => {
    const { client, chain, transport, mine } = await node();
    const wallet = createWalletClient({ account: alice, chain, transport });
    const hash = await wallet.writeContract({
      address: CASH_ADDRESS,
      abi: ERC20_ABI,
      functionName: 'transfer',
      args: [bob.address, 250n],
    });
    await mine();
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 1 });
    expect(receipt.status).toBe('success');
    expect(receipt.blockNumber).toBe(1n);
    expect(receipt.gasUsed).toBeGreaterThan(21_000n);
    expect(
      await client.readContract({
        address: CASH_ADDRESS,
        abi: ERC20_ABI,
        functionName: 'balanceOf',
        args: [bob.address],
      }),
    ).toBe(750n);
    const logs = await client.getContractEvents({
      address: CASH_ADDRESS,
      abi: ERC20_ABI,
      eventName: 'Transfer',
      args: { to: bob.address },
      fromBlock: 0n,
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]!.args).toEqual({ from: alice.address, to: bob.address, value: 250n });
    expect(logs[0]!.transactionHash).toBe(hash);
    const none = await client.getContractEvents({
      address: CASH_ADDRESS,
      abi: ERC20_ABI,
      eventName: 'Transfer',
      args: { to: mallory.address },
      fromBlock: 0n,
    });
    expect(none).toEqual([]);
    const tx = await client.getTransaction({ hash });
    expect(tx.from).toBe(alice.addr);
    expect(tx.nonce).toBe(0);
    expect(await client.getTransactionCount({ address: alice.address })).toBe(1);
    expect(await client.getBalance({ address: alice.address })).toBe(0n);
    expect(await client.getGasPrice()).toBe(0n);
    expect(await client.getCode({ address: CASH_ADDRESS })).toBe('0xfe');
    expect(await client.getCode({ address: alice.address })).toBeUndefined();
    const fees = await client.getFeeHistory({ blockCount: 2, rewardPercentiles: [50] });
    expect(fees.baseFeePerGas).toEqual([0n, 0n, 0n]);
  });

  it('answers eth_getTransactionByHash for a pending transaction with null block fields, then with its block', async () => {
    const { client, chain, transport, mine, call } = await node();
    const wallet = createWalletClient({ account: alice, chain, transport });
    const hash = await wallet.writeContract({
      address: CASH_ADDRESS,
      abi: ERC20_ABI,
      functionName: 'transfer',
      args: [bob.address, 5n],
    });
    const pending = (await call('eth_getTransactionByHash', [hash])) as Record<string, unknown>;
    expect(pending).toMatchObject({
      hash,
      from: alice.address.toLowerCase(),
      to: CASH_ADDRESS.toLowerCase(),
      blockHash: null,
      blockNumber: null,
      transactionIndex: null,
      type: '0x2',
    });
    // viem reads it as a pending transaction.
    const tx = await client.getTransaction({ hash });
    expect(tx.blockNumber).toBeNull();
    expect(tx.from.toLowerCase()).toBe(alice.address.toLowerCase());
    // The fields as served re-serialise to the transaction's own bytes (its hash).
    expect(keccak256(serializeTransaction({ ...tx, data: tx.input } as never))).toBe(hash);
    await mine();
    expect(await call('eth_getTransactionByHash', [hash])).toMatchObject({
      hash,
      blockNumber: '0x1',
      transactionIndex: '0x0',
    });
    expect(await call('eth_getTransactionByHash', [`0x${'ab'.repeat(32)}`])).toBeNull();
  });

  it('reports reverts as code 3 with revert data, which viem decodes to the OpenZeppelin error', async () => {
    const { client, call } = await node();
    const err = await client
      .simulateContract({
        account: bob.address,
        address: CASH_ADDRESS,
        abi: ERC20_ABI,
        functionName: 'transfer',
        args: [alice.address, 10_000n],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BaseError);
    const reverted = (err as BaseError).walk(
      (e) => e instanceof ContractFunctionRevertedError,
    ) as ContractFunctionRevertedError;
    expect(reverted.data?.errorName).toBe('ERC20InsufficientBalance');
    expect(reverted.data?.args).toEqual([bob.address, 500n, 10_000n]);
    const mint = encodeFunctionData({ abi: ERC20_ISSUER_ABI, functionName: 'mint', args: [bob.address, 1n] });
    await expect(
      call('eth_estimateGas', [{ from: alice.addr, to: CASH_ADDRESS, data: mint }]),
    ).rejects.toMatchObject({
      code: 3,
      message: 'execution reverted',
      data: expect.stringMatching(/^0xe2517d3f/),
    });
    const ok = await call('eth_estimateGas', [{ from: issuer.addr, to: CASH_ADDRESS, data: mint }]);
    const used = BigInt(ok as string);
    // The estimate is exactly enough: one less runs out of gas.
    await expect(
      call('eth_call', [{ from: issuer.addr, to: CASH_ADDRESS, data: mint, gas: toHex(used) }, 'latest']),
    ).resolves.toBe('0x');
    await expect(
      call('eth_call', [{ from: issuer.addr, to: CASH_ADDRESS, data: mint, gas: toHex(used - 1n) }]),
    ).rejects.toMatchObject({
      code: -32000,
      message: 'out of gas',
    });
    await expect(call('eth_call', [{ to: ACCOUNTS_ADDRESS, data: '0xd0e30db0' }])).rejects.toMatchObject({
      code: 3,
      data: '0x',
    });
    await expect(call('eth_call', [{ to: 'nope' }])).rejects.toMatchObject({ code: -32602 });
    await expect(call('eth_call', [{ to: CASH_ADDRESS, data: '0x' }, '0x99'])).rejects.toMatchObject({
      message: /historical state/,
    });
  });

  it('rejects bad raw transactions with Ethereum-style messages and tracks pending nonces', async () => {
    const { call, mine } = await node();
    const t = encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [bob.address, 1n] });
    await expect(
      call('eth_sendRawTransaction', [toHex(await signCall(mallory, CASH_ADDRESS, t, 0))]),
    ).rejects.toMatchObject({
      code: -32000,
      message: /sender not registered/,
    });
    await expect(
      call('eth_sendRawTransaction', [toHex(await signCall(alice, CASH_ADDRESS, t, 0, { chainId: 5n }))]),
    ).rejects.toMatchObject({
      message: 'invalid chain id: got 5, this chain is 1337',
    });
    const first = await signCall(alice, CASH_ADDRESS, t, 0);
    expect(await call('eth_sendRawTransaction', [toHex(first)])).toBe(keccak256(first));
    await call('eth_sendRawTransaction', [toHex(await signCall(alice, CASH_ADDRESS, t, 1))]);
    expect(await call('eth_getTransactionCount', [alice.addr, 'pending'])).toBe('0x2');
    expect(await call('eth_getTransactionCount', [alice.addr, 'latest'])).toBe('0x0');
    await mine();
    expect(await call('eth_getTransactionCount', [alice.addr, 'latest'])).toBe('0x2');
    await expect(call('eth_sendRawTransaction', [toHex(first)])).rejects.toMatchObject({
      message: /nonce too low/,
    });
    expect(await call('eth_getTransactionReceipt', [`0x${'ab'.repeat(32)}`])).toBeNull();
  });

  it('filters logs by address, topics and block hash, and proves state with gl_getProof', async () => {
    const { call, mine, app } = await node();
    const t = (to: `0x${string}`, v: bigint) =>
      encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [to, v] });
    await call('eth_sendRawTransaction', [toHex(await signCall(alice, CASH_ADDRESS, t(bob.address, 1n), 0))]);
    await mine();
    await call('eth_sendRawTransaction', [
      toHex(await signCall(alice, CASH_ADDRESS, t(mallory.address, 2n), 1)),
    ]);
    await call('eth_sendRawTransaction', [toHex(await signCall(bob, CASH_ADDRESS, t(alice.address, 3n), 0))]);
    await mine();
    const transferTopic = keccak256(toHex('Transfer(address,address,uint256)'));
    const pad = (a: string) => `0x${a.slice(2).padStart(64, '0')}`;
    const all = (await call('eth_getLogs', [
      { fromBlock: '0x1', toBlock: 'latest', address: CASH_ADDRESS },
    ])) as { logIndex: string; blockNumber: string }[];
    expect(all.map((l) => [l.blockNumber, l.logIndex])).toEqual([
      ['0x1', '0x0'],
      ['0x2', '0x0'],
      ['0x2', '0x1'],
    ]);
    const fromAlice = (await call('eth_getLogs', [
      { fromBlock: '0x1', topics: [transferTopic, pad(alice.addr)] },
    ])) as unknown[];
    expect(fromAlice).toHaveLength(2);
    const either = (await call('eth_getLogs', [
      { fromBlock: '0x1', topics: [null, null, [pad(mallory.addr), pad(alice.addr)]] },
    ])) as unknown[];
    expect(either).toHaveLength(2);
    expect(await call('eth_getLogs', [{ fromBlock: '0x1', address: PROMISES_ADDRESS }])).toEqual([]);
    const byHash = (await call('eth_getLogs', [{ blockHash: keccak256(toHex('block 2')) }])) as unknown[];
    expect(byHash).toHaveLength(2);
    const key = `${CASH_ADDRESS}:bal:${mallory.addr}`;
    const proof = (await call('gl_getProof', [key, 'latest'])) as {
      root: string;
      value: string;
      siblings: string[];
      path: string;
      other: null;
    };
    expect(proof.value).toBe('0x2');
    expect(proof.root).toBe(toHex((await app.info()).appHash));
    const ok = verifySmtProof(fromHex(proof.root), {
      key,
      path: fromHex(proof.path),
      value: BigInt(proof.value),
      siblings: proof.siblings.map(fromHex),
      other: null,
    });
    expect(ok).toBe(true);
  });

  it('throws the one RpcError type from every handler, and selects block logs for subscriptions', async () => {
    const { methods, call, mine, app } = await node();
    const mint = encodeFunctionData({ abi: ERC20_ISSUER_ABI, functionName: 'mint', args: [bob.address, 1n] });
    await expect(
      methods.get('eth_call')!([{ from: alice.addr, to: CASH_ADDRESS, data: mint }], {}),
    ).rejects.toBeInstanceOf(RpcError);
    await expect(
      methods.get('eth_call')!([{ from: alice.addr, to: CASH_ADDRESS, data: mint }], {}),
    ).rejects.toMatchObject({ rpcCode: 3, code: 'E_RPC_EXECUTION_REVERTED' });
    expect(await methods.get('eth_gasPrice')!([], {})).toBe('0x0');
    const t = encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [bob.address, 1n] });
    await call('eth_sendRawTransaction', [toHex(await signCall(alice, CASH_ADDRESS, t, 0))]);
    await mine();
    const block = (await app.loadBlock(1n))!;
    const transferTopic = keccak256(toHex('Transfer(address,address,uint256)'));
    expect(
      selectBlockLogs(block, parseLogFilter({ address: CASH_ADDRESS, topics: [transferTopic] })),
    ).toHaveLength(1);
    // A filter on a fourth topic never matches a three-topic log; a null position matches anything.
    expect(
      selectBlockLogs(block, parseLogFilter({ topics: [null, null, null, transferTopic] })),
    ).toHaveLength(0);
    expect(selectBlockLogs(block, parseLogFilter({ topics: [null] }))).toHaveLength(1);
    expect(() => parseLogFilter({ address: '0x12' })).toThrow(/address\[0\]/);
  });
});
