// End to end with real clients: a 4-validator dev testnet (`init --dev` layout, execution app) in
// separate processes; viem and ethers v6, unmodified, read the chain, send ERC-20 and ERC-721 transfers,
// wait for receipts, read balances and owners, filter Transfer logs and receive newHeads over WebSocket.
// Bad input over RPC is refused or reverted with Ethereum's errors and leaves state unchanged. At the end,
// all 4 nodes agree on every block (hash, state root, receipts root, bloom) and every receipt.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ethTransactionsRoot } from '@gridledger/execution';
import { Contract, JsonRpcProvider, Wallet, WebSocketProvider } from 'ethers';
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  erc20Abi,
  erc721Abi,
  getAddress,
  type Hex,
  hexToBytes,
  http,
  keccak256,
  parseTransaction,
  serializeTransaction,
  webSocket,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initDevNetwork } from '../src/index.ts';
import { freePortRange, TEST_TIMEOUTS, TestNet } from './harness.ts';

interface DevAccount {
  name: string;
  role: string;
  address: Hex;
  privateKey: Hex;
}

const ERC20_EXTRA_ABI = [
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function mint(address to, uint256 amount)',
  'function noSuchFunction()',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)',
];

class DevNet extends TestNet {
  async initDev(): Promise<void> {
    this.basePort = await freePortRange(2 * this.n);
    initDevNetwork({
      validators: this.n,
      outDir: this.dir,
      chainId: 'e2e-dev',
      basePort: this.basePort,
      timeouts: TEST_TIMEOUTS,
      logLevel: 'warn',
    });
  }
}

const net = new DevNet(4);
let dev: DevAccount[];
let addresses: Record<string, Hex>;
let chainId: number;
const sentTxs: Hex[] = [];

const acct = (name: string) => {
  const a = dev.find((d) => d.name === name);
  if (!a) throw new Error(`no dev account ${name}`);
  return a;
};

/** The JSON-RPC error of a raw request (or throws if it succeeded). */
async function rpcError(k: number, method: string, params: unknown[]) {
  const { json } = await net.rpcRaw(k, { jsonrpc: '2.0', id: 1, method, params });
  if (json.error === undefined) throw new Error(`${method} succeeded: ${JSON.stringify(json.result)}`);
  return json.error as { code: number; message: string; data?: unknown };
}

beforeAll(async () => {
  await net.initDev();
  dev = JSON.parse(readFileSync(join(net.dir, 'dev-accounts.json'), 'utf8')).accounts;
  addresses = JSON.parse(readFileSync(join(net.dir, 'addresses.json'), 'utf8'));
  await Promise.all([0, 1, 2, 3].map((k) => net.start(k)));
  await net.waitHeight([0, 1, 2, 3], 2n, 90_000);
}, 180_000);

afterAll(async () => {
  await net.stopAll();
  await net.destroy();
}, 60_000);

