// `gridledger simulate`: runs a scenario headless on a fresh local network. Builds the scenario's genesis
// (scenarioGenesis: market with its clock, device accounts) in DIR (default a temporary folder, removed
// afterwards), starts the validators as child processes (validators.ts), runs the devices with runScenario
// until K intervals are cleared and settled, prints the per-interval table (or one JSON object as the last
// stdout line), with the scenario's strategic participants (profit, truthful twin's profit, gain; invariant
// noStrategyGains), stops every process, and exits non-zero when an invariant failed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GridledgerError } from '@gridledger/base';
import { initDevNetwork, isEmptyDir } from '@gridledger/node';
import {
  type IntervalReport,
  loadScenario,
  pacedForChain,
  pacingNote,
  type RunResult,
  runScenario,
  type SimEvent,
  type StrategyResult,
  scenarioGenesis,
  withDevices,
} from '@gridledger/simulator';
import type { Command } from 'commander';
import { fmt, log, parseFormat, printJson, renderTable, UsageError } from '../output.ts';
import { Validators } from '../validators.ts';
import { parseIntFlag } from './init.ts';

/** The interval fields of the JSON output, in order. */
export const SIMULATE_INTERVAL_FIELDS = [
  'interval',
  'ordersPlaced',
  'clearedWh',
  'lmpMin',
  'lmpMax',
  'congestionRent',
  'promisesMinted',
  'readingsAccepted',
  'readingsRejected',
  'creditsMintedWh',
  'meteredDeliveredWh',
] as const;

interface SimulateFlags {
  scenario?: string;
  intervals: string;
  devices?: string;
  validators?: string;
  dir?: string;
  basePort: string;
  format: string;
  pricing?: string;
}

/** Registers the `simulate` command. */
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      'run a scenario on a fresh local network until K intervals are cleared and settled; print each interval and the invariant checks',
    )
    .option('--scenario <file>', 'scenario file, YAML or JSON (default: the embedded default scenario)')
    .requiredOption('--intervals <k>', 'intervals to clear and settle')
    .option('--devices <n>', 'number of device agents (scales the households)')
    .option('--validators <v>', 'validators (default: the scenario’s)')
    .option(
      '--dir <dir>',
      'network folder, empty or absent (default: a temporary folder, removed afterwards)',
    )
    .option('--base-port <p>', 'node k: p2p P+2k, JSON-RPC P+2k+1', '26900')
    .option('--pricing <model>', "the market's pricing model, dc or ac (default: the scenario's)")
    .option('--format <format>', 'table or json', 'table')
    .action(async (o: SimulateFlags) => {
      const format = parseFormat(o.format);
      const intervals = parseIntFlag('--intervals', o.intervals, 1, 1_000_000);
      const basePort = parseIntFlag('--base-port', o.basePort, 1, 65535);
      if (o.pricing !== undefined && o.pricing !== 'dc' && o.pricing !== 'ac')
        throw new UsageError(`--pricing: expected dc or ac, got ${JSON.stringify(o.pricing)}`);
      let scenario = await loadScenario(o.scenario);
      if (o.pricing !== undefined) scenario = { ...scenario, pricing: o.pricing };
      if (o.devices !== undefined) {
        const scaled = withDevices(scenario, parseIntFlag('--devices', o.devices, 1, 1_000_000));
        scenario = pacedForChain(scaled);
        if (scenario.wallSecondsPerInterval !== scaled.wallSecondsPerInterval)
          process.stderr.write(`simulate: ${pacingNote(scaled, scenario)}\n`);
      }
      const validators =
        o.validators === undefined ? scenario.validators : parseIntFlag('--validators', o.validators, 1, 100);
      const temporary = o.dir === undefined;
      const dir = temporary ? mkdtempSync(join(tmpdir(), 'gridledger-sim-')) : resolve(o.dir!);
      if (!temporary && !isEmptyDir(dir))
        throw new UsageError(`--dir ${dir} is not empty: simulate needs a fresh folder`);

      const genesisTime = new Date();
      const g = scenarioGenesis(scenario, {
        genesisTimeMs: BigInt(genesisTime.getTime()),
      });
      initDevNetwork({
        validators,
        outDir: dir,
        basePort,
        genesisTime,
        energy: g.energy,
        extraAccounts: g.extraAccounts,
        mempool: { maxTxs: Math.max(10_000, 3 * g.devices.length) },
      });
      const dev = JSON.parse(readFileSync(join(dir, 'dev-accounts.json'), 'utf8')) as {
        accounts: { name: string; role: string; address: `0x${string}`; privateKey: `0x${string}` }[];
      };
      const keyOf = (role: string) => dev.accounts.find((a) => a.role === role)!.privateKey;
      log(
        `simulate: ${scenario.name}: ${g.devices.length} devices, ${validators} validators, ${intervals} intervals; network in ${dir}`,
      );

      const nodes = Validators.start(dir);
      const children = nodes.children;
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      for (const c of children)
        void c.exited.then((code) => {
          if (!ac.signal.aborted) {
            log(`simulate: ${c.name} exited with code ${code} (see ${join(dir, c.name, 'node.log')})`);
            ac.abort();
          }
        });
      const progress = progressPrinter(intervals);
      let result: RunResult | undefined;
      let failure: unknown;
      try {
        await nodes.waitUntilProducing(120_000);
        result = await runScenario({
          rpcUrls: children.map((c) => c.rpcUrl),
          scenario,
          keys: { admin: keyOf('admin'), gridOperator: keyOf('grid-operator'), submitter: keyOf('meter') },
          intervals,
          signal: ac.signal,
          knownAccounts: dev.accounts.map((a) => a.address),
          onEvent: progress,
        });
      } catch (err) {
        failure = err;
      } finally {
        progress({ type: 'warning', message: '' });
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        ac.abort();
        await nodes.stop();
        if (temporary && !process.env.GL_KEEP_SIM) rmSync(dir, { recursive: true, force: true });
        else log(`simulate: network kept in ${dir}`);
      }
      if (failure !== undefined) throw failure;
      const r = result!;
      if (format === 'json') {
        printJson({
          scenario: scenario.name,
          devices: g.devices.length,
          intervals: r.intervals.map((i) =>
            Object.fromEntries(SIMULATE_INTERVAL_FIELDS.map((f) => [f, i[f]])),
          ),
          invariants: r.invariants,
          strategies: r.strategies.map((x) => ({
            kind: x.kind,
            name: x.name,
            account: x.account,
            bus: x.bus,
            profitUsd: x.profitUsd,
            truthfulProfitUsd: x.truthfulProfitUsd,
            gainUsd: x.gainUsd,
          })),
          totals: r.totals,
          lmpByBus: Object.fromEntries(r.intervals.map((i) => [i.interval, i.lmpByBus])),
          failures: r.failures,
        });
      } else {
        process.stdout.write(`${renderIntervals(r.intervals)}\n`);
        if (r.strategies.length > 0) process.stdout.write(`${renderStrategies(r.strategies)}\n`);
        process.stdout.write(
          `${renderTable(
            ['invariant', 'holds'],
            Object.entries(r.invariants).map(([k, v]) => [k, v ? 'yes' : 'NO']),
          )}\n`,
        );
        for (const f of r.failures) process.stdout.write(`  ${f}\n`);
      }
      if (r.stopped === 'aborted')
        throw new GridledgerError('E_ABORTED', 'simulate: stopped before all intervals settled');
      const failed = Object.entries(r.invariants).filter(([, v]) => !v);
      if (failed.length > 0)
        throw new GridledgerError(
          'E_INVARIANT',
          `simulate: invariants failed: ${failed.map(([k]) => k).join(', ')}`,
        );
    });
}

