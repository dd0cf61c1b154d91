// `gridledger capacity`: the load model of a deployment held against measured capacity (a table, JSON,
// or a sweep across device counts with an SVG chart).
import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '@gridledger/base';
import {
  type Assessment,
  assess,
  type Deployment,
  defaultDeployment,
  deriveLoad,
  type EvmCapacity,
  type EvmGas,
  evmCapacity,
  type Load,
  type Measured,
  mergeMeasured,
  parseCount,
  parseDurationS,
  parseEvmGas,
  parseMeasured,
  parseSweep,
  sweep,
  sweepChartSvg,
} from '@gridledger/capacity';
import type { Command } from 'commander';
import { log, parseFormat, printJson, renderTable } from '../output.ts';
import { parseMeasureList, runMeasureBenches } from './capacity-measure.ts';

interface CapacityFlags {
  devices?: string;
  interval: string;
  validators: string;
  blockInterval: string;
  measured?: string[];
  latencyBudget: string;
  gateLead: string;
  submissionWindow: string;
  readingsPerTx: string;
  tradingShare: string;
  buses?: string;
  retention?: string;
  sweep?: string;
  chart: string;
  format: string;
  measure?: string | true;
  measureDir: string;
  measureDuration: string;
  chain: string;
  blockGas?: string;
  blockTime?: string;
  revealWindow?: string;
}

function parseShare(text: string, what: string): number {
  const v = Number(text);
  if (!(Number.isFinite(v) && v > 0 && v <= 1))
    throw new InputError(`${what}: expected a share in (0, 1], got "${text}"`);
  return v;
}

