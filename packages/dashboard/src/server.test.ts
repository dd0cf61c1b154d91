// The dashboard server without a chain: it serves the page and its four vendor files from node_modules
// with the right types, nothing else; its feed sends a snapshot on connect (validators down while the
// chain is unreachable); a taken port and a bad URL are InputErrors that say what to do.
import { InputError } from '@gridledger/base';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Dashboard, startDashboard } from './server.ts';
import type { ServerMessage } from './view.ts';

/** Nothing listens here (the suite's range is 27200-27399). */
const DEAD_RPC = 'http://127.0.0.1:27399';
const silent = (await import('pino')).pino({ level: 'silent' });
let d: Dashboard | undefined;

afterAll(async () => {
  await d?.close();
});

describe('startDashboard', () => {
  it('serves the page, its scripts and the vendor builds, and 404 for anything else', async () => {
    d = await startDashboard({ rpcUrls: [DEAD_RPC], port: 0, logger: silent, pollMs: 200 });
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const get = (path: string) => fetch(new URL(path, d!.url));
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('"preact": "/vendor/preact.mjs"');
    for (const [path, type, marker] of [
      ['/app.js', 'text/javascript', 'useFeed'],
      ['/vendor/preact.mjs', 'text/javascript', 'export'],
      ['/vendor/preact-hooks.mjs', 'text/javascript', 'from"preact"'],
      ['/vendor/htm.mjs', 'text/javascript', 'export'],
      ['/vendor/echarts.min.js', 'text/javascript', 'echarts'],
      ['/style.css', 'text/css', '.panel'],
    ] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type'), path).toContain(type);
      expect(await r.text(), path).toContain(marker);
    }
    for (const path of [
      '/../package.json',
      '/src/server.ts',
      '/vendor/x.js',
      '/node_modules/preact/package.json',
    ])
      expect((await get(path)).status, path).toBe(404);
  });

  it('sends a snapshot on connect and reports the unreachable validator as down', async () => {
    const ws = new WebSocket(`${d!.url.replace('http', 'ws')}ws`);
    const first = await new Promise<ServerMessage>((resolve, reject) => {
      ws.once('message', (m) => resolve(JSON.parse(m.toString())));
      ws.once('error', reject);
    });
    ws.close();
    expect(first.type).toBe('snapshot');
    if (first.type !== 'snapshot') return;
    expect(first.view.validators).toEqual([
      { url: DEAD_RPC, index: null, publicKey: null, height: null, peers: null, status: 'down' },
    ]);
    expect(first.view.chain).toBeNull();
    expect(first.view.market).toBeNull();
  });

  it('refuses a taken port and a URL that is not http with an InputError', async () => {
    const port = Number(new URL(d!.url).port);
    const taken = startDashboard({ rpcUrls: [DEAD_RPC], port, logger: silent });
    await expect(taken).rejects.toBeInstanceOf(InputError);
    await expect(taken).rejects.toThrow(/port \d+ on 127\.0\.0\.1 is in use: pick another with --port/);
    await expect(startDashboard({ rpcUrls: ['ws://127.0.0.1:1'], port: 0, logger: silent })).rejects.toThrow(
      /expected an http:\/\/ JSON-RPC URL/,
    );
    await expect(startDashboard({ rpcUrls: [], port: 0, logger: silent })).rejects.toThrow(/at least one/);
  });
});
