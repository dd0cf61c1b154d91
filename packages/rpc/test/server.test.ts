// The RPC server against a real chain (store + kv app + mempool, consensus codecs): every method's happy
// path, Ethereum shapes parsed by viem, WebSocket requests and newHeads, and every kind of bad request
// answered with the right JSON-RPC error while the server keeps serving.
import { fromHex, toHex, utf8 } from '@gridledger/base';
import { hashBlock, verifyCommit } from '@gridledger/consensus';
import { sha256 } from '@gridledger/crypto';
import { createPublicClient, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { proposerAddress, RpcServer } from '../src/index.ts';
import { CHAIN_ID, type Chain, ETH_CHAIN_ID, openChain } from './chain-fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC responses, checked field by field by the assertions
type Json = any;

let chain: Chain;
let server: RpcServer;

beforeAll(async () => {
  chain = await openChain({ maxTxs: 4 });
  for (const tx of ['alpha=1', 'beta=2']) expect((await chain.mempool.add(utf8(tx))).ok).toBe(true);
  await chain.produceBlock(); // 1: alpha, beta
  await chain.produceBlock(); // 2: empty
  server = await RpcServer.start({ backend: chain.backend, maxBodyBytes: 64 * 1024, maxBatch: 10 });
});
afterAll(async () => {
  await server?.close();
  await chain?.close();
});

async function post(body: string): Promise<{ status: number; json: Json }> {
  const res = await fetch(server.url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}
let nextId = 1;
async function call(method: string, params?: unknown[]): Promise<Json> {
  const id = nextId++;
  const { json } = await post(JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) }));
  expect(json.id).toBe(id);
  return json;
}
async function result(method: string, params?: unknown[]): Promise<Json> {
  const r = await call(method, params);
  expect(r.error).toBeUndefined();
  return r.result;
}

