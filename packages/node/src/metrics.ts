// A validator's Prometheus metrics (issue 17; prom-client, one registry per node): height, rounds per
// height, commit latency, mempool size by lane, peers, jailed validators, p2p bytes, event-loop lag (prom-client's default
// Node.js metrics, `nodejs_eventloop_lag_*`), and the market's clearing and settlement time per
// interval. Served as text at GET /metrics on `config.metrics` (host, port) when set; docs/operations.md
// says what to alert on. Reading the clock here measures; nothing measured reaches block execution's
// state.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { InputError } from '@gridledger/base';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics read from a running node when scraped. */
export interface MetricsSource {
  height(): bigint;
  mempoolLanes(): { pending: number; queued: number; reserved: number };
  peers(): number;
  p2pBytes(): { bytesIn: number; bytesOut: number };
  /** Validators jailed by committed equivocation evidence. */
  jailedValidators(): number;
}

/**
 * The metrics of one node.
 * @example const m = new NodeMetrics(); m.attach(source); const { port } = await m.serve({ port: 26660 });
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly #rounds: Histogram;
  readonly #commitSeconds: Histogram;
  readonly #commits: Counter;
  readonly #stepSeconds: Histogram;
  readonly #stepFailures: Counter;
  #lastCommitMs: number | undefined;
  #server: Server | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    this.#rounds = new Histogram({
      name: 'gridledger_consensus_rounds',
      help: 'Rounds a height took to commit (0 = decided in its first round)',
      buckets: [0, 1, 2, 3, 5, 8, 13],
      registers: [this.registry],
    });
    this.#commitSeconds = new Histogram({
      name: 'gridledger_commit_latency_seconds',
      help: 'Seconds between this node committing a height and the next (consensus commits)',
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.#commits = new Counter({
      name: 'gridledger_blocks_committed_total',
      help: 'Blocks committed, by how they were decided (consensus or block sync)',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.#stepSeconds = new Histogram({
      name: 'gridledger_market_step_seconds',
      help: "Seconds one interval's clearing or settlement took inside a block",
      labelNames: ['step'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.#stepFailures = new Counter({
      name: 'gridledger_market_step_failures_total',
      help: 'Interval clearings or settlements that threw and were contained (the interval failed)',
      labelNames: ['step'],
      registers: [this.registry],
    });
  }

  /** Registers the gauges read from `source` at each scrape. */
  attach(source: MetricsSource): void {
    const r = [this.registry];
    new Gauge({
      name: 'gridledger_height',
      help: 'Last committed height',
      registers: r,
      collect() {
        this.set(Number(source.height()));
      },
    });
    new Gauge({
      name: 'gridledger_mempool_txs',
      help: 'Transactions in the mempool by lane (pending, queued behind a nonce gap, reserved)',
      labelNames: ['lane'],
      registers: r,
      collect() {
        for (const [lane, n] of Object.entries(source.mempoolLanes())) this.set({ lane }, n);
      },
    });
    new Gauge({
      name: 'gridledger_peers',
      help: 'Connected, authenticated peers',
      registers: r,
      collect() {
        this.set(source.peers());
      },
    });
    new Gauge({
      name: 'gridledger_validators_jailed',
      help: 'Validators jailed by committed equivocation evidence (power 0; any increase is an alert)',
      registers: r,
      collect() {
        this.set(source.jailedValidators());
      },
    });
    new Gauge({
      name: 'gridledger_p2p_bytes',
      help: 'Bytes read from (in) and written to (out) p2p sockets since start (a counter; rate() it)',
      labelNames: ['direction'],
      registers: r,
      collect() {
        const b = source.p2pBytes();
        this.set({ direction: 'in' }, b.bytesIn);
        this.set({ direction: 'out' }, b.bytesOut);
      },
    });
  }

  /** Records a committed block: its round and, for consensus commits, the time since the previous commit. */
  observeCommit(round: number, source: 'consensus' | 'sync'): void {
    const now = performance.now();
    this.#commits.inc({ source });
    if (source === 'consensus') {
      this.#rounds.observe(round);
      if (this.#lastCommitMs !== undefined) this.#commitSeconds.observe((now - this.#lastCommitMs) / 1000);
    }
    this.#lastCommitMs = now;
  }

  /** Records one interval's clearing or settlement time (and whether it failed and was contained). */
  observeIntervalStep(step: 'clearing' | 'settlement', seconds: number, failed: boolean): void {
    this.#stepSeconds.observe({ step }, seconds);
    if (failed) this.#stepFailures.inc({ step });
  }

  /** The metrics in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serves GET /metrics on host:port (127.0.0.1 unless told); resolves with the bound address. */
  async serve(opts: { host?: string; port: number }): Promise<{ host: string; port: number }> {
    const host = opts.host ?? '127.0.0.1';
    const server = createServer((req, res) => {
      res.on('error', () => {});
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found: GET /metrics\n');
        return;
      }
      this.text().then(
        (body) => {
          res.writeHead(200, { 'content-type': this.registry.contentType });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err.message}\n`);
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new InputError(`metrics port ${opts.port} on ${host} is already in use`, { cause: err })
            : err,
        ),
      );
      server.listen(opts.port, host, () => resolve());
    });
    this.#server = server;
    return { host, port: (server.address() as AddressInfo).port };
  }

  /** Stops serving. */
  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (s === undefined) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }
}
