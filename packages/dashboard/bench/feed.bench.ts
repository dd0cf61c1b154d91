// Benchmark of the dashboard feed under the running platform: `gridledger start --reset --devices N`
// (test/platform.ts), watched from a WebSocket client as a page would. Prints the server's delay from a
// block's newHeads notification to its update (p50, p99, max: the "each new block within a second"
// figure), the delay from the update in which an interval's clearing showed up to the update carrying
// its cleared view (book, curves, grid state, promises), and the sizes of those messages.
// Usage: npm run bench:dashboard [-- --devices 1000 --intervals 3 --format json]
import WebSocket from 'ws';
import type { DashboardView, ServerMessage } from '../src/view.ts';
import { startPlatform } from '../test/platform.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const devices = arg('devices', 1000);
const intervals = arg('intervals', 3);
const basePort = arg('base-port', 27340);
const port = arg('port', 27360);
const json =
  process.argv.includes('--format') && process.argv[process.argv.indexOf('--format') + 1] === 'json';

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const t0 = Date.now();
const platform = await startPlatform({ basePort, port, devices });
process.stderr.write(
  `bench:dashboard: ${devices} devices up after ${((Date.now() - t0) / 1000).toFixed(0)} s; ${platform.url}\n`,
);
const feedMs: number[] = [];
const readMs: number[] = [];
const stallMs: number[] = [];
const blockBytes: number[] = [];
const rows: { interval: number; orders: number; promises: number; viewMs: number; bytes: number }[] = [];
const clearSeen = new Map<number, number>();
let failure = '';
try {
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(`${platform.url.replace('http', 'ws')}ws`);
    const timer = setTimeout(() => {
      failure = 'timed out after 30 minutes';
      resolve();
    }, 30 * 60_000);
    const watchdog = setInterval(() => {
      if (/the simulator stopped/.test(platform.log())) {
        failure =
          platform
            .log()
            .split('\n')
            .find((l) => l.includes('the simulator stopped')) ?? 'simulator stopped';
        resolve();
      }
    }, 2000);
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as ServerMessage;
      if (msg.type !== 'update') return;
      const s: Partial<DashboardView> = msg.sections;
      if (s.chain) {
        // A block comes twice: shown on its notification (no transaction count yet), then with its reads.
        if (s.chain.blocks[0]?.txCount !== null) {
          readMs.push(s.chain.readMs);
          stallMs.push(s.chain.loopStallMs);
        } else {
          feedMs.push(s.chain.feedMs);
          blockBytes.push(data.length);
        }
      }
      if (s.market && !clearSeen.has(s.market.clearNext - 1))
        clearSeen.set(s.market.clearNext - 1, Date.now());
      const c = s.cleared;
      if (c && c.summary.orders > 0 && !rows.some((r) => r.interval === c.interval)) {
        const seen = clearSeen.get(c.interval);
        if (seen !== undefined) {
          rows.push({
            interval: c.interval,
            orders: c.summary.orders,
            promises: c.promises,
            viewMs: Date.now() - seen,
            bytes: data.length,
          });
          process.stderr.write(
            `bench:dashboard: interval ${c.interval}: ${c.summary.orders} orders, ${c.promises} promises\n`,
          );
        }
        if (rows.length >= intervals) {
          clearTimeout(timer);
          clearInterval(watchdog);
          ws.close();
          resolve();
        }
      }
    });
  });
} finally {
  await platform.stop();
}
const result = {
  devices,
  blocks: feedMs.length,
  feedMsP50: pct(feedMs, 50),
  feedMsP99: pct(feedMs, 99),
  feedMsMax: feedMs.length ? Math.max(...feedMs) : Number.NaN,
  blockUpdateBytesP50: pct(blockBytes, 50),
  readMsP50: pct(readMs, 50),
  readMsP99: pct(readMs, 99),
  loopStallMsP50: pct(stallMs, 50),
  loopStallMsMax: stallMs.length ? Math.max(...stallMs) : Number.NaN,
  cleared: rows,
  failure,
};
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(
    `dashboard feed, ${devices} devices, ${feedMs.length} blocks: newHeads -> block pushed p50 ${result.feedMsP50} ms, p99 ${result.feedMsP99} ms, max ${result.feedMsMax} ms (${result.blockUpdateBytesP50} bytes); ` +
      `-> block's reads pushed p50 ${result.readMsP50} ms, p99 ${result.readMsP99} ms; event-loop stall per block p50 ${result.loopStallMsP50} ms, max ${result.loopStallMsMax} ms\n`,
  );
  process.stdout.write('interval       orders  promises  clearing seen -> cleared view  view bytes\n');
  for (const r of rows)
    process.stdout.write(
      `${String(r.interval).padEnd(13)}  ${String(r.orders).padStart(6)}  ${String(r.promises).padStart(8)}  ${String(r.viewMs).padStart(26)} ms  ${String(r.bytes).padStart(10)}\n`,
    );
  if (failure) process.stdout.write(`  stopped early: ${failure}\n`);
}
if (failure) process.exitCode = 1;
