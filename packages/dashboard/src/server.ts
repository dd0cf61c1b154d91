// The dashboard server: serves the web app (web/ beside src/) and its libraries straight from
// node_modules (no build step), and a WebSocket feed at /ws that pushes the view model a ChainFollower
// keeps: a snapshot on connect, then the sections that changed. A page may ask for one bus's price
// history and watch one participant; the server answers from memory and never queries the chain per page.
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GridledgerError, InputError } from '@gridledger/base';
import type { EvmMarketContracts } from '@gridledger/client';
import { type Logger, pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { ChainFollower } from './follower.ts';
import { TOKEN_ADDRESSES, type TokenAddresses } from './token-calls.ts';
import type { ClientMessage, ServerMessage } from './view.ts';

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** JSON-RPC URLs of the validators (http://host:port; the WebSocket is on the same port). */
  rpcUrls: string[];
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** DIR/dev-accounts.json: names for the participant picker. */
  devAccountsPath?: string;
  /** DIR/addresses.json: token addresses (the fixed module addresses when absent). */
  addressesPath?: string;
  /** Logger (default: pino to stderr at level `info`). */
  logger?: Logger;
  /** Validator poll period, ms (default 1000). */
  pollMs?: number;
  /** An EVM chain's market contracts (addresses.json): the market views come from them (FollowerOptions). */
  evmContracts?: EvmMarketContracts;
  /**
   * Run in the caller's thread (default false: a worker thread of its own, so a busy caller cannot stall
   * the feed; `logger` then only lends its level, and `follower` is not available).
   */
  inProcess?: boolean;
}

/** A running dashboard. */
export interface Dashboard {
  /** http://host:port/ */
  url: string;
  /** The follower (only with `inProcess`). */
  follower: ChainFollower | undefined;
  /** Stops the feed, closes every page's socket and the server. */
  close(): Promise<void>;
}

const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));
const HERE = dirname(fileURLToPath(import.meta.url));

/** Finds an installed package's folder by walking up node_modules from this package. */
function packageDir(name: string): string {
  for (let dir = HERE; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    try {
      if (statSync(join(candidate, 'package.json')).isFile()) return candidate;
    } catch {
      // keep walking up
    }
    if (dirname(dir) === dir)
      throw new InputError(`dashboard: the package "${name}" is not installed: run npm ci`);
  }
}

/** URL path -> file: the web app and the browser builds of its libraries. */
function staticFiles(): Map<string, string> {
  const files = new Map<string, string>([
    ['/', join(WEB_DIR, 'index.html')],
    ['/vendor/preact.mjs', join(packageDir('preact'), 'dist', 'preact.mjs')],
    ['/vendor/preact-hooks.mjs', join(packageDir('preact'), 'hooks', 'dist', 'hooks.mjs')],
    ['/vendor/htm.mjs', join(packageDir('htm'), 'dist', 'htm.mjs')],
    ['/vendor/echarts.min.js', join(packageDir('echarts'), 'dist', 'echarts.min.js')],
  ]);
  files.set('/favicon.ico', join(WEB_DIR, 'favicon.svg'));
  for (const f of ['index.html', 'app.js', 'charts.js', 'format.js', 'style.css', 'favicon.svg'])
    files.set(`/${f}`, join(WEB_DIR, f));
  for (const path of files.values()) statSync(path); // fail at start, not on the first page load
  return files;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Token addresses from addresses.json (the fixed module addresses for names it lacks). */
function readTokens(path: string | undefined, log: Logger): TokenAddresses {
  const tokens: TokenAddresses = { ...TOKEN_ADDRESSES };
  if (!path) return tokens;
  try {
    const a = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    for (const name of ['cash', 'credits', 'promises'] as const) {
      const v = a[name];
      if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) tokens[name] = v.toLowerCase();
    }
  } catch (err) {
    log.warn(
      { err: (err as Error).message, path },
      'dashboard: cannot read addresses.json; using the fixed addresses',
    );
  }
  return tokens;
}