describe('execution app on a 4-validator testnet, real clients', () => {
  it('viem and ethers read the chain id and blocks', async () => {
    const pub = createPublicClient({ transport: http(net.rpcUrl(0)) });
    chainId = await pub.getChainId();
    const provider = new JsonRpcProvider(net.rpcUrl(1), undefined, { staticNetwork: true });
    expect((await provider.getNetwork()).chainId).toBe(BigInt(chainId));
    const n = await pub.getBlockNumber();
    expect(n).toBeGreaterThanOrEqual(2n);
    const vb = await pub.getBlock({ blockNumber: 1n });
    const eb = await provider.getBlock(1);
    expect(eb?.hash).toBe(vb.hash);
    expect(vb.receiptsRoot).toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
    expect(vb.baseFeePerGas).toBe(0n);
    provider.destroy();
  }, 60_000);

  it('ethers.Contract sends an ERC-20 transfer; receipt, balanceOf, Transfer filter; viem sees it', async () => {
    const provider = new JsonRpcProvider(net.rpcUrl(1), undefined, {
      staticNetwork: true,
      pollingInterval: 200,
    });
    const alice = acct('participant-1');
    const bob = acct('participant-2');
    const wallet = new Wallet(alice.privateKey, provider);
    const cash = new Contract(addresses.cash!, ERC20_EXTRA_ABI, wallet);
    const before = (await cash.balanceOf!(bob.address)) as bigint;
    const tx = await cash.transfer!(bob.address, 250_000n);
    const receipt = await tx.wait();
    sentTxs.push(receipt.hash);
    expect(receipt.status).toBe(1);
    expect((await cash.balanceOf!(bob.address)) as bigint).toBe(before + 250_000n);
    const events = await cash.queryFilter(
      cash.filters.Transfer!(alice.address, bob.address),
      receipt.blockNumber,
      receipt.blockNumber,
    );
    expect(events).toHaveLength(1);
    expect((events[0] as unknown as { args: unknown[] }).args[2]).toBe(250_000n);
    expect(events[0]!.transactionHash).toBe(receipt.hash);
    // viem on another node: receipt, block with the real transaction, logs by topic.
    const pub = createPublicClient({ transport: http(net.rpcUrl(2)) });
    await net.waitHeight([2], BigInt(receipt.blockNumber), 30_000);
    const r = await pub.getTransactionReceipt({ hash: receipt.hash });
    expect(r.status).toBe('success');
    const block = await pub.getBlock({ blockNumber: r.blockNumber, includeTransactions: true });
    const t = block.transactions.find((x) => x.hash === receipt.hash);
    expect(t?.from).toBe(alice.address);
    expect(t?.to).toBe(addresses.cash);
    expect(block.receiptsRoot).not.toBe('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
    // Ethereum's transactions trie over the block's transactions as viem serialises them back.
    // (ethers sends legacy EIP-155 transactions here; viem serialises a legacy signature only when it is
    // passed apart from the fields.)
    const raws = block.transactions.map((x) =>
      serializeTransaction(
        { ...x, data: x.input } as never,
        { r: x.r, s: x.s, v: x.v, yParity: x.yParity } as never,
      ),
    );
    expect(raws.map((raw) => keccak256(raw))).toEqual(block.transactions.map((x) => x.hash));
    expect(block.transactionsRoot).toBe(await ethTransactionsRoot(raws.map((raw) => hexToBytes(raw))));
    const logs = await pub.getLogs({
      address: addresses.cash!,
      event: erc20Abi.find((x) => x.type === 'event' && x.name === 'Transfer')!,
      args: { to: bob.address },
      fromBlock: r.blockNumber,
      toBlock: r.blockNumber,
    });
    expect(logs.map((l) => l.transactionHash)).toContain(receipt.hash);
    provider.destroy();
  }, 90_000);

  it('the dev genesis runs the energy market: gl_marketConfig and the energy module addresses', async () => {
    expect(addresses.market).toBe('0x0000000000000000000000000000000000001011');
    const { json } = await net.rpcRaw(1, { jsonrpc: '2.0', id: 1, method: 'gl_marketConfig', params: [] });
    const v = json.result as {
      config: { intervalMs: string; gridOperator: string; minStepWh?: string; sealed?: unknown };
      openInterval: string;
    };
    expect(v.config.intervalMs).toBe('300000');
    // init --dev: steps of at least 1 kWh, sealed bids (docs/market-rules.md §6b).
    expect(v.config.minStepWh).toBe('1000');
    expect(v.config.sealed).toEqual({ revealWindowMs: '30000', forfeitBps: '1000' });
    expect(v.config.gridOperator).toBe(acct('grid-operator').address.toLowerCase());
    // Block times are wall-clock ms: the open interval is the one after now's, at least.
    expect(BigInt(v.openInterval)).toBeGreaterThan(BigInt(Date.now()) / 300_000n);
    const iv = await net.rpcRaw(0, {
      jsonrpc: '2.0',
      id: 2,
      method: 'gl_interval',
      params: [v.openInterval],
    });
    expect((iv.json.result as { status: string }).status).toBe('open');
  });

  it('ERC-721: viem wallet transfers a promise, ownerOf follows; ethers reads it', async () => {
    const p1 = acct('participant-1');
    const p3 = acct('participant-3');
    const url = net.rpcUrl(3);
    const chain = {
      id: chainId,
      name: 'gridledger-dev',
      nativeCurrency: { name: 'none', symbol: 'NONE', decimals: 18 },
      rpcUrls: { default: { http: [url] } },
    } as const;
    const pub = createPublicClient({ chain, transport: http(url) });
    const wallet = createWalletClient({
      account: privateKeyToAccount(p1.privateKey),
      chain,
      transport: http(url),
    });
    expect(
      await pub.readContract({
        address: addresses.promises!,
        abi: erc721Abi,
        functionName: 'ownerOf',
        args: [1n],
      }),
    ).toBe(getAddress(p1.address));
    const hash = await wallet.writeContract({
      address: addresses.promises!,
      abi: erc721Abi,
      functionName: 'transferFrom',
      args: [p1.address, p3.address, 1n],
    });
    const r = await pub.waitForTransactionReceipt({ hash, pollingInterval: 200 });
    sentTxs.push(hash);
    expect(r.status).toBe('success');
    expect(
      await pub.readContract({
        address: addresses.promises!,
        abi: erc721Abi,
        functionName: 'ownerOf',
        args: [1n],
      }),
    ).toBe(getAddress(p3.address));
    const provider = new JsonRpcProvider(net.rpcUrl(0), undefined, { staticNetwork: true });
    await net.waitHeight([0], r.blockNumber, 30_000);
    const nft = new Contract(
      addresses.promises!,
      [
        'function ownerOf(uint256) view returns (address)',
        'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
      ],
      provider,
    );
    expect(((await nft.ownerOf!(1n)) as string).toLowerCase()).toBe(p3.address);
    const ev = await nft.queryFilter(nft.filters.Transfer!(null, null, 1n), r.blockNumber, r.blockNumber);
    expect(ev.map((e) => e.transactionHash)).toEqual([hash]);
    provider.destroy();
  }, 90_000);

  it('newHeads over WebSocket (ethers and viem) and logs subscriptions', async () => {
    const ws = new WebSocketProvider(net.rpcUrl(0).replace('http', 'ws'));
    const ethersHeads: number[] = [];
    await ws.on('block', (n: number) => ethersHeads.push(n));
    const client = createPublicClient({ transport: webSocket(net.rpcUrl(1).replace('http', 'ws')) });
    const viemHeads: bigint[] = [];
    const unwatch = client.watchBlocks({ onBlock: (b) => viemHeads.push(b.number!) });
    // A transfer while subscribed: its log arrives on a logs subscription.
    const logs: Hex[] = [];
    const unwatchLogs = client.watchContractEvent({
      address: addresses.cash!,
      abi: erc20Abi,
      eventName: 'Transfer',
      onLogs: (ls) => logs.push(...ls.map((l) => l.transactionHash!)),
    });
    await new Promise((r) => setTimeout(r, 500));
    const provider = new JsonRpcProvider(net.rpcUrl(2), undefined, {
      staticNetwork: true,
      pollingInterval: 200,
    });
    const cash = new Contract(
      addresses.cash!,
      ERC20_EXTRA_ABI,
      new Wallet(acct('participant-4').privateKey, provider),
    );
    const tx = await cash.transfer!(acct('participant-2').address, 7n);
    const receipt = await tx.wait();
    sentTxs.push(receipt.hash);
    const deadline = Date.now() + 30_000;
    while (
      (ethersHeads.length < 3 || viemHeads.length < 3 || !logs.includes(receipt.hash)) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    unwatch();
    unwatchLogs();
    await ws.destroy();
    provider.destroy();
    expect(ethersHeads.length).toBeGreaterThanOrEqual(3);
    expect(viemHeads.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < viemHeads.length; i++) expect(viemHeads[i]).toBe(viemHeads[i - 1]! + 1n);
    expect(logs).toContain(receipt.hash);
  }, 90_000);

  it('bad input: refused or reverted with the right error, state unchanged', async () => {
    const alice = acct('participant-1');
    const bob = acct('participant-2');
    const cashAddr = addresses.cash!;
    const pub = createPublicClient({ transport: http(net.rpcUrl(0)) });
    const balance = (a: Hex) =>
      pub.readContract({ address: cashAddr, abi: erc20Abi, functionName: 'balanceOf', args: [a] });
    const supply = () => pub.readContract({ address: cashAddr, abi: erc20Abi, functionName: 'totalSupply' });
    const nonce = (a: Hex) => pub.getTransactionCount({ address: a });
    const aliceKey = privateKeyToAccount(alice.privateKey);
    const transferData = encodeFunctionData({
      abi: erc20Abi,
      functionName: 'transfer',
      args: [bob.address, 1n],
    });
    // A valid transfer, committed; its bytes are replayed below.
    const firstNonce = await nonce(alice.address);
    const replayRaw = await aliceKey.signTransaction({
      type: 'eip1559',
      chainId,
      nonce: firstNonce,
      to: cashAddr,
      data: transferData,
      gas: 100_000n,
      maxFeePerGas: 0n,
      maxPriorityFeePerGas: 0n,
    });
    const replayHash = (await net.rpc(0, 'eth_sendRawTransaction', [replayRaw])) as Hex;
    expect(replayHash).toBe(keccak256(replayRaw));
    expect((await pub.waitForTransactionReceipt({ hash: replayHash, pollingInterval: 200 })).status).toBe(
      'success',
    );
    sentTxs.push(replayHash);
    const a0 = await balance(alice.address);
    const b0 = await balance(bob.address);
    const s0 = await supply();
    const n0 = await nonce(alice.address);
    expect(n0).toBe(firstNonce + 1);
    const sign = (over: Record<string, unknown> = {}, key = aliceKey) =>
      key.signTransaction({
        type: 'eip1559',
        chainId,
        nonce: n0,
        to: cashAddr,
        data: transferData,
        gas: 100_000n,
        maxFeePerGas: 0n,
        maxPriorityFeePerGas: 0n,
        ...over,
      } as Parameters<typeof aliceKey.signTransaction>[0]);
    const send = (raw: Hex) => rpcError(0, 'eth_sendRawTransaction', [raw]);

    expect((await send(await sign({ chainId: chainId + 1 }))).message).toMatch(/^invalid chain id/);
    // High-s signature (EIP-2): not accepted.
    const good = parseTransaction(await sign());
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = serializeTransaction(good, {
      r: good.r!,
      s: `0x${(N - BigInt(good.s!)).toString(16).padStart(64, '0')}` as Hex,
      yParity: good.yParity === 0 ? 1 : 0,
    });
    const e1 = await send(highS);
    expect(e1.code).toBe(-32000);
    expect(e1.message).toMatch(/^invalid signature/);
    // Replay: the raw bytes of the committed transfer.
    expect((await send(replayRaw)).message).toMatch(/^nonce too low/);
    expect((await send(await sign({ nonce: n0 + 5000 }))).message).toMatch(/^nonce too high/);
    const stranger = privateKeyToAccount(generatePrivateKey());
    expect((await send(await sign({}, stranger))).message).toMatch(/^sender not registered/);
    expect((await send(await sign({ gas: 21_000n }))).message).toMatch(/^intrinsic gas too low/);
    expect(await nonce(alice.address)).toBe(n0);

    // Reverts: eth_call / estimateGas answer code 3 with revert data; mined with a fixed gas limit, status 0.
    const unknownFn = '0xdeadbeef';
    const ce = await rpcError(0, 'eth_call', [
      { from: alice.address, to: cashAddr, data: unknownFn },
      'latest',
    ]);
    expect(ce.code).toBe(3);
    expect(ce.message).toBe('execution reverted');
    const provider = new JsonRpcProvider(net.rpcUrl(0), undefined, {
      staticNetwork: true,
      pollingInterval: 200,
    });
    const cash = new Contract(cashAddr, ERC20_EXTRA_ABI, new Wallet(alice.privateKey, provider));
    // ethers decodes the custom errors from the revert data (staticCall), and a send fails at estimateGas.
    await expect(cash.transfer!.staticCall(bob.address, a0 + 1n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      revert: { name: 'ERC20InsufficientBalance', args: [getAddress(alice.address), a0, a0 + 1n] },
    });
    await expect(cash.mint!.staticCall(alice.address, 1n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      revert: { name: 'AccessControlUnauthorizedAccount' },
    });
    for (const attempt of [cash.transfer!(bob.address, a0 + 1n), cash.mint!(alice.address, 1n)]) {
      const e = await attempt.then(
        () => undefined,
        (err: { code: string; data: string }) => err,
      );
      expect(e?.code).toBe('CALL_EXCEPTION');
      expect(cash.interface.parseError(e!.data)?.name).toMatch(
        /^(ERC20InsufficientBalance|AccessControlUnauthorizedAccount)$/,
      );
    }
    // The same three mined (explicit gas): receipts with status 0 and the reason; plus out of gas.
    const wallet = new Wallet(alice.privateKey, provider);
    const mined = [
      await wallet.sendTransaction({ to: cashAddr, data: unknownFn, gasLimit: 100_000n, nonce: n0 }),
      await cash.transfer!(bob.address, a0 + 1n, { gasLimit: 100_000n, nonce: n0 + 1 }),
      await cash.mint!(alice.address, 1n, { gasLimit: 100_000n, nonce: n0 + 2 }),
      await cash.transfer!(bob.address, 1n, { gasLimit: 22_000n, nonce: n0 + 3 }),
    ];
    const errors: string[] = [];
    for (const t of mined) {
      await expect(t.wait()).rejects.toMatchObject({ code: 'CALL_EXCEPTION' });
      const raw = await net.rpc(0, 'eth_getTransactionReceipt', [t.hash]);
      expect(raw.status).toBe('0x0');
      errors.push(raw.error);
      sentTxs.push(t.hash as Hex);
    }
    expect(errors).toEqual(['execution reverted', 'execution reverted', 'execution reverted', 'out of gas']);
    // State unchanged but for the nonce (gas is free).
    expect(await balance(alice.address)).toBe(a0);
    expect(await balance(bob.address)).toBe(b0);
    expect(await supply()).toBe(s0);
    expect(await nonce(alice.address)).toBe(n0 + 4);
    provider.destroy();
  }, 120_000);

  it('determinism: all 4 nodes hold identical blocks, state roots, receipts roots and receipts', async () => {
    const top = await net.height(0);
    await net.waitHeight([0, 1, 2, 3], top + 1n, 30_000);
    for (let h = 1n; h <= top; h++) {
      const blocks = await Promise.all(
        [0, 1, 2, 3].map((k) => net.rpc(k, 'eth_getBlockByNumber', [`0x${h.toString(16)}`, false])),
      );
      for (const b of blocks.slice(1)) {
        expect(b.hash).toBe(blocks[0].hash);
        expect(b.stateRoot).toBe(blocks[0].stateRoot);
        expect(b.receiptsRoot).toBe(blocks[0].receiptsRoot);
        expect(b.logsBloom).toBe(blocks[0].logsBloom);
        expect(b.transactions).toEqual(blocks[0].transactions);
      }
    }
    expect(sentTxs.length).toBeGreaterThanOrEqual(7);
    for (const hash of sentTxs) {
      const rs = await Promise.all([0, 1, 2, 3].map((k) => net.rpc(k, 'eth_getTransactionReceipt', [hash])));
      expect(rs[0]).not.toBeNull();
      for (const r of rs.slice(1)) expect(r).toEqual(rs[0]);
    }
  }, 120_000);
});