describe('RPC read side: happy paths', () => {
  it('answers the node and chain identity methods', async () => {
    expect(await result('web3_clientVersion')).toMatch(/^gridledger\/0\.1\.0\/node-v/);
    const chainId = ETH_CHAIN_ID;
    expect(await result('eth_chainId')).toBe(`0x${chainId.toString(16)}`);
    expect(await result('net_version')).toBe(chainId.toString());
    expect(await result('net_peerCount')).toBe('0x3');
    expect(await result('eth_blockNumber')).toBe('0x2');
  });

  it('returns blocks in the Ethereum shape by number, tag and hash', async () => {
    const b1 = chain.blocks[0]!;
    const hash1 = toHex(hashBlock(b1.header));
    const byNumber = await result('eth_getBlockByNumber', ['0x1', false]);
    expect(byNumber).toMatchObject({
      number: '0x1',
      hash: hash1,
      parentHash: `0x${'00'.repeat(32)}`,
      timestamp: `0x${(b1.header.timeMs / 1000n).toString(16)}`,
      timestampMs: `0x${b1.header.timeMs.toString(16)}`,
      transactionsRoot: toHex(b1.header.txRoot),
      stateRoot: toHex(b1.header.appHash),
      miner: proposerAddress(b1.header.proposer),
      gasLimit: '0x0',
      gasUsed: '0x0',
      baseFeePerGas: '0x0',
      logsBloom: `0x${'00'.repeat(256)}`,
      uncles: [],
      transactions: [toHex(sha256(utf8('alpha=1'))), toHex(sha256(utf8('beta=2')))],
    });
    const latest = await result('eth_getBlockByNumber', ['latest', false]);
    expect(latest.number).toBe('0x2');
    expect(latest.parentHash).toBe(hash1);
    expect((await result('eth_getBlockByNumber', ['earliest'])).hash).toBe(hash1);
    expect(await result('eth_getBlockByNumber', ['0x63', false])).toBeNull();
    expect(await result('eth_getBlockByNumber', ['0x0', false])).toBeNull();
    const byHash = await result('eth_getBlockByHash', [hash1, true]);
    expect(byHash.transactions[1]).toMatchObject({
      hash: toHex(sha256(utf8('beta=2'))),
      input: toHex(utf8('beta=2')),
      blockHash: hash1,
      blockNumber: '0x1',
      transactionIndex: '0x1',
    });
    expect(await result('eth_getBlockByHash', [`0x${'ab'.repeat(32)}`, false])).toBeNull();
    expect(await result('eth_getBlockTransactionCountByNumber', ['0x1'])).toBe('0x2');
  });

  it('viem parses chain id, block number and blocks', async () => {
    const client = createPublicClient({ transport: http(server.url) });
    expect(BigInt(await client.getChainId())).toBe(ETH_CHAIN_ID);
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(2n);
    const b = await client.getBlock({ blockNumber: 1n });
    expect(b.number).toBe(1n);
    expect(b.hash).toBe(toHex(hashBlock(chain.blocks[0]!.header)));
    expect(b.timestamp).toBe(chain.blocks[0]!.header.timeMs / 1000n);
    expect(b.transactions).toHaveLength(2);
    const full = await client.getBlock({ blockHash: b.hash!, includeTransactions: true });
    expect(full.transactions[0]!.input).toBe(toHex(utf8('alpha=1')));
    const latest = await client.getBlock();
    expect(latest.number).toBe(2n);
    expect(latest.parentHash).toBe(b.hash);
  });

  it('reports status, validators and a commit certificate that verifies', async () => {
    const status = await result('gl_status');
    expect(status).toEqual({
      chainId: CHAIN_ID,
      height: '2',
      latestHash: toHex(hashBlock(chain.blocks[1]!.header)),
      latestTimeMs: chain.blocks[1]!.header.timeMs.toString(),
      peers: 3,
      validator: { publicKey: toHex(chain.signers[0]!.publicKey), index: 0 },
      catchingUp: false,
      jailed: [],
    });
    const vals = await result('gl_validators');
    expect(vals).toHaveLength(4);
    expect(vals[2]).toEqual({
      index: 2,
      publicKey: toHex(chain.signers[2]!.publicKey),
      power: '10',
      jailed: null,
    });
    const c = await result('gl_commit', ['0x1']);
    expect(c.height).toBe('1');
    expect(c.blockHash).toBe(toHex(hashBlock(chain.blocks[0]!.header)));
    expect(c.signatures.map((s: Json) => s.validatorIndex)).toEqual([0, 1, 2]);
    const cert = {
      height: BigInt(c.height),
      round: c.round,
      blockHash: fromHex(c.blockHash),
      signatures: c.signatures.map((s: Json) => ({
        validatorIndex: s.validatorIndex,
        signature: fromHex(s.signature),
      })),
    };
    expect(verifyCommit(cert, chain.valset, CHAIN_ID)).toEqual({ ok: true });
    expect(await result('gl_commit', [2])).toMatchObject({ height: '2' });
    expect(await result('gl_commit', ['0x9'])).toBeNull();
  });

  it('accepts a transaction into the mempool and shows it in the next block', async () => {
    const tx = toHex(utf8('gamma=3'));
    const sent = await result('gl_sendTx', [tx]);
    expect(sent).toEqual({ hash: toHex(sha256(utf8('gamma=3'))) });
    const again = await call('broadcast_tx', [tx]);
    expect(again.error).toMatchObject({ code: -32000, data: { code: 'duplicate' } });
    expect(again.error.message).toMatch(/already in the mempool/);
    const bad = await call('gl_sendTx', [toHex(utf8('no-equals'))]);
    expect(bad.error).toMatchObject({ code: -32000, data: { code: 'rejected' } });
    expect(bad.error.message).toBe(
      "transaction rejected: malformed transaction: expected key=value, found no '='",
    );
    await chain.produceBlock();
    const b3 = await result('eth_getBlockByNumber', ['0x3', false]);
    expect(b3.transactions).toEqual([sent.hash]);
    expect(chain.app.query(utf8('gamma'))).toEqual(utf8('3'));
  });

  it('reads committed application state with gl_query', async () => {
    expect(await result('gl_query', [toHex(utf8('gamma'))])).toEqual({
      height: '3',
      key: toHex(utf8('gamma')),
      value: toHex(utf8('3')),
    });
    expect((await result('gl_query', [toHex(utf8('missing'))])).value).toBeNull();
    expect((await call('gl_query', ['0x'])).error.code).toBe(-32602);
  });

  it('says the mempool is full through the RPC error', async () => {
    for (const t of ['f1=1', 'f2=1', 'f3=1', 'f4=1']) await result('gl_sendTx', [toHex(utf8(t))]);
    const full = await call('gl_sendTx', [toHex(utf8('f5=1'))]);
    expect(full.error.code).toBe(-32000);
    expect(full.error.message).toMatch(/^transaction rejected: mempool full: 4 txs \/ 16 bytes, limit 4 txs/);
    await chain.produceBlock();
    expect(chain.mempool.size).toBe(0);
  });
});

