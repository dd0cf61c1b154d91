// The dashboard's JSON-RPC client: batched calls over HTTP POST (one round trip for everything a block
// needs) and an `eth_subscribe("newHeads")` subscription over the node's WebSocket on the same port.
// Errors of single calls come back as values so that one failing view never hides the others.
import { GridledgerError } from '@gridledger/base';
import WebSocket from 'ws';

/** One call of a batch. */
export interface RpcCall {
  method: string;
  params?: unknown[];
}

/** The outcome of one call: its result, or the JSON-RPC error. */
export type RpcOutcome = { ok: true; result: unknown } | { ok: false; code: number; message: string };

/** Most calls the node accepts in one batch. */
export const MAX_BATCH = 100;

/** A node that could not be reached or answered something that is not JSON-RPC. */
export class RpcTransportError extends GridledgerError {
  constructor(url: string, what: string, cause?: unknown) {
    super('E_RPC_TRANSPORT', `JSON-RPC ${url}: ${what}`, cause === undefined ? {} : { cause });
    this.name = 'RpcTransportError';
  }
}

/**
 * Sends `calls` as JSON-RPC batches of at most {@link MAX_BATCH}; returns one outcome per call, in order.
 * @throws RpcTransportError when the node cannot be reached or times out.
 * @example const [head] = await rpcBatch(url, [{ method: 'eth_blockNumber' }]);
 */
export async function rpcBatch(url: string, calls: RpcCall[], timeoutMs = 10_000): Promise<RpcOutcome[]> {
  const out: RpcOutcome[] = [];
  for (let i = 0; i < calls.length; i += MAX_BATCH) {
    const chunk = calls.slice(i, i + MAX_BATCH);
    const body = chunk.map((c, j) => ({ jsonrpc: '2.0', id: j, method: c.method, params: c.params ?? [] }));
    let text: string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new RpcTransportError(url, `no answer (${(err as Error).message})`, err);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new RpcTransportError(url, `answer is not JSON: ${text.slice(0, 120)}`, err);
    }
    if (!Array.isArray(parsed)) {
      const e = (parsed as { error?: { message?: string } }).error;
      throw new RpcTransportError(url, `batch refused: ${e?.message ?? text.slice(0, 120)}`);
    }
    const byId = new Map<number, RpcOutcome>();
    for (const r of parsed as { id: number; result?: unknown; error?: { code: number; message: string } }[]) {
      byId.set(
        r.id,
        r.error
          ? { ok: false, code: r.error.code, message: r.error.message }
          : { ok: true, result: r.result },
      );
    }
    for (let j = 0; j < chunk.length; j++)
      out.push(byId.get(j) ?? { ok: false, code: -32603, message: 'no answer for this call in the batch' });
  }
  return out;
}

/**
 * One call that must succeed.
 * @throws RpcTransportError, or GridledgerError `E_RPC` with the node's error message.
 */
export async function rpcCall<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const [r] = await rpcBatch(url, [{ method, params }]);
  if (r === undefined || !r.ok)
    throw new GridledgerError('E_RPC', `${method}: ${r?.ok === false ? r.message : 'no answer'}`);
  return r.result as T;
}

/** The fields of a `newHeads` notification the dashboard reads (hex quantities as the node sends them). */
export interface NewHead {
  number: string;
  hash: string;
  timestamp: string;
  timestampMs?: string;
  miner?: string;
  proposer?: string;
}

/** A live newHeads subscription. */
export interface HeadSubscription {
  close(): void;
  /** Resolves once subscribed, rejects when the socket could not be opened or the node refused. */
  ready: Promise<void>;
  /** Resolves when the socket closed (for any reason). */
  closed: Promise<void>;
}

/**
 * Subscribes to `newHeads` on the node's WebSocket (ws:// on the JSON-RPC port); calls `onHead` per block.
 * @example const sub = subscribeNewHeads('http://127.0.0.1:26601', (h) => console.log(h.number));
 */
export function subscribeNewHeads(httpUrl: string, onHead: (head: NewHead) => void): HeadSubscription {
  const wsUrl = httpUrl.replace(/^http/, 'ws');
  const socket = new WebSocket(wsUrl);
  let subscription: string | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('open', () => {
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    });
    socket.on('message', (data) => {
      let msg: {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: { subscription: string; result: NewHead };
      };
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (msg.id === 1) {
        if (msg.error) reject(new GridledgerError('E_RPC', `eth_subscribe newHeads: ${msg.error.message}`));
        else {
          subscription = String(msg.result);
          resolve();
        }
      } else if (
        msg.method === 'eth_subscription' &&
        msg.params &&
        msg.params.subscription === subscription
      ) {
        onHead(msg.params.result);
      }
    });
    socket.once('error', (err) => reject(new RpcTransportError(wsUrl, err.message, err)));
    socket.once('close', () => reject(new RpcTransportError(wsUrl, 'closed before subscribing')));
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