/**
 * Starts the dashboard: the web app on http://host:port/ and its live feed on ws://host:port/ws, in a
 * worker thread of its own unless `inProcess`. Resolves once listening; the chain may come up later
 * (the feed reconnects).
 * @throws InputError when the port is taken or an option is wrong.
 * @example const d = await startDashboard({ rpcUrls: ['http://127.0.0.1:26601'] }); console.log(d.url); await d.close();
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  if (options.inProcess) return startDashboardHere(options);
  const { logger, inProcess: _i, ...rest } = options;
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { ...rest, logLevel: logger?.level ?? 'info' },
  });
  const first = await new Promise<{
    url?: string;
    error?: { message: string; code?: string; name?: string };
  }>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (err) => resolve({ error: { message: err.message } }));
    worker.once('exit', (code) =>
      resolve({ error: { message: `dashboard: its thread exited with ${code}` } }),
    );
  });
  if (first.url === undefined) {
    await worker.terminate();
    const e = first.error ?? { message: 'dashboard: no answer from its thread' };
    throw e.code === 'E_INPUT'
      ? new InputError(e.message)
      : new GridledgerError(e.code ?? 'E_DASHBOARD', e.message);
  }
  let closing: Promise<void> | undefined;
  return {
    url: first.url,
    follower: undefined,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => void worker.terminate().then(done), 10_000);
        worker.once('exit', done);
        worker.postMessage('close');
      })),
  };
}

/** {@link startDashboard} in the caller's thread (what the worker thread runs). */
export async function startDashboardHere(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (options.rpcUrls.length === 0) throw new InputError('dashboard: expected at least one JSON-RPC URL');
  for (const u of options.rpcUrls) {
    if (!/^https?:\/\/[^/]+/.test(u))
      throw new InputError(`dashboard: expected an http:// JSON-RPC URL, got "${u}"`);
  }
  const log = options.logger ?? pino({ level: 'info' }, pino.destination(2));
  const files = staticFiles();
  const follower = new ChainFollower({
    rpcUrls: options.rpcUrls,
    log,
    tokens: readTokens(options.addressesPath, log),
    ...(options.devAccountsPath === undefined ? {} : { devAccountsPath: options.devAccountsPath }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.evmContracts === undefined ? {} : { evmContracts: options.evmContracts }),
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const file = files.get(path);
    if ((req.method !== 'GET' && req.method !== 'HEAD') || file === undefined) {
      res.writeHead(file === undefined ? 404 : 405, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, {
        'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
        'cache-control': path.startsWith('/vendor/') ? 'max-age=3600' : 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      log.error({ err: (err as Error).message, path }, 'dashboard: cannot read a web file');
      res.writeHead(500).end();
    }
  });
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 64 * 1024 });
  // ws re-emits the HTTP server's errors (a taken port): listen's own handler below reports those.
  wss.on('error', () => {});
  const watching = new Map<WebSocket, string | null>();
  const send = (ws: WebSocket, msg: ServerMessage | string) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > 16 * 1024 * 1024) return; // a stalled page skips updates; each section's next update replaces it whole
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  };
  wss.on('connection', (ws) => {
    watching.set(ws, null);
    send(ws, { type: 'snapshot', view: follower.view });
    ws.on('message', (data) => {
      let msg: ClientMessage;
      try {
        msg = JSON.parse(data.toString()) as ClientMessage;
      } catch {
        return;
      }
      if (msg.type === 'history' && Number.isSafeInteger(msg.bus)) {
        send(ws, { type: 'history', bus: msg.bus, points: follower.history(msg.bus) });
      } else if (msg.type === 'watch') {
        const prev = watching.get(ws);
        if (prev) follower.unwatch(prev);
        const next = typeof msg.address === 'string' ? msg.address.toLowerCase() : null;
        watching.set(ws, null);
        if (next) {
          const p = follower.watch(next);
          if (p) {
            watching.set(ws, next);
            send(ws, { type: 'participant', participant: p });
          }
        }
      }
    });
    ws.on('close', () => {
      const a = watching.get(ws);
      if (a) follower.unwatch(a);
      watching.delete(ws);
    });
    ws.on('error', () => {});
  });
  follower.onUpdate((sections) => {
    const text = JSON.stringify({ type: 'update', sections } satisfies ServerMessage);
    for (const ws of watching.keys()) send(ws, text);
  });
  follower.onParticipant((participant) => {
    const text = JSON.stringify({ type: 'participant', participant } satisfies ServerMessage);
    for (const [ws, a] of watching) if (a === participant.address) send(ws, text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new InputError(
          err.code === 'EADDRINUSE'
            ? `dashboard: port ${port} on ${host} is in use: pick another with --port`
            : `dashboard: cannot listen on ${host}:${port}: ${err.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  }).catch((err: unknown) => {
    wss.close();
    throw err;
  });
  follower.start();
  const addr = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/`;
  log.info({ url }, 'dashboard: listening');
  return {
    url,
    follower,
    close: async () => {
      follower.stop();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
