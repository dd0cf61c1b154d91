import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
