// `gridledger opf --model ac` and `gridledger clear --model ac` as a user runs them (separate processes).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/gridledger.mjs', import.meta.url));
const CASES = fileURLToPath(new URL('../../../../../shared/grid-cases/', import.meta.url));
const run = (...args: string[]) => spawnSync('node', [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

describe('gridledger opf --model ac', () => {
  it('prints one JSON object with prices split into components, voltages, flows and timings (case69)', () => {
    const r = run('opf', join(CASES, 'case69.m'), '--model', 'ac', '--format', 'json');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!);
    expect(Object.keys(j)).toEqual([
      'case',
      'model',
      'status',
      'objective',
      'lossesMw',
      'baseMVA',
      'iterations',
      'buses',
      'generators',
      'branches',
      'timingMs',
    ]);
    expect(j.status).toBe('optimal');
    expect(Object.keys(j.buses[0])).toEqual([
      'id',
      'lmp',
      'lmpEnergy',
      'lmpLoss',
      'lmpCongestion',
      'lmpVoltage',
      'lmpQ',
      'vm',
      'vaDeg',
    ]);
    expect(Object.keys(j.branches[0])).toEqual([
      'index',
      'from',
      'to',
      'pFromMw',
      'qFromMvar',
      'pToMw',
      'qToMvar',
      'lossMw',
      'loadingPct',
      'muFrom',
      'muTo',
    ]);
    expect(Object.keys(j.timingMs)).toEqual(['parse', 'build', 'solve', 'total']);
    const ref = JSON.parse(readFileSync(join(CASES, 'reference', 'case69.acopf.json'), 'utf8'));
    expect(Math.abs(j.objective - ref.objective) / ref.objective).toBeLessThan(1e-5);
    const b65 = j.buses.find((b: { id: number }) => b.id === 65);
    const r65 = ref.bus.find((b: { bus_i: number }) => b.bus_i === 65);
    expect(Math.abs(b65.lmp - r65.lam_P) / r65.lam_P).toBeLessThan(5e-4);
    expect(b65.lmpEnergy + b65.lmpLoss + b65.lmpCongestion + b65.lmpVoltage).toBeCloseTo(b65.lmp, 9);
    expect(j.lossesMw).toBeCloseTo(ref.losses_MW, 3);
    expect(r.stderr).toMatch(/opf --model ac case69: optimal/);
  });

  it('prints a readable summary with the binding branch (case33bw_congested)', () => {
    const r = run('opf', join(CASES, 'case33bw_congested.m'), '--model', 'ac');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/model ac {3}status optimal/);
    expect(r.stdout).toMatch(/branches at their limit: 1/);
    expect(r.stdout).toMatch(/loss/);
  });

  it('an islanded network: a message, exit 1, no stack trace; a bad --model: usage error', () => {
    // Bus 3 hangs on an out-of-service branch only.
    const file = join(tmpdir(), `gridledger-island-${process.pid}.m`);
    writeFileSync(
      file,
      [
        'function mpc = island3',
        "mpc.version = '2';",
        'mpc.baseMVA = 100;',
        'mpc.bus = [',
        '1 3 0 0 0 0 1 1 0 12 1 1.05 0.95;',
        '2 1 10 2 0 0 1 1 0 12 1 1.05 0.95;',
        '3 1 5 1 0 0 1 1 0 12 1 1.05 0.95;',
        '];',
        'mpc.gen = [',
        '1 0 0 50 -50 1 100 1 100 0 0 0 0 0 0 0 0 0 0 0 0;',
        '];',
        'mpc.branch = [',
        '1 2 0.01 0.05 0 0 0 0 0 0 1 -360 360;',
        '2 3 0.01 0.05 0 0 0 0 0 0 0 -360 360;',
        '];',
        'mpc.gencost = [',
        '2 0 0 2 20 0;',
        '];',
      ].join('\n'),
    );
    const r = run('opf', file, '--model', 'ac', '--format', 'json');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/not connected to the reference bus/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const u = run('opf', join(CASES, 'case9.m'), '--model', 'acdc');
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/--model must be "dc" or "ac"/);
  });
});

describe('gridledger clear --model ac', () => {
  const orders = join(tmpdir(), `gridledger-ac-orders-${process.pid}.json`);
  writeFileSync(
    orders,
    JSON.stringify({
      orders: [
        { id: 'pv18', bus: 18, side: 'sell', steps: [{ price: 5, quantity: 0.3 }] },
        {
          id: 'ev33',
          bus: 33,
          side: 'buy',
          steps: [
            { price: 40, quantity: 0.2 },
            { price: 10, quantity: 0.2 },
          ],
        },
      ],
    }),
  );
  it('clears and settles a book on the feeder with AC prices', () => {
    const r = run(
      'clear',
      '--network',
      join(CASES, 'case33bw.m'),
      '--orders',
      orders,
      '--model',
      'ac',
      '--format',
      'json',
    );
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.model).toBe('ac');
    expect(j.status).toBe('optimal');
    expect(j.lossesMw).toBeGreaterThan(0.1);
    const pv = j.orders.find((o: { id: string }) => o.id === 'pv18');
    const ev = j.orders.find((o: { id: string }) => o.id === 'ev33');
    expect(pv.cleared).toBeCloseTo(0.3, 6);
    expect(ev.cleared).toBeCloseTo(0.2, 6);
    expect(ev.price).toBeGreaterThan(pv.price);
    expect(Object.keys(j.buses[0])).toContain('lmpLoss');
    expect(BigInt(j.settlement.buyersPay)).toBeGreaterThan(BigInt(j.settlement.sellersReceive));
    // The rent is the merchandising surplus: here all loss surplus (no limit binds), split by component.
    const split = j.rentSplit;
    expect(split.losses + split.congestion + split.voltage).toBeCloseTo(j.congestionRent, 6);
    expect(split.losses).toBeGreaterThan(0);
    expect(Math.abs(split.congestion)).toBeLessThan(1e-9);
  });
  it('refuses an unknown model', () => {
    const r = run('clear', '--network', join(CASES, 'case33bw.m'), '--orders', orders, '--model', 'acdc');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--model must be "dc" or "ac"/);
  });
});
