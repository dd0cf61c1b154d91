// The operator and participant commands against a real one-validator chain (a `gridledger node` process
// started by the node test harness, the development market in genesis): `grid register --case` registers
// a MATPOWER case, `participant register` and `meter register` (with its capacity) add a participant and
// a meter, `grid line` sets a 0-kW limit, takes a branch out of and back into service and clears the
// override, `grid tariff` schedules a time-of-day tariff (from the interval its notice allows), and
// `account show` reports cash, escrow, collateral and debt. Each result is checked on the chain itself
// (viem reads). Calls the chain refuses (an unknown branch, a non-operator key, a duplicate meter) exit 1
// with the chain's reason and change nothing; `--format json` prints one JSON document.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGISTRY_ABI, REGISTRY_ADDRESS, TARIFFS_ABI, TARIFFS_ADDRESS } from '@gridledger/energy';
import { initDevNetwork } from '@gridledger/node';
import { type Abi, createPublicClient, http, type PublicClient } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortRange, runCli, TEST_TIMEOUTS, TestNet } from '../../node/test/harness.ts';

const CASE9 = fileURLToPath(new URL('../../../../shared/grid-cases/case9.m', import.meta.url));
const net = new TestNet(1);
let pub: PublicClient;
// biome-ignore lint/suspicious/noExplicitAny: dev-accounts.json as written
let dev: any[];
const addr = (name: string): `0x${string}` => dev.find((a) => a.name === name).address;

/** Runs the CLI; resolves with its exit code and output. */
const cli = (args: string[]) => runCli(args, { timeoutMs: 120_000 });
const flags = (account: string) => [
  '--rpc',
  net.rpcUrl(0),
  '--dev-accounts',
  join(net.dir, 'dev-accounts.json'),
  '--account',
  account,
];
const json = async (args: string[]) => {
  const r = await cli([...args, '--format', 'json']);
  expect(r.stderr).not.toMatch(/Error|rejected/);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};
const read = <T>(
  functionName: string,
  args: unknown[],
  address: `0x${string}` = REGISTRY_ADDRESS,
  abi: Abi = REGISTRY_ABI,
) =>
  pub.readContract({ address, abi, functionName, args } as Parameters<
    PublicClient['readContract']
  >[0]) as Promise<T>;

beforeAll(async () => {
  const base = await freePortRange(2);
  net.basePort = base;
  initDevNetwork({
    validators: 1,
    outDir: net.dir,
    chainId: 'operator-cli',
    basePort: base,
    timeouts: TEST_TIMEOUTS,
    logLevel: 'warn',
    participants: 2,
  });
  dev = (await import(join(net.dir, 'dev-accounts.json'), { with: { type: 'json' } })).default.accounts;
  pub = createPublicClient({ transport: http(net.rpcUrl(0)), pollingInterval: 200 });
  await net.start(0);
  await net.waitHeight([0], 2n, 90_000);
}, 180_000);
afterAll(() => net.destroy());

