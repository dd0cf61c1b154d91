// Benchmark of the dashboard feed under a running platform: the default scenario with N devices on 4
// validator processes (test/platform.ts), the dashboard following it. Prints, per run: the delay from a
// block's newHeads notification to its update being pushed (p50, p99, max), the time from the block that
// cleared an interval to the pushed cleared view (the heavy reads: book, grid state, promises), and
// the sizes of those messages. Usage: npm run bench:dashboard [-- --devices 1000 --intervals 4 --format json]
import { startDashboard } from '../src/index.ts';
import type { DashboardView } from '../src/view.ts';
import { startPlatform } from '../test/platform.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const devices = arg('devices', 1000);
const intervals = arg('intervals', 4);
const basePort = arg('base-port', 27340);
const json =
  process.argv.includes('--format') && process.argv[process.argv.indexOf('--format') + 1] === 'json';

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const platform = await startPlatform(basePort, devices);
const dashboard = await startDashboard({
  rpcUrls: platform.rpcUrls,
  port: 0,
  devAccountsPath: platform.devAccountsPath,
  logger: (await import('pino')).pino({ level: 'warn' }),
});
const feedMs: number[] = [];
const blockBytes: number[] = [];
const clearedRows: { interval: number; orders: number; promises: number; readMs: number; bytes: number }[] =
  [];
let clearSeenAt = new Map<number, number>();
const done = new Promise<void>((resolve) => {
  dashboard.follower.onUpdate((sections: Partial<DashboardView>) => {
    const bytes = JSON.stringify({ type: 'update', sections }).length;
    if (sections.chain) {
      feedMs.push(sections.chain.feedMs);
      blockBytes.push(bytes);
    }
    const m = sections.market;
    if (m && !clearSeenAt.has(m.clearNext - 1)) clearSeenAt.set(m.clearNext - 1, Date.now());
    const c = sections.cleared;
    if (c && c.summary.orders > 0 && !clearedRows.some((r) => r.interval === c.interval)) {
      const t0 = clearSeenAt.get(c.interval);
      if (t0 !== undefined)
        clearedRows.push({
          interval: c.interval,
          orders: c.summary.orders,
          promises: c.promises,
          readMs: Date.now() - t0,
          bytes,
        });
      process.stderr.write(
        `bench:dashboard: interval ${c.interval}: ${c.summary.orders} orders, ${c.promises} promises\n`,
      );
      if (clearedRows.length >= intervals) resolve();
    }
  });
});
const timeout = new Promise<void>((r) => setTimeout(r, 30 * 60_000));
try {
  await Promise.race([done, timeout]);
} finally {
  await dashboard.close();
  await platform.stop();
  clearSeenAt = new Map();
}
const result = {
  devices,
  blocks: feedMs.length,
  feedMsP50: pct(feedMs, 50),
  feedMsP99: pct(feedMs, 99),
  feedMsMax: Math.max(...feedMs),
  blockUpdateBytesP50: pct(blockBytes, 50),
  cleared: clearedRows,
  simulatorProblems: platform.problems.slice(0, 5),
};
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(
    `dashboard feed, ${devices} devices, ${feedMs.length} blocks: newHeads -> update pushed p50 ${result.feedMsP50} ms, p99 ${result.feedMsP99} ms, max ${result.feedMsMax} ms; block update ${result.blockUpdateBytesP50} bytes\n`,
  );
  process.stdout.write('interval        orders  promises  cleared -> view pushed  view bytes\n');
  for (const r of clearedRows)
    process.stdout.write(
      `${String(r.interval).padEnd(14)}  ${String(r.orders).padStart(6)}  ${String(r.promises).padStart(8)}  ${String(r.readMs).padStart(17)} ms  ${String(r.bytes).padStart(10)}\n`,
    );
  for (const p of result.simulatorProblems) process.stdout.write(`  ${p}\n`);
}
