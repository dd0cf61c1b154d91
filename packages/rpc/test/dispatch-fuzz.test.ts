// Property test: whatever JSON (or non-JSON) arrives, the dispatcher answers with well-formed JSON-RPC
// 2.0 (or nothing for notifications), never throws, and never changes the chain.
import { utf8 } from '@gridledger/base';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMethods, RpcDispatcher } from '../src/index.ts';
import { type Chain, openChain } from './chain-fixture.ts';

let chain: Chain;
let dispatcher: RpcDispatcher;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  chain = await openChain();
  await chain.mempool.add(utf8('seed=1'));
  await chain.produceBlock();
  dispatcher = new RpcDispatcher(
    buildMethods({ backend: chain.backend, clientVersion: 'test', maxTxBytes: 4096 }),
    {
      onInternalError: (_m, err) => internalErrors.push(err),
    },
  );
});
afterAll(async () => {
  await chain?.close();
});

const methodName = fc.constantFrom(
  'web3_clientVersion',
  'net_version',
  'net_peerCount',
  'eth_chainId',
  'eth_blockNumber',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getBlockTransactionCountByNumber',
  'gl_status',
  'gl_validators',
  'gl_commit',
  'gl_query',
  'eth_subscribe',
  'eth_unsubscribe',
  'nope',
);
const param = fc.oneof(
  fc.constantFrom(
    'latest',
    'earliest',
    '0x0',
    '0x1',
    '0xffffffffffffffff',
    '0x',
    '0xzz',
    `0x${'ab'.repeat(32)}`,
  ),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const request = fc.record(
  {
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('1.0'), fc.integer()),
    id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.object({ maxDepth: 0 })),
    method: fc.oneof(methodName, fc.integer()),
    params: fc.oneof(fc.array(param, { maxLength: 3 }), fc.object({ maxDepth: 1 }), fc.integer()),
  },
  { requiredKeys: [] },
);

function checkResponse(r: unknown): void {
  expect(r).toBeTypeOf('object');
  const o = r as Record<string, unknown>;
  expect(o.jsonrpc).toBe('2.0');
  expect('id' in o).toBe(true);
  expect('result' in o !== 'error' in o).toBe(true);
  if ('error' in o) {
    const e = o.error as { code: unknown; message: unknown };
    expect([-32700, -32600, -32601, -32602, -32000]).toContain(e.code);
    expect(typeof e.message).toBe('string');
  }
}

describe('RpcDispatcher under arbitrary input', () => {
  it('always answers with well-formed JSON-RPC and leaves the chain unchanged', async () => {
    const height = chain.store.latestHeight();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          request.map((r) => JSON.stringify(r)),
          fc.array(request, { minLength: 1, maxLength: 4 }).map((r) => JSON.stringify(r)),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          const out = await dispatcher.handleText(text);
          if (out === undefined) return;
          const parsed = JSON.parse(out) as unknown;
          if (Array.isArray(parsed)) parsed.forEach(checkResponse);
          else checkResponse(parsed);
        },
      ),
      { numRuns: 400 },
    );
    expect(internalErrors).toEqual([]);
    expect(chain.store.latestHeight()).toBe(height);
    expect(chain.mempool.size).toBe(0);
  });
});