describe('RPC read side: bad requests get JSON-RPC errors and the server keeps running', () => {
  it('maps malformed requests to the standard codes', async () => {
    const parse = await post('{"jsonrpc": "2.0", "method": ');
    expect(parse.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect((await post('42')).json.error.code).toBe(-32600);
    expect((await post('{"id":1,"method":"eth_blockNumber"}')).json).toMatchObject({
      id: 1,
      error: { code: -32600 },
    });
    expect((await post('{"jsonrpc":"2.0","id":1,"method":7}')).json.error.code).toBe(-32600);
    expect((await post('{"jsonrpc":"2.0","id":{},"method":"eth_blockNumber"}')).json.error.code).toBe(-32600);
    expect(
      (await post('{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":3}')).json.error.code,
    ).toBe(-32600);
    const unknown = await call('eth_mine');
    expect(unknown.error).toEqual({ code: -32601, message: 'method not found: eth_mine' });
  });

  it('rejects bad params with -32602 and a message saying what was expected', async () => {
    const cases: [string, unknown[], RegExp][] = [
      ['eth_getBlockByNumber', ['12'], /hex number or one of "latest"/],
      ['eth_getBlockByNumber', ['0xzz'], /hex quantity/],
      ['eth_getBlockByNumber', ['0x1', 'yes'], /true or false/],
      ['eth_getBlockByNumber', [], /expected \[block number or tag, full transactions\?\], got 0 parameters/],
      ['eth_getBlockByHash', ['0x1234', false], /block hash must be 32 bytes, got 2/],
      ['eth_getBlockByHash', ['nothex', false], /0x-prefixed hex/],
      ['gl_commit', [-1], /non-negative integer/],
      ['gl_commit', [], /expected \[height\]/],
      ['gl_sendTx', ['0x'], /must not be empty/],
      ['gl_sendTx', [123], /0x-prefixed hex/],
      ['eth_blockNumber', [1], /no parameters/],
    ];
    for (const [method, params, message] of cases) {
      const r = await call(method, params);
      expect(r.error?.code, `${method} ${JSON.stringify(params)}`).toBe(-32602);
      expect(r.error.message).toMatch(message);
    }
    const named = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'gl_commit', params: { height: 1 } }),
    );
    expect(named.json.error).toMatchObject({ code: -32602, message: /positional params/ });
  });

  it('handles batches, notifications and batch limits', async () => {
    const batch = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'eth_blockNumber' },
        { jsonrpc: '2.0', method: 'eth_blockNumber' },
        { jsonrpc: '2.0', id: 'b', method: 'nope' },
        7,
      ]),
    );
    expect(batch.json).toEqual([
      { jsonrpc: '2.0', id: 'a', result: '0x4' },
      { jsonrpc: '2.0', id: 'b', error: { code: -32601, message: 'method not found: nope' } },
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'invalid request: expected a JSON object' },
      },
    ]);
    const onlyNotifications = await post(JSON.stringify([{ jsonrpc: '2.0', method: 'eth_blockNumber' }]));
    expect(onlyNotifications.status).toBe(204);
    expect((await post('[]')).json.error).toMatchObject({ code: -32600, message: /empty batch/ });
    const big = Array.from({ length: 11 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_blockNumber' }));
    expect((await post(JSON.stringify(big))).json.error.message).toBe(
      'invalid request: batch of 11 requests, limit 10',
    );
  });

  it('refuses an oversized transaction with a clear error and changes nothing', async () => {
    const before = { height: chain.store.latestHeight(), pool: chain.mempool.size };
    const r = await call('gl_sendTx', [toHex(new Uint8Array(2000).fill(0x61))]);
    expect(r.error).toMatchObject({ code: -32000, data: { code: 'rejected' } });
    expect(r.error.message).toBe('transaction rejected: transaction too large: 2000 bytes, limit 1089');
    expect({ height: chain.store.latestHeight(), pool: chain.mempool.size }).toEqual(before);
  });

  it('survives clients that hang up mid-request', async () => {
    const { connect } = await import('node:net');
    for (const partial of [
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"jsonrpc":',
      'GARBAGE\r\n\r\n',
    ]) {
      await new Promise<void>((resolve) => {
        const sock = connect(server.port, '127.0.0.1', () => {
          sock.write(partial);
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 20);
        });
        sock.on('error', () => resolve());
      });
    }
    expect(await result('eth_blockNumber')).toBe('0x4');
  });

  it('refuses an oversized body with 413 and a JSON-RPC error, and GET with 405', async () => {
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'gl_sendTx',
      params: [`0x${'61'.repeat(40_000)}`],
    });
    const r = await post(huge);
    expect(r.status).toBe(413);
    expect(r.json.error).toEqual({ code: -32600, message: 'invalid request: body larger than 65536 bytes' });
    const get = await fetch(server.url);
    expect(get.status).toBe(405);
    expect(((await get.json()) as Json).error.code).toBe(-32600);
    expect(await result('eth_blockNumber')).toBe('0x4');
  });
});

