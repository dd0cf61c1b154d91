// The check both MATPOWER AC-OPF reference tests run (matpower-acopf-case30/69.test.ts): our AC-OPF against
// runopf's (MIPS) result in ../shared/grid-cases/reference/<case>.acopf.json. Every bus's LMP within 0.05% of
// lam_P, the objective within 1e-5 relative, Vm within 1e-4 p.u.; lam_Q, branch flows and mu_Sf/mu_St too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMatpower } from '@gridledger/grid';
import { expect } from 'vitest';
import { solveAcOpf } from '../src/ac-opf.ts';
import { GRID_CASES } from './cases.ts';

interface Reference {
  objective: number;
  losses_MW: number;
  bus: { bus_i: number; Vm: number; Va: number; lam_P: number; lam_Q: number }[];
  branch: { index: number; PF: number; QF: number; mu_Sf: number; mu_St: number }[];
}

/** Solves `<caseName>.m` and checks it against `reference/<caseName>.acopf.json`. */
export async function expectMatchesAcopfReference(caseName: string): Promise<void> {
  const ref = JSON.parse(
    readFileSync(join(GRID_CASES, 'reference', `${caseName}.acopf.json`), 'utf8'),
  ) as Reference;
  const r = await solveAcOpf(await loadMatpower(join(GRID_CASES, `${caseName}.m`)));
  expect(r.status).toBe('optimal');
  expect(Math.abs(r.objective - ref.objective) / ref.objective).toBeLessThan(1e-5);
  expect(Math.abs(r.lossesMw - ref.losses_MW)).toBeLessThan(1e-3);
  for (const b of ref.bus) {
    const o = r.buses.find((x) => x.id === b.bus_i)!;
    expect(
      Math.abs(o.lmp - b.lam_P) / Math.abs(b.lam_P),
      `bus ${b.bus_i} LMP ${o.lmp} vs ${b.lam_P}`,
    ).toBeLessThan(5e-4);
    expect(Math.abs(o.vm - b.Vm), `bus ${b.bus_i} Vm`).toBeLessThan(1e-4);
    expect(Math.abs(o.lmpQ - b.lam_Q), `bus ${b.bus_i} lamQ`).toBeLessThan(1e-2);
  }
  for (const br of ref.branch) {
    const o = r.branches.find((x) => x.index === br.index)!;
    expect(Math.abs(o.pFromMw - br.PF), `branch ${br.index} PF`).toBeLessThan(1e-2);
    expect(Math.abs(o.muFrom - br.mu_Sf) + Math.abs(o.muTo - br.mu_St)).toBeLessThan(1e-2);
  }
}
