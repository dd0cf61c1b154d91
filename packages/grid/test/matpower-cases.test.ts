// Every shared MATPOWER case parses, and DC power flow with each reference dispatch reproduces the
// reference bus angles and branch flows (MATPOWER rundcopf, see ../shared/grid-cases/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRID_CASES_DIR } from '../src/cases-dir.ts';
import { loadMatpower, solveDcPowerFlow } from '../src/index.ts';

const caseFiles = readdirSync(GRID_CASES_DIR)
  .filter((f) => f.endsWith('.m'))
  .sort();
const refFiles = readdirSync(join(GRID_CASES_DIR, 'reference'))
  .filter((f) => f.endsWith('.dcopf.json'))
  .sort();

interface Reference {
  case: string;
  summary: { n_bus: number; n_gen: number; n_branch: number };
  bus: { bus_i: number; Va: number }[];
  gen: { Pg: number }[];
  branch: { PF: number }[];
}

describe('MATPOWER import of every shared case', () => {
  it('finds the cases', () => {
    expect(caseFiles.length).toBeGreaterThanOrEqual(27);
  });
  for (const f of caseFiles) {
    it(`parses ${f}`, async () => {
      const t0 = performance.now();
      const net = await loadMatpower(join(GRID_CASES_DIR, f));
      const ms = performance.now() - t0;
      if (ms > 100) console.log(`parse ${f}: ${ms.toFixed(0)} ms`);
      expect(net.name).toBe(f.replace(/\.m$/, ''));
      expect(net.buses.length).toBeGreaterThan(0);
      expect(net.generators.every((g, k) => g.index === k + 1 && g.cost !== undefined)).toBe(true);
      expect(net.branches.every((b, k) => b.index === k + 1)).toBe(true);
    });
  }
  it('keeps the sizes of the references', async () => {
    for (const f of refFiles) {
      const ref = JSON.parse(readFileSync(join(GRID_CASES_DIR, 'reference', f), 'utf8')) as Reference;
      const net = await loadMatpower(join(GRID_CASES_DIR, `${ref.case}.m`));
      expect([net.buses.length, net.generators.length, net.branches.length]).toEqual([
        ref.summary.n_bus,
        ref.summary.n_gen,
        ref.summary.n_branch,
      ]);
    }
  });
});

describe('DC power flow against the reference dispatch', () => {
  for (const f of refFiles) {
    it(`reproduces Va and PF of ${f}`, async () => {
      const ref = JSON.parse(readFileSync(join(GRID_CASES_DIR, 'reference', f), 'utf8')) as Reference;
      const net = await loadMatpower(join(GRID_CASES_DIR, `${ref.case}.m`));
      const pf = solveDcPowerFlow(
        net,
        ref.gen.map((g) => g.Pg),
      );
      ref.bus.forEach((b, k) => {
        expect(net.buses[k]!.id).toBe(b.bus_i);
        expect(Math.abs(pf.vaDeg[k]! - b.Va)).toBeLessThan(1e-6);
      });
      ref.branch.forEach((b, k) => {
        expect(Math.abs(pf.flowMw[k]! - b.PF)).toBeLessThan(1e-6);
      });
      expect(Math.abs(pf.slackMw[0]!)).toBeLessThan(1e-6);
    });
  }
});
