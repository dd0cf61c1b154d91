// Subscriptions against a real WebSocket server on 127.0.0.1 speaking the node's eth_subscribe protocol:
// newHeads and logs notifications reach the callback (only the subscription's own), the filter goes to
// the node as given, a refusal is an RpcCallError with the node's code, and a closed port a transport error.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { RpcCallError } from './errors.ts';
import { subscribeLogs, subscribeNewHeads } from './subscribe.ts';

let server: WebSocketServer;
let url: string;
const received: unknown[] = [];

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const req = JSON.parse(data.toString()) as { id: number; method: string; params: unknown[] };
      received.push(req.params);
      if (req.params[0] === 'pendingTransactions') {
        socket.send(
          JSON.stringify({ jsonrpc: '2.0', id: req.id, error: { code: -32602, message: 'unknown kind' } }),
        );
        return;
      }
      const id = req.params[0] === 'newHeads' ? '0xaa' : '0xbb';
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: id }));
      const note = (subscription: string, result: unknown) =>
        socket.send(
          JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } }),
        );
      note('0xother', { number: '0x63' }); // another subscription's: not delivered
      if (id === '0xaa') {
        note(id, { number: '0x1', hash: `0x${'11'.repeat(32)}`, timestamp: '0x5', timestampMs: '0x1388' });
        note(id, { number: '0x2', hash: `0x${'22'.repeat(32)}`, timestamp: '0x6', timestampMs: '0x1770' });
      } else
        note(id, { address: `0x${'00'.repeat(18)}1004`, topics: ['0x01'], data: '0x', blockNumber: '0x7' });
    });
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('subscriptions', () => {
  it('newHeads: each header of this subscription, in order', async () => {
    const heads: string[] = [];
    const sub = subscribeNewHeads(url, (h) => heads.push(h.number));
    await sub.ready;
    await expect.poll(() => heads).toEqual(['0x1', '0x2']);
    sub.close();
    await sub.closed;
  });

  it('logs: sends the filter and delivers each log', async () => {
    received.length = 0;
    const logs: string[] = [];
    const filter = { address: `0x${'00'.repeat(18)}1004` as const, topics: ['0x01' as const, null] };
    const sub = subscribeLogs(url, filter, (l) => logs.push(l.blockNumber));
    await sub.ready;
    await expect.poll(() => logs).toEqual(['0x7']);
    expect(received).toEqual([['logs', filter]]);
    sub.close();
  });

  it("a refused subscription rejects `ready` with the node's code", async () => {
    const { subscribe } = await import('./subscribe.ts');
    const sub = subscribe(url, ['pendingTransactions'] as never, () => {});
    const err = await sub.ready.catch((e) => e);
    expect(err).toBeInstanceOf(RpcCallError);
    expect((err as RpcCallError).rpcCode).toBe(-32602);
    expect((err as Error).message).toBe('eth_subscribe pendingTransactions: unknown kind');
    sub.close();
  });

  it('a closed port rejects `ready` as a transport error', async () => {
    const sub = subscribeNewHeads('http://127.0.0.1:1', () => {});
    const err = await sub.ready.catch((e) => e);
    expect((err as RpcCallError).transport).toBe(true);
    expect((err as Error).message).toContain('eth_subscribe newHeads on ws://127.0.0.1:1');
    await sub.closed;
  });
});
