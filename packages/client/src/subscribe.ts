// WebSocket subscriptions on a node's JSON-RPC port (ws:// on the same host and port as http://):
// eth_subscribe "newHeads" (one block header per committed block) and "logs" (each log matching an
// address/topics filter), typed by @gridledger/rpc's EthSubscriptionResult. One socket per subscription;
// `ready` says whether it was accepted, `closed` when the socket went away (reconnecting is the caller's).
import type { EthBlockHeader, EthLog, EthSubscribeParameters, EthSubscriptionResult } from '@gridledger/rpc';
import WebSocket from 'ws';
import { RpcCallError } from './errors.ts';

/** A live subscription. */
export interface Subscription {
  /** Closes the socket. */
  close(): void;
  /** Resolves once subscribed; rejects with RpcCallError when the socket could not open or the node refused. */
  ready: Promise<void>;
  /** Resolves when the socket closed (for any reason). */
  closed: Promise<void>;
}

/** The WebSocket URL of a node's JSON-RPC URL (http → ws, https → wss). */
export const wsUrlOf = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

/**
 * Subscribes on the node's WebSocket; calls `onNotification` with each notification's result.
 * @example const sub = subscribe('http://127.0.0.1:26601', ['newHeads'], (h) => console.log(h.number));
 */
export function subscribe<P extends EthSubscribeParameters>(
  httpUrl: string,
  params: P,
  onNotification: (result: EthSubscriptionResult[P[0]]) => void,
): Subscription {
  const wsUrl = wsUrlOf(httpUrl);
  const what = `eth_subscribe ${params[0]}`;
  const socket = new WebSocket(wsUrl);
  let subscription: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('open', () => {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params }));
    });
    socket.on('message', (data) => {
      let msg: {
        id?: number;
        result?: unknown;
        error?: { code: number; message: string };
        method?: string;
        params?: { subscription: string; result: EthSubscriptionResult[P[0]] };
      };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (msg.id === 1) {
        if (msg.error)
          reject(
            new RpcCallError(`${what}: ${msg.error.message}`, {
              url: wsUrl,
              method: 'eth_subscribe',
              rpcCode: msg.error.code,
            }),
          );
        else {
          subscription = String(msg.result);
          resolve();
        }
      } else if (
        msg.method === 'eth_subscription' &&
        msg.params &&
        msg.params.subscription === subscription
      ) {
        onNotification(msg.params.result);
      }
    });
    socket.once('error', (err) =>
      reject(
        new RpcCallError(`${what} on ${wsUrl}: ${err.message}`, { url: wsUrl, cause: err, transport: true }),
      ),
    );
    socket.once('close', () =>
      reject(
        new RpcCallError(`${what} on ${wsUrl}: closed before subscribing`, { url: wsUrl, transport: true }),
      ),
    );
  });
  ready.catch(() => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {}); // reported through `ready` / `closed`
  return {
    ready,
    closed,
    close: () => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)
        socket.terminate();
    },
  };
}

/**
 * Subscribes to `newHeads`: `onHead` per committed block.
 * @example const sub = subscribeNewHeads('http://127.0.0.1:26601', (h) => console.log(BigInt(h.number)));
 */
export function subscribeNewHeads(httpUrl: string, onHead: (head: EthBlockHeader) => void): Subscription {
  return subscribe(httpUrl, ['newHeads'], onHead);
}

/**
 * Subscribes to `logs` matching an address/topics filter: `onLog` per log.
 * @example subscribeLogs(url, { address: MARKET_ADDRESS, topics: [INTERVAL_SETTLED_TOPIC] }, (l) => ...);
 */
export function subscribeLogs(
  httpUrl: string,
  filter: NonNullable<Extract<EthSubscribeParameters, ['logs', ...unknown[]]>[1]>,
  onLog: (log: EthLog) => void,
): Subscription {
  return subscribe(httpUrl, ['logs', filter], onLog);
}
