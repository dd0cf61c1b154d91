// The JSON-RPC client against a real HTTP server on 127.0.0.1: batches are split by count and by body size
// (a node refuses bodies over 1 MiB; 50 readings transactions of ~58 kB are ~5.8 MB of JSON), answers come
// back in request order, and per-request errors come back as values; single calls throw RpcCallError with
// the node's code; a request that gets no answer is tried again.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GridledgerError } from '@gridledger/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcCallError } from './errors.ts';
import { RpcClient } from './http.ts';

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

describe('RpcClient.request', () => {
  let single: Server;
  let singleUrl: string;
  let connections = 0;
  beforeAll(async () => {
    // Drops the first two connections without an answer, then answers: eth_chainId, or an error with data.
    single = createServer((req, res) => {
      connections++;
      if (connections <= 2) {
        req.socket.destroy();
        return;
      }
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const r = JSON.parse(Buffer.concat(parts).toString()) as { id: number; method: string };
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify(
            r.method === 'eth_chainId'
              ? { jsonrpc: '2.0', id: r.id, result: '0x539' }
              : {
                  jsonrpc: '2.0',
                  id: r.id,
                  error: { code: 3, message: 'execution reverted: no', data: '0x08c379a0' },
                },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => single.listen(0, '127.0.0.1', resolve));
    singleUrl = `http://127.0.0.1:${(single.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => single.close(() => resolve())));

  it('tries a request that got no answer again, up to its attempts', async () => {
    connections = 0;
    expect(await new RpcClient(singleUrl).chainId()).toBe(1337n);
    expect(connections).toBe(3);
  });

  it('with one attempt, a dropped connection is a transport RpcCallError naming the URL', async () => {
    connections = 0;
    const err = await new RpcClient(singleUrl, { attempts: 1 }).request('eth_chainId', []).catch((e) => e);
    expect(err).toBeInstanceOf(RpcCallError);
    expect(err).toBeInstanceOf(GridledgerError);
    expect((err as RpcCallError).code).toBe('E_RPC');
    expect((err as RpcCallError).transport).toBe(true);
    expect((err as Error).message).toContain(`cannot reach ${singleUrl}`);
    expect(connections).toBe(1);
  });

  it("throws the node's error with its JSON-RPC code and data", async () => {
    connections = 2;
    const err = await new RpcClient(singleUrl)
      .request('eth_call', [{ to: `0x${'00'.repeat(19)}01`, data: '0x' }, 'latest'])
      .catch((e) => e);
    expect(err).toBeInstanceOf(RpcCallError);
    expect((err as Error).message).toBe('eth_call: execution reverted: no');
    expect((err as RpcCallError).rpcCode).toBe(3);
    expect((err as RpcCallError).data).toBe('0x08c379a0');
    expect((err as RpcCallError).method).toBe('eth_call');
    expect((err as RpcCallError).transport).toBe(false);
  });

  it('a closed port is a transport error with the system reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await new RpcClient(`http://127.0.0.1:${port}`, { attempts: 1 })
      .marketConfig()
      .catch((e) => e);
    expect((err as RpcCallError).transport).toBe(true);
    expect((err as Error).message).toBe(`cannot reach http://127.0.0.1:${port}: fetch failed (ECONNREFUSED)`);
  });
});
