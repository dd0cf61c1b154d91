// The RPC server: JSON-RPC 2.0 over HTTP POST and over WebSocket on the same port (node:http + ws).
// Bodies are bounded (413 and a JSON-RPC error when larger), every failure becomes a JSON-RPC error
// response, and nothing a client sends stops the server. Binds to 127.0.0.1 unless told otherwise.
// Limits (issue 17): connections in total and per IP, requests per second per IP (429 / -32005),
// subscriptions per WebSocket, and a WebSocket's unsent bytes (a subscriber that does not read is closed).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InputError } from '@gridledger/base';
import { type WebSocket, WebSocketServer } from 'ws';
import { RpcDispatcher } from './dispatch.ts';
import { RPC_ERRORS, RpcError } from './errors.ts';
import type { RpcContext, RpcMethod } from './method.ts';
import { buildMethods } from './methods.ts';
import type { RpcBackend } from './port.ts';
import { RateLimiter } from './rate-limit.ts';

/** Options of {@link RpcServer.start}. */
export interface RpcServerOptions {
  backend: RpcBackend;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port; read it back from `server.port`). */
  port?: number;
  /** Largest request body or WebSocket message (bytes, default 1 MiB). */
  maxBodyBytes?: number;
  /** Most requests in one batch (default 100). */
  maxBatch?: number;
  /** Most subscriptions per WebSocket connection (default 16). */
  maxSubscriptions?: number;
  /** Most open connections (HTTP and WebSocket, default 1,024); more are closed at once. */
  maxConnections?: number;
  /** Most open connections from one IP address (default 128). */
  maxConnectionsPerIp?: number;
  /**
   * Requests per second one IP address may send (HTTP requests and WebSocket messages; a batch counts
   * as one; default 1,000, with a burst of twice that); beyond it: HTTP 429 / a JSON-RPC error -32005.
   */
  maxRequestsPerSecondPerIp?: number;
  /**
   * A WebSocket whose unsent notifications exceed this many bytes (a subscriber that does not read) is
   * closed (default 16 MiB).
   */
  maxWsBufferedBytes?: number;
  /** web3_clientVersion's answer (default "gridledger/0.1.0/node-<version>"). */
  clientVersion?: string;
  /** Called with unexpected method errors (they are answered as -32603 "internal error"). */
  onInternalError?: (method: string, err: unknown) => void;
  /** More methods, served beside (and replacing same-named) ones of {@link buildMethods}'s table. */
  methods?: Map<string, RpcMethod>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function errorBody(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/**
 * A running JSON-RPC server.
 * @example
 * const rpc = await RpcServer.start({ backend, port: 26601 });
 * console.log(rpc.url, rpc.wsUrl);
 * await rpc.close();
 */
export class RpcServer {
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #dispatcher: RpcDispatcher;
  readonly #maxBodyBytes: number;
  readonly #maxSubscriptions: number;
  readonly #maxConnectionsPerIp: number;
  readonly #rate: RateLimiter;
  readonly #maxWsBufferedBytes: number;
  readonly #connectionsPerIp = new Map<string, number>();
  readonly host: string;
  readonly port: number;

  private constructor(
    http: Server,
    wss: WebSocketServer,
    dispatcher: RpcDispatcher,
    opts: Required<
      Pick<
        RpcServerOptions,
        | 'maxBodyBytes'
        | 'maxSubscriptions'
        | 'maxConnectionsPerIp'
        | 'maxRequestsPerSecondPerIp'
        | 'maxWsBufferedBytes'
      >
    >,
    host: string,
    port: number,
  ) {
    this.#http = http;
    this.#wss = wss;
    this.#dispatcher = dispatcher;
    this.#maxBodyBytes = opts.maxBodyBytes;
    this.#maxSubscriptions = opts.maxSubscriptions;
    this.#maxConnectionsPerIp = opts.maxConnectionsPerIp;
    this.#rate = new RateLimiter(opts.maxRequestsPerSecondPerIp);
    this.#maxWsBufferedBytes = opts.maxWsBufferedBytes;
    this.host = host;
    this.port = port;
  }

  /** http://host:port/ */
  get url(): string {
    return `http://${this.host}:${this.port}/`;
  }

  /** ws://host:port/ */
  get wsUrl(): string {
    return `ws://${this.host}:${this.port}/`;
  }

  /** Starts listening; rejects with {@link InputError} when the port is taken. */
  static async start(options: RpcServerOptions): Promise<RpcServer> {
    const host = options.host ?? '127.0.0.1';
    const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    const methods = buildMethods({
      backend: options.backend,
      clientVersion: options.clientVersion ?? `gridledger/0.1.0/node-${process.version}`,
      maxTxBytes: maxBodyBytes,
    });
    for (const [name, fn] of options.methods ?? []) methods.set(name, fn);
    const dispatcher = new RpcDispatcher(methods, {
      maxBatch: options.maxBatch ?? 100,
      ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
    });
    // Keep idle connections open for a minute (Node's default is 5 s). Clients reuse a keep-alive socket
    // until shortly before the server's advertised timeout; when a busy node's event loop runs late, a
    // 5-second timer can fire after such a request has arrived but before it is read, and the client sees
    // ECONNRESET. A long idle timeout makes that race rare (seen under load with 1,000 devices).
    const http = createServer();
    http.keepAliveTimeout = 60_000;
    http.headersTimeout = 65_000;
    http.maxConnections = options.maxConnections ?? 1024;
    const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new InputError(`RPC port ${options.port} on ${host} is already in use`, { cause: err })
            : err,
        );
      };
      http.once('error', onError);
      http.listen(options.port ?? 0, host, () => {
        http.off('error', onError);
        resolve();
      });
    });
    const port = (http.address() as AddressInfo).port;
    const server = new RpcServer(
      http,
      wss,
      dispatcher,
      {
        maxBodyBytes,
        maxSubscriptions: options.maxSubscriptions ?? 16,
        maxConnectionsPerIp: options.maxConnectionsPerIp ?? 128,
        maxRequestsPerSecondPerIp: options.maxRequestsPerSecondPerIp ?? 1000,
        maxWsBufferedBytes: options.maxWsBufferedBytes ?? 16 * 1024 * 1024,
      },
      host,
      port,
    );
    http.on('connection', (socket) => server.#onSocket(socket));
    http.on('request', (req, res) => server.#onRequest(req, res));
    http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => {});
      wss.handleUpgrade(req, socket, head, (ws) => server.#onConnection(ws, req.socket.remoteAddress ?? ''));
    });
    return server;
  }

  /** Stops accepting, closes every connection and WebSocket, and resolves when the port is free. */
  async close(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
    await closed;
  }

  /** Counts connections per IP; closes one over the per-IP cap at once. */
  #onSocket(socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    const n = (this.#connectionsPerIp.get(ip) ?? 0) + 1;
    this.#connectionsPerIp.set(ip, n);
    socket.once('close', () => {
      const left = (this.#connectionsPerIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.#connectionsPerIp.delete(ip);
      else this.#connectionsPerIp.set(ip, left);
    });
    if (n > this.#maxConnectionsPerIp) socket.destroy();
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => {});
    if (!this.#rate.take(req.socket.remoteAddress ?? '')) {
      res.writeHead(429, { ...JSON_HEADERS, 'retry-after': '1' });
      res.end(errorBody(RPC_ERRORS.LIMIT_EXCEEDED, `limit exceeded: ${this.#rate.describe()}`));
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { ...JSON_HEADERS, allow: 'POST' });
      res.end(
        errorBody(
          RPC_ERRORS.INVALID_REQUEST,
          'invalid request: send JSON-RPC with HTTP POST (or use WebSocket)',
        ),
      );
      req.resume();
      return;
    }
    const limit = this.#maxBodyBytes;
    const tooLarge = () => {
      if (res.headersSent) return;
      res.writeHead(413, { ...JSON_HEADERS, connection: 'close' });
      res.end(errorBody(RPC_ERRORS.INVALID_REQUEST, `invalid request: body larger than ${limit} bytes`));
    };
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > limit;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      if (!over) chunks.push(c);
      // Stop reading a flood: answer and drop the connection.
      if (size > 4 * limit + 65536) {
        tooLarge();
        req.destroy();
      }
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (over) return tooLarge();
      const text = Buffer.concat(chunks).toString('utf8');
      void this.#dispatcher.handleText(text).then(
        (out) => {
          if (out === undefined) {
            res.writeHead(204);
            res.end();
          } else {
            res.writeHead(200, JSON_HEADERS);
            res.end(out);
          }
        },
        () => {
          res.writeHead(500, JSON_HEADERS);
          res.end(errorBody(RPC_ERRORS.INTERNAL_ERROR, 'internal error'));
        },
      );
    });
  }

  #onConnection(ws: WebSocket, ip: string): void {
    const subs = new Map<string, () => void>();
    let next = 1;
    const ctx: RpcContext = {
      subscribe: (_name, unsubscribe, start) => {
        if (subs.size >= this.#maxSubscriptions) {
          throw new RpcError(
            RPC_ERRORS.LIMIT_EXCEEDED,
            `limit exceeded: at most ${this.#maxSubscriptions} subscriptions per connection`,
          );
        }
        const id = `0x${(next++).toString(16)}`;
        subs.set(id, unsubscribe);
        start((result) => {
          if (subs.has(id) && ws.readyState === ws.OPEN) {
            // Backpressure: a subscriber that does not read is dropped, not buffered without bound.
            if (ws.bufferedAmount > this.#maxWsBufferedBytes) {
              ws.close(1008, 'subscriber too slow: notifications not read');
              return;
            }
            ws.send(
              JSON.stringify({
                jsonrpc: '2.0',
                method: 'eth_subscription',
                params: { subscription: id, result },
              }),
            );
          }
        });
        return id;
      },
      unsubscribe: (id) => {
        const off = subs.get(id);
        if (off === undefined) return false;
        subs.delete(id);
        off();
        return true;
      },
    };
    ws.on('error', () => {});
    ws.on('close', () => {
      for (const off of subs.values()) off();
      subs.clear();
    });
    ws.on('message', (raw) => {
      if (!this.#rate.take(ip)) {
        if (ws.readyState === ws.OPEN)
          ws.send(errorBody(RPC_ERRORS.LIMIT_EXCEEDED, `limit exceeded: ${this.#rate.describe()}`));
        return;
      }
      const text = Array.isArray(raw)
        ? Buffer.concat(raw).toString('utf8')
        : Buffer.isBuffer(raw)
          ? raw.toString('utf8')
          : Buffer.from(raw).toString('utf8');
      void this.#dispatcher.handleText(text, ctx).then(
        (out) => {
          if (out !== undefined && ws.readyState === ws.OPEN) ws.send(out);
        },
        () => {},
      );
    });
  }
}