/** The per-interval table. */
export function renderIntervals(rows: readonly IntervalReport[]): string {
  return renderTable(
    [
      'interval',
      'start',
      'orders',
      'cleared kWh',
      'LMP min',
      'LMP max',
      'rent $',
      'promises',
      'readings ok',
      'rejected',
      'credits kWh',
      'metered kWh',
    ],
    rows.map((r) => [
      r.interval,
      r.startIso.slice(11, 16),
      r.ordersPlaced,
      fmt(r.clearedWh / 1000, 1),
      fmt(r.lmpMin, 2),
      fmt(r.lmpMax, 2),
      fmt(r.congestionRent, 4),
      r.promisesMinted,
      r.readingsAccepted,
      r.readingsRejected,
      fmt(r.creditsMintedWh / 1000, 2),
      fmt(r.meteredDeliveredWh / 1000, 2),
    ]),
  );
}

/** The strategies table: each strategic participant's profit, its truthful twin's and the gain ($). */
export function renderStrategies(rows: readonly StrategyResult[]): string {
  return renderTable(
    ['strategy', 'kind', 'bus', 'account', 'profit $', 'twin profit $', 'gain $'],
    rows.map((x) => [
      x.name,
      x.kind,
      x.bus,
      x.account,
      fmt(x.profitUsd, 4),
      fmt(x.truthfulProfitUsd, 4),
      `${fmt(x.gainUsd, 4)}${x.gainUsd > 0 ? ' GAINS' : ''}`,
    ]),
  );
}

/** Progress on stderr: a bar when stderr is a terminal, a line per settled interval otherwise. */
function progressPrinter(total: number): (e: SimEvent) => void {
  const tty = process.stderr.isTTY === true;
  let settled = 0;
  let last = '';
  const bar = () => {
    const w = 24;
    const done = Math.round((settled / total) * w);
    return `[${'#'.repeat(done)}${'.'.repeat(w - done)}] ${settled}/${total} intervals settled`;
  };
  return (e) => {
    let line: string | undefined;
    switch (e.type) {
      case 'setup':
        line = `setup: ${e.step}${e.detail ? ` (${e.detail})` : ''}`;
        break;
      case 'ready':
        line = `trading from interval ${e.firstInterval} with ${e.devices} devices`;
        break;
      case 'orders':
        line = `interval ${e.interval}: ${e.orders} orders signed and sent in ${e.ms} ms${e.rejected ? `, ${e.rejected} rejected` : ''}`;
        break;
      case 'reveals':
        line = `interval ${e.interval}: ${e.reveals} sealed orders revealed`;
        break;
      case 'cleared':
        line = `interval ${e.interval}: ${e.status}, LMP ${e.lmpMin.toFixed(2)}..${e.lmpMax.toFixed(2)} $/MWh, ${e.promises} promises`;
        break;
      case 'readings':
        line = `interval ${e.interval}: ${e.readings} readings in ${e.transactions} transactions`;
        break;
      case 'settled':
        settled++;
        line = `interval ${e.report.interval}: settled, credits ${(e.report.creditsMintedWh / 1000).toFixed(2)} kWh`;
        break;
      case 'warning':
        if (e.message === '') {
          if (tty && last !== '') process.stderr.write('\n');
          return;
        }
        line = `warning: ${e.message}`;
        break;
    }
    if (tty) {
      last = `${bar()}  ${line}`;
      process.stderr.write(`\r\x1b[K${last.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    } else log(`simulate: ${line}`);
  };
}