describe('RPC over WebSocket', () => {
  function open(): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(server.wsUrl);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }
  function nextMessage(ws: WebSocket): Promise<Json> {
    return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
  }

  it('answers requests and batches, and pushes newHeads to subscribers', async () => {
    const ws = await open();
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }));
    expect(await nextMessage(ws)).toEqual({ jsonrpc: '2.0', id: 1, result: '0x4' });
    ws.send('not json');
    expect((await nextMessage(ws)).error.code).toBe(-32700);
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_subscribe', params: ['newHeads'] }));
    const sub = await nextMessage(ws);
    expect(sub.result).toMatch(/^0x[0-9a-f]+$/);
    const pushed = nextMessage(ws);
    await chain.produceBlock();
    const note = await pushed;
    expect(note).toMatchObject({
      method: 'eth_subscription',
      params: { subscription: sub.result, result: { number: '0x5' } },
    });
    expect(note.params.result.hash).toBe(toHex(hashBlock(chain.blocks[4]!.header)));
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'eth_unsubscribe', params: [sub.result] }));
    expect((await nextMessage(ws)).result).toBe(true);
    ws.close();
  });

  it('refuses eth_subscribe over HTTP, and closes a WebSocket that sends an oversized message', async () => {
    const r = await call('eth_subscribe', ['newHeads']);
    expect(r.error).toEqual({ code: -32601, message: 'eth_subscribe is only available over WebSocket' });
    const ws = await open();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(70_000));
    expect(await closed).toBe(1009);
    expect(await result('eth_blockNumber')).toBe('0x5');
  });
});
