import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_EVM_GAS } from '@gridledger/capacity';
import { describe, expect, it } from 'vitest';

const bin = new URL('../bin/gridledger.mjs', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync('node', [bin, 'capacity', ...args], { encoding: 'utf8' });

describe('gridledger capacity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-capacity-'));
  const chain = join(dir, 'chain.json');
  writeFileSync(
    chain,
    'tx/s 1200\n{"txPerSec":1200,"finalityP50Ms":600,"finalityP99Ms":1500,"validators":4}\n',
  );

  it('prints the load and the assessment as one JSON object', () => {
    const r = run('--devices', '1e4', '--interval', '5m', '--measured', chain, '--format', 'json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.load.devices).toBe(10_000);
    expect(out.load.peakTps).toBeGreaterThan(out.load.avgTps);
    expect(out.assessment.binding).toBe('throughput');
    expect(out.assessment.maxDevices).toBeGreaterThan(10_000);
  });
  it('prints a readable table', () => {
    const r = run('--devices', '5000', '--measured', chain);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/tx\/s at gate-closure peak/);
    expect(r.stdout).toMatch(/binds first: throughput/);
  });
  it('sweeps and writes a chart with the crossing marked', () => {
    const svg = join(dir, 'sweep.svg');
    const r = run('--sweep', '1e3..1e7', '--measured', chain, '--chart', svg, '--format', 'json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows.length).toBeGreaterThan(10);
    expect(out.crossingDevices).toBeGreaterThan(1000);
    expect(readFileSync(svg, 'utf8')).toMatch(/crossing: /);
  });
  it('rejects bad input with a clear error and nothing on stdout', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"tps": 5}');
    for (const [args, msg] of [
      [['--devices', '0'], /greater than zero/],
      [['--devices', '-3'], /positive whole number/],
      [['--devices', '100', '--interval', '5parsecs'], /unknown unit "parsecs"/],
      [['--devices', '100', '--measured', bad], /no measurement found/],
      [['--devices', '100', '--measured', join(dir, 'missing.json')], /cannot read measured file/],
      [['--devices', '100', '--format', 'xml'], /--format must be/],
      [[], /give --devices/],
      [
        ['--devices', '100', '--measure', 'nosuch'],
        /unknown benchmark "nosuch"; expected "all" or a list of chain/,
      ],
      [
        ['--devices', '100', '--measure', 'chain', '--measure-duration', '2'],
        /--measure-duration: expected whole seconds in 5..600/,
      ],
      [['--measure', 'chain'], /give --devices N \(or --sweep LO..HI\) with --measure/],
    ] as [string[], RegExp][]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  }, 300_000); // ten CLI processes, each a few seconds on a loaded machine

  it('--chain evm: the devices an EVM network carries per interval, as JSON and as a table', () => {
    const r = run('--chain', 'evm', '--block-gas', '30M', '--block-time', '2s', '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.network).toEqual({ blockGas: 30_000_000, blockTimeS: 2 });
    expect(out.sealed).toBe(false);
    expect(out.clearingChunks.ordersPerChunk).toBeGreaterThan(100);
    // the settlement (the second settlement, every market's) goes in chunks: no single settle
    // transaction binds, its chunks are reported
    expect(out.constraints.map((c: { name: string }) => c.name)).not.toContain('settle transaction');
    expect(out.settlementChunks.itemsPerChunk).toBeGreaterThan(100);
    const least = Math.min(...out.constraints.map((c: { maxDevices: number }) => c.maxDevices));
    expect(out.maxDevices).toBe(least);
    // a bench:evm output file replaces the built-in gas: doubling every number halves the devices (about)
    const gas = join(dir, 'gas.json');
    const model = Object.fromEntries(Object.entries(doubleGas()).map(([k, v]) => [k, String(v)]));
    writeFileSync(gas, `${JSON.stringify({ bench: 'evm-gas', gas: {}, model })}\n`);
    const r2 = run(
      '--chain',
      'evm',
      '--block-gas',
      '30M',
      '--block-time',
      '2s',
      '--measured',
      gas,
      '--format',
      'json',
    );
    expect(r2.status, r2.stderr).toBe(0);
    expect(JSON.parse(r2.stdout).maxDevices).toBeLessThan(out.maxDevices);
    const t = run(
      '--chain',
      'evm',
      '--block-gas',
      '30M',
      '--block-time',
      '12s',
      '--devices',
      '1000',
      '--reveal-window',
      '30s',
    );
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/reveals +│ the 30 s reveal window/);
    expect(t.stdout).toMatch(/carries [0-9,]+ devices per 300 s interval \(sealed bids\); binds first: /);
    expect(t.stdout).toMatch(/the settlement goes in chunks of at most [0-9,]+ items/);
  });

  it('--chain evm refuses bad flags with a clear error and nothing on stdout', () => {
    for (const [args, msg] of [
      [['--chain', 'evm', '--block-time', '2s'], /--chain evm needs --block-gas G and --block-time T/],
      [['--chain', 'bitcoin', '--devices', '10'], /--chain: expected native or evm, got "bitcoin"/],
      [['--devices', '10', '--block-gas', '30M'], /--block-gas is for --chain evm/],
      [
        ['--chain', 'evm', '--block-gas', '0', '--block-time', '2s'],
        /--block-gas: must be greater than zero/,
      ],
      [
        ['--chain', 'evm', '--block-gas', '30M', '--block-time', '500ms'],
        /--block-time: EVM blocks carry whole seconds/,
      ],
      [
        ['--chain', 'evm', '--block-gas', '30M', '--block-time', '2s', '--reveal-window', '60s'],
        /shorter than the gate lead/,
      ],
      [
        ['--chain', 'evm', '--block-gas', '30M', '--block-time', '2s', '--sweep', '1e3..1e5'],
        /--sweep is for the native chain/,
      ],
      [
        ['--chain', 'evm', '--block-gas', '30M', '--block-time', '2s', '--measured', join(dir, 'chain.json')],
        /no bench:evm gas model found/,
      ],
    ] as [string[], RegExp][]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  }, 300_000);
});

/** Every built-in gas number doubled. */
function doubleGas(): Record<string, number> {
  return Object.fromEntries(Object.entries(DEFAULT_EVM_GAS).map(([k, v]) => [k, v * 2]));
}
