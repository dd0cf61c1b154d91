import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/gridledger.mjs', import.meta.url));
const CASES = fileURLToPath(new URL('../../../../../shared/grid-cases/', import.meta.url));
const run = (...args: string[]) => spawnSync('node', [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('gridledger opf', () => {
  it('prints one JSON object with the documented shape for case9_congested', () => {
    const r = run('opf', join(CASES, 'case9_congested.m'), '--format', 'json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    expect(Object.keys(j)).toEqual([
      'case',
      'status',
      'objective',
      'baseMVA',
      'buses',
      'generators',
      'branches',
      'timingMs',
    ]);
    expect(j.case).toBe('case9_congested');
    expect(j.status).toBe('optimal');
    expect(j.objective).toBeCloseTo(5710.052461420207, 4);
    expect(Object.keys(j.buses[0])).toEqual([
      'id',
      'lmp',
      'lmpLow',
      'lmpHigh',
      'lmpEnergy',
      'lmpCongestion',
      'vaDeg',
    ]);
    expect(j.buses[8].lmp).toBeCloseTo(39.15476297342252, 3);
    expect(Object.keys(j.generators[0])).toEqual(['index', 'bus', 'pgMw']);
    expect(Object.keys(j.branches[0])).toEqual(['index', 'from', 'to', 'flowMw', 'muFrom', 'muTo']);
    expect(j.branches[7]).toMatchObject({ index: 8, from: 8, to: 9 });
    expect(j.branches[7].muFrom).toBeCloseTo(30.710348494427237, 2);
    expect(Object.keys(j.timingMs)).toEqual(['parse', 'build', 'solve', 'total']);
    expect(j.timingMs.total).toBeGreaterThanOrEqual(j.timingMs.solve);
    expect(r.stderr).toMatch(/opf case9_congested: optimal/);
  });

  it('prints a readable summary by default', () => {
    const r = run('opf', join(CASES, 'case9_congested.m'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/status optimal/);
    expect(r.stdout).toMatch(/binding branches: 1/);
    expect(r.stdout).toMatch(/30\.710/);
  });

  it('rejects a malformed file with its line and no stack trace', () => {
    const bad = join(tmpdir(), `gridledger-bad-${process.pid}.m`);
    writeFileSync(
      bad,
      "mpc.version = '2';\nmpc.baseMVA = 100;\nmpc.bus = [\n 1 3 0 0 0 0 1 1 0 100 1 1.1 oops;\n];\n",
    );
    const r = run('opf', bad, '--format', 'json');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: expected a number in mpc\\.bus, got "oops"`,
      ),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad --format with a usage error', () => {
    const r = run('opf', join(CASES, 'case9.m'), '--format', 'xml');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--format must be "table" or "json"/);
  });
});
