// runScenario's edges without a chain: a node that does not answer is a clear error naming the URL; a
// stop signal given before or during the connection ends the run as "aborted", not as a failure.
import { createServer, type Server } from 'node:http';
import { GridledgerError } from '@gridledger/base';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from './driver.ts';
import { loadScenario, withDevices } from './scenario.ts';

const keys = {
  admin: `0x${'11'.repeat(32)}`,
  gridOperator: `0x${'22'.repeat(32)}`,
  submitter: `0x${'33'.repeat(32)}`,
} as const;

// A JSON-RPC endpoint that knows eth_chainId but has no energy market (like a chain without it in genesis).
let server: Server;
const port = 27190;
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('runScenario without a market', () => {
  it('names an unreachable node', async () => {
    const scenario = withDevices(await loadScenario(), 3);
    const err = await runScenario({ rpcUrls: ['http://127.0.0.1:27191'], scenario, keys }).catch((e) => e);
    expect(err).toBeInstanceOf(GridledgerError);
    expect((err as Error).message).toContain('cannot reach http://127.0.0.1:27191');
  }, 30_000);

  it('says when the chain has no energy market, and returns "aborted" when stopped', async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const r = JSON.parse(body) as { id: number; method: string };
        const out =
          r.method === 'eth_chainId'
            ? { jsonrpc: '2.0', id: r.id, result: '0x539' }
            : { jsonrpc: '2.0', id: r.id, error: { code: -32601, message: `method ${r.method} not found` } };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(out));
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    const scenario = withDevices(await loadScenario(), 3);
    const url = `http://127.0.0.1:${port}`;
    const err = await runScenario({ rpcUrls: [url], scenario, keys }).catch((e) => e);
    expect((err as GridledgerError).code).toBe('E_NO_MARKET');
    expect((err as Error).message).toContain('does not serve gl_marketConfig');
    const ac = new AbortController();
    ac.abort();
    const r = await runScenario({ rpcUrls: [url], scenario, keys, signal: ac.signal });
    expect(r.stopped).toBe('aborted');
    expect(r.intervals).toEqual([]);
  }, 30_000);
});