describe('operator and participant commands on a one-node chain', () => {
  it('register a case, a participant and a meter; set line limits and status; schedule a tariff; show an account', async () => {
    const reg = await json(['grid', 'register', '--case', CASE9, ...flags('grid-operator')]);
    expect(reg).toMatchObject({ name: expect.any(String), version: '1', buses: 9, branches: 9 });
    expect(await read<bigint>('networkVersion', [])).toBe(1n);

    const p1 = addr('participant-1');
    const part = await json([
      'participant',
      'register',
      '--address',
      'participant-1',
      '--bus',
      '5,7',
      ...flags('admin'),
    ]);
    expect(part).toMatchObject({ address: p1, buses: ['5', '7'] });
    expect(await read<boolean>('canTrade', [p1, 7n])).toBe(true);

    const m = await json([
      'meter',
      'register',
      '--meter',
      '101',
      '--key-address',
      'meter-1',
      '--bus',
      '5',
      '--owner',
      'participant-1',
      '--capacity-kw',
      '12.5',
      ...flags('grid-operator'),
    ]);
    expect(m).toMatchObject({ meter: '101', capacityW: '12500', owner: p1 });
    expect(await read<readonly unknown[]>('meterOf', [101n])).toEqual([
      expect.stringMatching(new RegExp(addr('meter-1').slice(2), 'i')),
      5n,
      expect.stringMatching(new RegExp(p1.slice(2), 'i')),
      12_500n,
    ]);

    const zero = await json(['grid', 'line', '--branch', '3', '--limit-kw', '0', ...flags('grid-operator')]);
    expect(zero).toMatchObject({ branch: '3', limitW: '0', inService: true });
    expect(await read('lineLimit', [3n])).toEqual([true, 0n]);
    const out = await json(['grid', 'line', '--branch', '3', '--out-of-service', ...flags('grid-operator')]);
    expect(out).toMatchObject({ inService: false, statusOverridden: true, limitW: '0' });
    const back = await cli(['grid', 'line', '--branch', '3', '--in-service', ...flags('grid-operator')]);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/in service \(override\)/);
    await json(['grid', 'line', '--branch', '3', '--clear-limit', ...flags('grid-operator')]);
    expect(await read('lineLimit', [3n])).toEqual([false, 0n]);
    expect(await read('lineStatus', [3n])).toEqual([true, true]);

    const t = await json([
      'grid',
      'tariff',
      '--from',
      '00:00,07:00',
      '--import',
      '90,130.5',
      '--export',
      '10,20',
      ...flags('grid-operator'),
    ]);
    expect(t.version).toBe('1');
    const k = BigInt(t.fromInterval);
    const [, first] = await read<readonly [bigint, bigint]>('tariffLead', [], TARIFFS_ADDRESS, TARIFFS_ABI);
    expect(k).toBeLessThanOrEqual(first);
    const sched = await read<readonly unknown[]>('tariffSchedule', [k], TARIFFS_ADDRESS, TARIFFS_ABI);
    expect(sched.slice(2)).toEqual([
      [0n, 420n],
      [90_000_000n, 130_500_000n],
      [10_000_000n, 20_000_000n],
    ]);

    const acct = await json(['account', 'show', p1, '--rpc', net.rpcUrl(0)]);
    expect(acct).toMatchObject({
      address: p1,
      debtMicros: '0',
      escrowMicros: '0',
      collateralMicros: '0',
      claims: [],
    });
    expect(BigInt(acct.cashMicros)).toBeGreaterThan(0n);
    const table = await cli([
      'account',
      'show',
      'participant-1',
      '--rpc',
      net.rpcUrl(0),
      '--dev-accounts',
      join(net.dir, 'dev-accounts.json'),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/debt \$\s*│?\s*0/);
  });

  it('calls the chain refuses exit 1 with its reason and change nothing', async () => {
    const before = await Promise.all([
      read('lineLimit', [3n]),
      read('lineStatus', [3n]),
      read('meterOf', [101n]),
    ]);
    const cases: [string[], RegExp][] = [
      [
        ['grid', 'line', '--branch', '99', '--out-of-service', ...flags('grid-operator')],
        /unknown branch 99 \(the network has 9\)/,
      ],
      [
        ['grid', 'line', '--branch', '3', '--limit-kw', '5', ...flags('participant-1')],
        /needs GRID_OPERATOR_ROLE/,
      ],
      [
        [
          'meter',
          'register',
          '--meter',
          '101',
          '--key-address',
          'meter-1',
          '--bus',
          '5',
          '--owner',
          'participant-1',
          '--capacity-kw',
          '1',
          ...flags('grid-operator'),
        ],
        /meter 101 is already registered/,
      ],
      [
        ['participant', 'register', '--address', 'participant-2', '--bus', '77', ...flags('admin')],
        /unknown bus 77/,
      ],
      [
        ['grid', 'tariff', '--from', '00:00', '--import', '90', '--export', '10', ...flags('participant-2')],
        /setTariff needs GRID_OPERATOR_ROLE/,
      ],
    ];
    for (const [args, reason] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(reason);
      expect(r.stderr).toMatch(/nothing was sent|reverted in block/);
      expect(r.stdout).toBe('');
    }
    expect(
      await Promise.all([read('lineLimit', [3n]), read('lineStatus', [3n]), read('meterOf', [101n])]),
    ).toEqual(before);
  });
});
