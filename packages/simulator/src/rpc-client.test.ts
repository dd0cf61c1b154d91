// The driver's JSON-RPC client against a real HTTP server on 127.0.0.1: batches are split by count and by
// body size (a node refuses bodies over 1 MiB; 50 readings transactions of ~58 kB are ~5.8 MB of JSON),
// answers come back in request order, and per-request errors come back as values.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from './rpc-client.ts';

let server: Server;
let url: string;
const bodies: number[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      bodies.push(body.length);
      res.setHeader('content-type', 'application/json');
      if (body.length > 1024 * 1024) {
        res.end(
          JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'body too large' } }),
        );
        return;
      }
      const reqs = JSON.parse(body.toString()) as { id: number; params: string[] }[];
      // Answered in reverse order: the client must match by id.
      const answers = reqs.map((r) =>
        r.params[0] === 'bad'
          ? { jsonrpc: '2.0', id: r.id, error: { code: -32000, message: 'rejected' } }
          : { jsonrpc: '2.0', id: r.id, result: r.params[0]!.length },
      );
      res.end(JSON.stringify(answers.reverse()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('RpcClient.batch', () => {
  it('splits a batch of large requests under the byte limit and keeps request order', async () => {
    bodies.length = 0;
    const big = (n: number) => 'x'.repeat(116_000 + n);
    const reqs = Array.from({ length: 50 }, (_, i) => ({
      method: 'eth_sendRawTransaction',
      params: [big(i)],
    }));
    const out = await new RpcClient(url, { maxBatch: 50 }).batch(reqs);
    expect(out.map((o) => (o.ok ? o.result : o.error.message))).toEqual(reqs.map((_, i) => 116_000 + i));
    expect(bodies.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(800 * 1024);
  });

  it('splits small requests by count, and returns per-request errors as values', async () => {
    bodies.length = 0;
    const reqs = Array.from({ length: 25 }, (_, i) => ({ method: 'm', params: [i === 7 ? 'bad' : 'ok'] }));
    const out = await new RpcClient(url, { maxBatch: 10 }).batch(reqs);
    expect(bodies).toHaveLength(3);
    expect(out[7]).toEqual({ ok: false, error: { code: -32000, message: 'rejected' } });
    expect(out.filter((o) => o.ok)).toHaveLength(24);
  });

  it('sends a lone request larger than the limit by itself, and the server refusing it is an error', async () => {
    const client = new RpcClient(url, { maxBatchBytes: 1000 });
    await expect(client.batch([{ method: 'm', params: ['y'.repeat(1_100_000)] }])).rejects.toThrow(
      /body too large/,
    );
  });
});
