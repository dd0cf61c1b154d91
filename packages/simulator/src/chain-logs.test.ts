// ChainClient.logs against a real HTTP server on 127.0.0.1 that answers eth_getLogs like a node with a
// result limit: a range holding more logs than the limit is refused, and the client splits it in halves
// until each part fits, returning every log once, in block order.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from './chain.ts';

const LIMIT = 100;
/** Logs per block: a busy block (height 40) with 90 logs, 3 elsewhere. */
const perBlock = (h: number) => (h === 40 ? 90 : 3);
let server: Server;
let url: string;
const ranges: [number, number][] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const r = JSON.parse(body) as { id: number; params: [{ fromBlock: string; toBlock: string }] };
      const a = Number(r.params[0].fromBlock);
      const b = Number(r.params[0].toBlock);
      ranges.push([a, b]);
      const logs = [];
      for (let h = a; h <= b; h++)
        for (let i = 0; i < perBlock(h); i++)
          logs.push({
            topics: [`0x${h.toString(16).padStart(64, '0')}`],
            data: `0x${i.toString(16).padStart(2, '0')}`,
            blockNumber: `0x${h.toString(16)}`,
          });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify(
          logs.length > LIMIT
            ? {
                jsonrpc: '2.0',
                id: r.id,
                error: {
                  code: -32000,
                  message: `query returned more than ${LIMIT} results: narrow the block range or filters`,
                },
              }
            : { jsonrpc: '2.0', id: r.id, result: logs },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('ChainClient.logs', () => {
  it('splits a range the node refuses as too many results, and returns every log once in order', async () => {
    const c = new ChainClient([url]);
    const logs = await c.logs(`0x${'11'.repeat(20)}`, [null], 1n, 60n);
    let expected = 0;
    for (let h = 1; h <= 60; h++) expected += perBlock(h);
    expect(logs).toHaveLength(expected);
    const heights = logs.map((l) => Number(l.blockNumber));
    expect(heights).toEqual([...heights].sort((x, y) => x - y));
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges[0]).toEqual([1, 60]);
  });

  it('passes on an error that splitting cannot help', async () => {
    const c = new ChainClient(['http://127.0.0.1:1']);
    await expect(c.logs(`0x${'11'.repeat(20)}`, [null], 1n, 2n)).rejects.toThrow(/cannot reach/);
  });
});
