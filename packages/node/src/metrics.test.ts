// The Prometheus endpoint of a running validator (issue 17), in process: a one-validator dev network with
// the energy market whose first block clears a few (empty) intervals; /metrics is scraped over HTTP and
// must show the height, rounds, commit latency, mempool lanes, peers, p2p bytes, event-loop lag and the
// market step times.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDevAccounts } from '@gridledger/execution';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePortRange } from '../test/harness.ts';
import { defaultDevMarketConfig, initDevNetwork } from './dev-network.ts';
import { loadHome } from './home.ts';
import { Node } from './node.ts';

const dirs: string[] = [];
const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The value of one sample line (`name{labels} value`) of a Prometheus text body. */
function sample(body: string, prefix: string): number {
  const line = body.split('\n').find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`no sample ${prefix} in\n${body.slice(0, 2000)}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  it('serves height, rounds, latency, mempool lanes, peers, p2p bytes, event-loop lag and market step times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-metrics-'));
    dirs.push(dir);
    const genesisTime = new Date();
    const ms = BigInt(genesisTime.getTime());
    const operator = buildDevAccounts({ participants: 2 }).accounts.find((a) => a.role === 'grid-operator')!;
    const market = defaultDevMarketConfig(5_100_004n, operator.address, ms);
    initDevNetwork({
      validators: 1,
      outDir: dir,
      chainId: 'metrics-chain',
      basePort: await freePortRange(2),
      participants: 2,
      genesisTime,
      // The first block clears the 3 intervals before the current one (empty: measured all the same).
      energy: { ...market, firstInterval: ms / market.intervalMs - 2n },
      timeouts: { commitMs: 50 },
    });
    const home = loadHome(join(dir, 'node0'));
    home.config.metrics = { host: '127.0.0.1', port: 0 };
    const node = await Node.create(home, { logger: pino({ level: 'silent' }) });
    nodes.push(node);
    await node.start();
    const until = Date.now() + 30_000;
    while (node.tip.height < 4n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(node.tip.height).toBeGreaterThanOrEqual(4n);
    const { host, port } = node.metricsAddress!;
    const res = await fetch(`http://${host}:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(sample(body, 'gridledger_height ')).toBeGreaterThanOrEqual(4);
    expect(sample(body, 'gridledger_consensus_rounds_count ')).toBeGreaterThanOrEqual(4);
    expect(sample(body, 'gridledger_consensus_rounds_bucket{le="0"}')).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'gridledger_commit_latency_seconds_count ')).toBeGreaterThanOrEqual(3);
    expect(sample(body, 'gridledger_blocks_committed_total{source="consensus"}')).toBeGreaterThanOrEqual(4);
    for (const lane of ['pending', 'queued', 'reserved'])
      expect(sample(body, `gridledger_mempool_txs{lane="${lane}"}`)).toBe(0);
    expect(sample(body, 'gridledger_peers ')).toBe(0);
    expect(sample(body, 'gridledger_validators_jailed ')).toBe(0);
    expect(sample(body, 'gridledger_p2p_bytes{direction="in"}')).toBe(0);
    expect(sample(body, 'nodejs_eventloop_lag_p99_seconds ')).toBeGreaterThan(0);
    // The 3 intervals due at the first block; a 4th when the next one's clearing time passed while the
    // test ran (a CI run started just before it).
    const clearings = sample(body, 'gridledger_market_step_seconds_count{step="clearing"}');
    expect(clearings).toBeGreaterThanOrEqual(3);
    expect(clearings).toBeLessThanOrEqual(4);
    expect(body).toContain('gridledger_market_step_failures_total');
    expect((await fetch(`http://${host}:${port}/other`)).status).toBe(404);
  }, 60_000);
});