function readMeasured(files: string[] | undefined): Measured | undefined {
  if (!files || files.length === 0) return undefined;
  const parts = files.map((f) => {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read measured file ${f}: ${(e as Error).message}`);
    }
    return parseMeasured(text, f);
  });
  return mergeMeasured(parts);
}

function deploymentFrom(flags: CapacityFlags, devices: number): Deployment {
  const intervalS = parseDurationS(flags.interval, '--interval');
  const overrides: Partial<Deployment> = {
    intervalS,
    validators: parseCount(flags.validators, '--validators'),
    blockIntervalS: parseDurationS(flags.blockInterval, '--block-interval'),
    gateLeadS: parseDurationS(flags.gateLead, '--gate-lead'),
    submissionWindowS: Math.min(parseDurationS(flags.submissionWindow, '--submission-window'), intervalS),
    readingsPerTx: parseCount(flags.readingsPerTx, '--readings-per-tx'),
    tradingShare: parseShare(flags.tradingShare, '--trading-share'),
    retentionDays:
      flags.retention === undefined ? null : parseDurationS(flags.retention, '--retention') / 86400,
  };
  if (flags.buses !== undefined) {
    overrides.buses = parseCount(flags.buses, '--buses');
    overrides.branches = overrides.buses - 1;
  }
  return defaultDeployment(devices, overrides);
}

const si = (x: number, digits = 1) => {
  if (!Number.isFinite(x)) return 'unbounded';
  const units = ['', 'k', 'M', 'G', 'T'];
  let i = 0;
  while (Math.abs(x) >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${x.toFixed(digits)}${units[i]}`;
};

function loadRows(load: Load, d: Deployment): (string | number)[][] {
  return [
    [
      'devices',
      load.devices.toLocaleString('en-US'),
      Object.entries(d.devices)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['orders per interval', si(load.ordersPerInterval), `+ ${si(load.cancelsPerInterval)} cancels`],
    ['readings per interval', si(load.readingsPerInterval), `${si(load.readingTxsPerInterval)} transactions`],
    ['tx/s average', load.avgTps.toFixed(2), `${si(load.txsPerInterval)} tx every ${d.intervalS} s`],
    ['tx/s at gate-closure peak', load.peakTps.toFixed(2), `orders in the last ${d.submissionWindowS} s`],
    ['bytes per block, average', si(load.avgBlockBytes), `peak ${si(load.peakBlockBytes)}`],
    ['clearing size', `${si(load.clearingOrders)} orders`, `${d.buses} buses`],
    [
      'settlement work per interval',
      si(load.settlementOpsPerInterval),
      `${si(load.promisesPerInterval)} promises`,
    ],
    [
      'storage per day (one node)',
      `${si(load.storageBytesPerDay)}B`,
      `per year ${si(load.storageBytesPerYear)}B`,
    ],
    [
      'storage held (one node)',
      `${si(load.storageBytesHeld)}B`,
      d.retentionDays === null ? 'after a year, no pruning' : `${d.retentionDays} days kept`,
    ],
  ];
}

function assessmentRows(a: Assessment): (string | number)[][] {
  return a.rows.map((r) => [
    r.resource,
    `${r.required.toFixed(2)} ${r.unit}`,
    `${r.available.toFixed(2)} ${r.unit}`,
    `${r.headroom.toFixed(2)}x`,
    si(r.maxDevices, 0),
  ]);
}

function readEvmGas(files: string[] | undefined): EvmGas | undefined {
  if (!files || files.length === 0) return undefined;
  if (files.length > 1)
    throw new InputError('--chain evm takes one --measured file (bench:evm --format json)');
  let text: string;
  try {
    text = readFileSync(files[0]!, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read measured file ${files[0]}: ${(e as Error).message}`);
  }
  return parseEvmGas(text, files[0]);
}

/** `--chain evm`: the devices an EVM network carries per interval (docs/capacity.md "On an EVM chain"). */
function runEvm(flags: CapacityFlags, format: 'table' | 'json'): void {
  if (flags.blockGas === undefined || flags.blockTime === undefined) {
    throw new InputError(
      '--chain evm needs --block-gas G and --block-time T, e.g. --block-gas 30M --block-time 2s',
    );
  }
  if (flags.sweep !== undefined)
    throw new InputError('--sweep is for the native chain; drop it with --chain evm');
  if (flags.measure !== undefined)
    throw new InputError(
      '--measure runs the native benchmarks; with --chain evm pass --measured FILE of bench:evm',
    );
  const blockGas = parseCount(flags.blockGas, '--block-gas');
  const blockTimeS = parseDurationS(flags.blockTime, '--block-time');
  if (blockTimeS < 1)
    throw new InputError(
      `--block-time: EVM blocks carry whole seconds; expected >= 1s, got "${flags.blockTime}"`,
    );
  const gas = readEvmGas(flags.measured);
  const d = deploymentFrom(
    flags,
    flags.devices === undefined ? 10_000 : parseCount(flags.devices, '--devices'),
  );
  const revealWindowS =
    flags.revealWindow === undefined ? undefined : parseDurationS(flags.revealWindow, '--reveal-window');
  const cap: EvmCapacity = evmCapacity(
    d,
    { blockGas, blockTimeS },
    { ...(gas ? { gas } : {}), revealWindowS },
  );
  if (format === 'json') {
    printJson({
      ...cap,
      gasSource: flags.measured?.[0] ?? 'built-in bench:evm numbers',
    });
    return;
  }
  const at = flags.devices !== undefined;
  console.log(
    renderTable(
      [
        'constraint',
        'window',
        'gas available',
        'gas per device',
        at ? `gas at ${si(cap.devices, 0)} devices` : 'fixed gas',
        'max devices',
      ],
      cap.constraints.map((c) => [
        c.name,
        c.window,
        si(c.availableGas),
        si(c.perDeviceGas),
        si(at ? c.requiredGas : c.fixedGas),
        si(c.maxDevices, 0),
      ]),
    ),
  );
  console.log(
    `an EVM network of ${si(blockGas)} gas every ${blockTimeS} s carries ${cap.maxDevices.toLocaleString('en-US')} devices per ${d.intervalS} s interval (${cap.sealed ? 'sealed bids' : 'open book'}); binds first: ${cap.binding}`,
  );
  const ch = cap.clearingChunks;
  console.log(
    `the clearing goes in chunks of at most ${ch.ordersPerChunk.toLocaleString('en-US')} orders (80% of a block): ${ch.chunks} chunk${ch.chunks === 1 ? '' : 's'} at ${si(cap.devices, 0)} devices, the largest transaction ${si(ch.largestTxGas)} gas`,
  );
  const sc = cap.settlementChunks;
  console.log(
    `the settlement goes in chunks of at most ${sc.itemsPerChunk.toLocaleString('en-US')} items (80% of a block): about ${sc.chunks} chunks at ${si(cap.devices, 0)} devices, the largest transaction ${si(sc.largestTxGas)} gas`,
  );
  if (at && cap.devices > cap.maxDevices) log(`note: ${cap.devices} devices exceed it`);
  if (!flags.measured)
    log('note: gas from the built-in bench:evm numbers (pass --measured FILE to use your own run)');
}

/** Registers the `capacity` command. */
export function registerCapacity(program: Command): void {
  program
    .command('capacity')
    .description("model a deployment's transaction load and hold it against measured capacity")
    .option('--devices <n>', 'number of devices (prosumers), e.g. 10000 or 1e4')
    .option('--interval <duration>', 'market interval, e.g. 5m, 15m, 1h', '5m')
    .option('--validators <n>', 'validators', '4')
    .option('--block-interval <duration>', 'time between blocks', '1s')
    .option('--measured <file...>', 'benchmark JSON (bench:chain, bench:consensus, bench:e2e, bench:market)')
    .option('--latency-budget <duration>', 'orders must be final within this after submission', '2s')
    .option('--gate-lead <duration>', 'gate closure lead time: the clearing must commit within it', '60s')
    .option('--submission-window <duration>', 'orders arrive in this window before the gate', '60s')
    .option('--readings-per-tx <n>', 'meter readings packed in one transaction', '1')
    .option('--trading-share <share>', 'share of devices that order in an interval', '0.9')
    .option('--buses <n>', 'buses of the network (default: one per 20 devices)')
    .option('--retention <duration>', 'how long blocks and state are kept, e.g. 30d (default: forever)')
    .option('--sweep <lo..hi>', 'sweep the device count, e.g. 1e3..1e7, and write a chart')
    .option('--chart <file.svg>', 'where --sweep writes its chart', 'capacity-sweep.svg')
    .option('--format <format>', 'table or json', 'table')
    .option(
      '--measure [benches]',
      'first run the benchmarks on this machine (all, or a list of: chain, e2e) and use their numbers',
    )
    .option('--measure-dir <dir>', 'where --measure keeps the benchmark outputs', '.gridledger/measured')
    .option('--measure-duration <seconds>', 'load duration of bench:chain under --measure', '15')
    .option(
      '--chain <chain>',
      'native (gridledger) or evm (the Solidity contracts on an EVM network)',
      'native',
    )
    .option('--block-gas <gas>', 'with --chain evm: the block gas limit, e.g. 30M')
    .option('--block-time <duration>', 'with --chain evm: time between blocks, e.g. 2s or 12s')
    .option(
      '--reveal-window <duration>',
      'with --chain evm: sealed bids with this reveal window (default: open book)',
    )
    .action(async (flags: CapacityFlags) => {
      const format = parseFormat(flags.format);
      if (flags.chain !== 'native' && flags.chain !== 'evm') {
        throw new InputError(`--chain: expected native or evm, got "${flags.chain}"`);
      }
      if (flags.chain === 'evm') {
        runEvm(flags, format);
        return;
      }
      for (const [v, name] of [
        [flags.blockGas, '--block-gas'],
        [flags.blockTime, '--block-time'],
        [flags.revealWindow, '--reveal-window'],
      ] as const) {
        if (v !== undefined) throw new InputError(`${name} is for --chain evm; add --chain evm or drop it`);
      }
      if (flags.measure !== undefined) {
        const names = parseMeasureList(flags.measure);
        const seconds = Number(flags.measureDuration);
        if (!(Number.isInteger(seconds) && seconds >= 5 && seconds <= 600))
          throw new InputError(
            `--measure-duration: expected whole seconds in 5..600, got "${flags.measureDuration}"`,
          );
        if (flags.devices === undefined && flags.sweep === undefined)
          throw new InputError('give --devices N (or --sweep LO..HI) with --measure');
        const files = await runMeasureBenches(names, flags.measureDir, seconds);
        flags.measured = [...(flags.measured ?? []), ...files];
      }
      const measured = readMeasured(flags.measured);
      if (flags.sweep !== undefined) {
        const counts = parseSweep(flags.sweep);
        const { devices: _d, ...base } = deploymentFrom(flags, counts[0]!);
        const s = sweep(counts, base, measured);
        writeFileSync(
          flags.chart,
          sweepChartSvg(s, `gridledger capacity: ${base.validators} validators, ${flags.interval} interval`),
        );
        log(`chart written to ${flags.chart}`);
        if (format === 'json') {
          printJson({ ...s, chart: flags.chart });
          return;
        }
        console.log(
          renderTable(
            ['devices', 'avg tx/s', 'peak tx/s', 'capacity tx/s', 'headroom', 'storage GB/yr'],
            s.rows.map((r) => [
              r.devices.toLocaleString('en-US'),
              r.avgTps.toFixed(2),
              r.peakTps.toFixed(2),
              r.capacityTps === null ? '-' : r.capacityTps.toFixed(0),
              r.headroom === null ? '-' : `${r.headroom.toFixed(2)}x`,
              r.storageGbPerYear.toFixed(2),
            ]),
          ),
        );
        if (s.crossingDevices !== null) {
          console.log(
            `required peak load meets measured throughput at ${si(s.crossingDevices, 0)} devices; binds first: ${s.binding}`,
          );
        }
        return;
      }
      if (flags.devices === undefined) throw new InputError('give --devices N (or --sweep LO..HI)');
      const d = deploymentFrom(flags, parseCount(flags.devices, '--devices'));
      const budgetS = parseDurationS(flags.latencyBudget, '--latency-budget');
      const a = measured ? assess(d, measured, { latencyBudgetS: budgetS }) : undefined;
      const load = a?.load ?? deriveLoad(d);
      if (format === 'json') {
        printJson({
          deployment: { ...d, profiles: undefined, sizes: undefined },
          load,
          assessment: a ?? null,
        });
        return;
      }
      console.log(renderTable(['load', 'value', 'detail'], loadRows(load, d)));
      if (!a) {
        log(
          'no --measured file: showing the load only (run a benchmark with --format json and pass its output)',
        );
        return;
      }
      console.log(
        renderTable(['resource', 'required', 'available', 'headroom', 'max devices'], assessmentRows(a)),
      );
      console.log(`binds first: ${a.binding}, at ${si(a.maxDevices, 0)} devices`);
      for (const n of a.notes) log(`note: ${n}`);
    });
}
