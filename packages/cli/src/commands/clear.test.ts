// `gridledger clear` end to end: spawns the real bin on a one-bus book, on case9_congested, and on bad
// inputs (unknown bus, negative and non-numeric values, empty book, missing file, infeasible network).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/gridledger.mjs', import.meta.url));
const cases = fileURLToPath(new URL('../../../../../shared/grid-cases/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gl-clear-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin and collects its output; the child is killed if the test times out. */
function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const oneBus = file(
  'book.m',
  `function mpc = book
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
\t1\t3\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
];
mpc.gen = [];
mpc.branch = [];
`,
);
const oneBusCsv = file(
  'book.csv',
  `id,bus,side,price,quantity
b1,1,buy,40,5
b1,1,buy,25,4
s1,1,sell,20,3
s2,1,sell,35,1
`,
);

describe('gridledger clear', () => {
  it('clears a one-bus book with the auction: one JSON object on stdout, the fast path named on stderr', async () => {
    const r = await run([
      'clear',
      '--network',
      oneBus,
      '--orders',
      oneBusCsv,
      '--format',
      'json',
      '--interval-minutes',
      '15',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/single-bus auction \(fast path\)/);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual([
      'status',
      'welfare',
      'buses',
      'orders',
      'branches',
      'congestionRent',
      'settlement',
    ]);
    expect(j.status).toBe('optimal');
    expect(j.welfare).toBe(65);
    expect(j.buses).toEqual([{ id: 1, lmp: 40, lmpLow: 40, lmpHigh: 40 }]);
    expect(j.orders).toEqual([
      { id: 'b1', bus: 1, side: 'buy', cleared: 4, price: 40 },
      { id: 's1', bus: 1, side: 'sell', cleared: 3, price: 40 },
      { id: 's2', bus: 1, side: 'sell', cleared: 1, price: 40 },
    ]);
    expect(j.branches).toEqual([]);
    expect(j.congestionRent).toBe(0);
    // 15 minutes: 4 MW -> 1,000,000 Wh at 40 $/MWh = 40 $ = 40,000,000 µ$.
    expect(j.settlement.parties[0]).toEqual({
      id: 'b1',
      kind: 'order',
      bus: 1,
      side: 'buy',
      energyWh: '1000000',
      priceMicrosPerMWh: '40000000',
      amount: '40000000',
    });
    expect(j.settlement.buyersPay).toBe('40000000');
    expect(j.settlement.sellersReceive).toBe('40000000');
    expect(j.settlement.congestionRent).toBe('0');
  });

  // Issue 13's hand-made books: the network path (a copper-plate two-bus case) shares ties pro rata and
  // prices at the midpoint of the range, as the one-bus auction does; whatever the order of the rows.
  it('gives the one-bus answers on a copper-plate two-bus case: pro rata ties, midpoint prices', async () => {
    const twoBus = file(
      'two.m',
      `function mpc = two
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
\t1\t3\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
\t2\t1\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
];
mpc.gen = [];
mpc.branch = [
\t1\t2\t0\t0.01\t0\t0\t0\t0\t0\t0\t1\t-360\t360;
];
`,
    );
    const books: [string, string, Record<string, number>, number, number, number][] = [
      ['range.csv', 'b1,1,buy,40,3\ns1,1,sell,20,3\n', { b1: 3, s1: 3 }, 30, 20, 40],
      [
        'chain.csv',
        'b1,1,buy,40,3\ns1,1,sell,20,3\nup-sell,1,sell,100,1000\nup-buy,1,buy,20,1000\n',
        { b1: 3, s1: 3, 'up-sell': 0, 'up-buy': 0 },
        30,
        20,
        40,
      ],
      ['tie.csv', 'sA,1,sell,30,3\nsB,1,sell,30,3\nb1,1,buy,40,4\n', { sA: 2, sB: 2, b1: 4 }, 30, 30, 30],
      [
        'tie-swapped.csv',
        'sB,1,sell,30,3\nsA,1,sell,30,3\nb1,1,buy,40,4\n',
        { sA: 2, sB: 2, b1: 4 },
        30,
        30,
        30,
      ],
    ];
    for (const [name, rows, want, lmp, low, high] of books) {
      const csv = file(name, `id,bus,side,price,quantity\n${rows}`);
      // The one-bus case takes the auction (tested in @gridledger/market); once here for the range.
      for (const net of name === 'range.csv' ? [oneBus, twoBus] : [twoBus]) {
        const r = await run(['clear', '--network', net, '--orders', csv, '--format', 'json']);
        expect(r.code).toBe(0);
        const j = JSON.parse(r.stdout);
        for (const b of j.buses) expect(b).toEqual({ id: b.id, lmp, lmpLow: low, lmpHigh: high });
        expect(
          Object.fromEntries(j.orders.map((o: { id: string; cleared: number }) => [o.id, o.cleared])),
        ).toEqual(want);
      }
    }
  }, 240_000);

  it('prints tables by default, at most 40 orders of them', async () => {
    const extra = Array.from({ length: 45 }, (_, i) => `x${i},1,sell,99,1`).join('\n');
    const big = file('big.csv', `${readFileSync(oneBusCsv, 'utf8')}${extra}\n`);
    const r = await run(['clear', '--network', oneBus, '--orders', big]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\.\.\. and 8 more orders \(all of them with --format json\)/);
    expect(r.stdout).toMatch(/single-bus auction/);
    expect(r.stdout).toMatch(/│ b1 +│ 1 +│ buy +│ 4\.0000 +│ 40\.0000 +│ 4000000 +│ 160\.000000/);
  });

  it('clears orders on case9_congested with DC-OPF: prices differ by bus, money balances', async () => {
    const orders = file(
      'o9.json',
      JSON.stringify({
        orders: [
          {
            id: 'b5',
            bus: 5,
            side: 'buy',
            steps: [
              { price: 60, quantity: 20 },
              { price: 30, quantity: 10 },
            ],
          },
          { id: 'b9', bus: 9, side: 'buy', steps: [{ price: 80, quantity: 15 }] },
          { id: 's3', bus: 3, side: 'sell', steps: [{ price: 5, quantity: 10 }] },
          { id: 's7', bus: 7, side: 'sell', steps: [{ price: 10, quantity: 8 }] },
        ],
      }),
    );
    const r = await run([
      'clear',
      '--network',
      join(cases, 'case9_congested.m'),
      '--orders',
      orders,
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/DC-OPF/);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe('optimal');
    expect(j.buses).toHaveLength(9);
    expect(j.branches).toHaveLength(9);
    expect(Object.keys(j.branches[0])).toEqual(['index', 'flowMw', 'muFrom', 'muTo']);
    const lmp = new Map<number, number>(j.buses.map((b: { id: number; lmp: number }) => [b.id, b.lmp]));
    // Branch 8 (8-9, 40 MW) binds: bus 9 is dearer than bus 8.
    const b8 = j.branches.find((b: { index: number }) => b.index === 8);
    expect(Math.abs(b8.flowMw)).toBeCloseTo(40, 6);
    expect(b8.muFrom + b8.muTo).toBeGreaterThan(0);
    expect(lmp.get(9)! - lmp.get(8)!).toBeGreaterThan(1);
    expect(j.congestionRent).toBeGreaterThan(0);
    for (const o of j.orders) {
      expect(o.price).toBe(lmp.get(o.bus));
      const limit = o.id === 'b5' ? 60 : o.id === 'b9' ? 80 : o.id === 's3' ? 5 : 10;
      if (o.cleared > 1e-9) {
        if (o.side === 'buy') expect(o.price).toBeLessThanOrEqual(limit + 1e-6);
        else expect(o.price).toBeGreaterThanOrEqual(limit - 1e-6);
      }
    }
    const s = j.settlement;
    expect(s.balanced).toBe(true);
    expect(s.parties.filter((p: { kind: string }) => p.kind === 'generator').length).toBeGreaterThan(0);
    expect(
      s.parties.filter((p: { kind: string }) => p.kind === 'load').map((p: { id: string }) => p.id),
    ).toEqual(['load5', 'load7', 'load9']);
    expect(BigInt(s.buyersPay) - BigInt(s.sellersReceive)).toBe(BigInt(s.congestionRent));
    expect(BigInt(s.congestionRent)).toBeGreaterThan(0n);
    const sum = (side: string) =>
      s.parties
        .filter((p: { side: string }) => p.side === side)
        .reduce((a: bigint, p: { energyWh: string }) => a + BigInt(p.energyWh), 0n);
    expect(sum('buy')).toBe(sum('sell'));
    // The integer rent is the float rent over one hour to within rounding.
    expect(Number(BigInt(s.congestionRent)) / 1e6).toBeCloseTo(j.congestionRent, 2);
  });

  const bad: [string, string[], RegExp][] = [
    [
      'an order at an unknown bus',
      ['--orders', file('unknown.csv', 'id,bus,side,price,quantity\na,1,buy,10,1\nz,42,sell,5,1\n')],
      /order "z": bus 42 is not a bus of the network/,
    ],
    [
      'a negative quantity',
      ['--orders', file('neg.csv', 'id,bus,side,price,quantity\na,1,buy,10,-1\n')],
      /neg\.csv line 2 \(id "a"\): expected "quantity" to be >= 0/,
    ],
    [
      'a non-numeric price',
      [
        '--orders',
        file(
          'nan.json',
          '{"orders":[{"id":"a","bus":1,"side":"sell","steps":[{"price":"cheap","quantity":1}]}]}',
        ),
      ],
      /nan\.json: order 1 \(id "a"\) step 1: expected "price" to be a number/,
    ],
    ['an empty book', ['--orders', file('empty.csv', 'id,bus,side,price,quantity\n')], /order book is empty/],
    [
      'a missing orders file',
      ['--orders', join(dir, 'nope.csv')],
      /nope\.csv: cannot read the order book \(no such file\)/,
    ],
    [
      'a missing network file',
      ['--orders', oneBusCsv, '--network', join(dir, 'nope.m')],
      /cannot read case file .*nope\.m/,
    ],
    [
      'a bad interval',
      ['--orders', oneBusCsv, '--interval-minutes', '0'],
      /--interval-minutes must be a positive whole number/,
    ],
    [
      'an infeasible network',
      [
        '--orders',
        file('o2.csv', 'id,bus,side,price,quantity\nb,1,buy,30,1\n'),
        '--network',
        file(
          'inf.m',
          `function mpc = inf1
mpc.version = '2';
mpc.baseMVA = 100;
mpc.bus = [
\t1\t3\t50\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
\t2\t1\t0\t0\t0\t0\t1\t1\t0\t230\t1\t1.1\t0.9;
];
mpc.gen = [
\t2\t0\t0\t0\t0\t1\t100\t1\t10\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0;
];
mpc.branch = [
\t1\t2\t0\t0.1\t0\t20\t0\t0\t0\t0\t1\t-360\t360;
];
mpc.gencost = [
\t2\t0\t0\t2\t10\t0;
];
`,
        ),
      ],
      /the market did not clear: infeasible/,
    ],
  ];
  it.concurrent.each(bad)(
    'rejects %s: message on stderr, non-zero exit, nothing on stdout',
    async (_name, args, msg) => {
      const withNet = args.includes('--network') ? args : ['--network', oneBus, ...args];
      const r = await run(['clear', ...withNet, '--format', 'json']);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    },
  );

  it('documents itself in --help', async () => {
    const r = await run(['clear', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--network', '--orders', '--format', '--interval-minutes'])
      expect(r.stdout).toContain(flag);
  });
});
