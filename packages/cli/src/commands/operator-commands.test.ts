// The operator and participant commands (grid, participant, meter register, account) without a chain,
// run in process through `main`: bad input gives a message that says what to do, a non-zero exit code
// and nothing on stdout, before anything is sent. The same commands against a real chain are in
// packages/cli/test/operator-cli.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, toHex } from 'viem';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';
import { parseKwToW, parseTimeOfDay } from './grid.ts';

const dir = mkdtempSync(join(tmpdir(), 'gl-operator-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = join(dir, 'op.key');
writeFileSync(keyFile, `${keccak256(toHex('gridledger operator cli test'))}\n`);
/** A port nothing listens on (this package's range is 27400-27599). */
const CLOSED = 'http://127.0.0.1:27597';
const A = '0x1111111111111111111111111111111111111111';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c) => {
    stdout += String(c);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c) => {
    stderr += String(c);
    return true;
  });
  try {
    const code = await main(['node', 'gridledger', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const k = ['--rpc', CLOSED, '--key-file', keyFile];
const line = ['grid', 'line', ...k, '--branch', '3'];
const tariff = ['grid', 'tariff', ...k];
const meter = ['meter', 'register', ...k, '--meter', '1', '--key-address', A, '--bus', '2', '--owner', A];

describe('operator commands: bad input is refused with a message that says what to do', () => {
  it.each([
    [line, 2, /give exactly one of --limit-kw X, --clear-limit, --out-of-service, --in-service/],
    [[...line, '--limit-kw', '5', '--out-of-service'], 2, /\(got --limit-kw, --out-of-service\)/],
    [[...line, '--limit-kw', '-1'], 1, /--limit-kw: expected kW such as 2500 or 0\.5/],
    [[...line, '--limit-kw', '1.2345'], 1, /at most 3 decimals/],
    [['grid', 'line', ...k, '--branch', 'x', '--in-service'], 1, /--branch: expected a whole number/],
    [
      [...tariff, '--from', '07:00', '--import', '90', '--export', '10'],
      1,
      /the first period must start at 00:00/,
    ],
    [
      [...tariff, '--from', '00:00,25:00', '--import', '90,90', '--export', '10,10'],
      1,
      /expected a time of day HH:MM/,
    ],
    [
      [...tariff, '--from', '00:00,07:00', '--import', '90', '--export', '10'],
      1,
      /must list as many values, got 2, 1, 1/,
    ],
    [
      [...tariff, '--from', '00:00', '--import', '90', '--export', '95'],
      1,
      /export price must be below the import price/,
    ],
    [
      [...tariff, '--from', '07:00,00:00', '--import', '9,9', '--export', '1,1'],
      1,
      /first period must start at 00:00/,
    ],
    [
      [...tariff, '--from', '00:00,07:00,07:00', '--import', '9,9,9', '--export', '1,1,1'],
      1,
      /expected increasing times/,
    ],
    [
      [...tariff, '--from', '00:00', '--import', 'ninety', '--export', '1'],
      1,
      /--import 1: expected a price in \$\/MWh/,
    ],
    [['grid', 'register', ...k, '--case', join(dir, 'none.m')], 1, /--case: no file at .*none\.m/],
    [[...meter, '--capacity-kw', 'lots'], 1, /--capacity-kw: expected kW/],
    [
      [
        'meter',
        'register',
        ...k,
        '--meter',
        '1',
        '--key-address',
        '0x12',
        '--bus',
        '2',
        '--owner',
        A,
        '--capacity-kw',
        '1',
      ],
      1,
      /--key-address: expected an address of 20 bytes/,
    ],
    [meter, 2, /required option '--capacity-kw <kW>' not specified/],
    [['participant', 'register', ...k, '--address', A], 1, /give at least one --bus B/],
    [['participant', 'register', ...k, '--address', A, '--bus', 'two'], 1, /--bus: expected a whole number/],
    [
      ['participant', 'register', '--rpc', CLOSED, '--address', A, '--bus', '2'],
      2,
      /participant register needs a signing key/,
    ],
    [['account', 'show', '0xzz', '--rpc', CLOSED], 1, /ADDRESS: expected an address of 20 bytes/],
    [
      ['account', 'show', A, '--rpc', CLOSED],
      1,
      /cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:27597/,
    ],
    [['account', 'show', A, '--rpc', CLOSED, '--format', 'xml'], 2, /--format must be "table" or "json"/],
    [[...line, '--in-service'], 1, /cannot reach the JSON-RPC endpoint/],
  ])('%j exits %i', async (args, code, why) => {
    const r = await run(...(args as string[]));
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(why as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(code);
  });

  it('parses kW and times of day exactly', () => {
    expect(parseKwToW('2.5', 'x')).toBe(2500n);
    expect(parseKwToW('0', 'x')).toBe(0n);
    expect(parseKwToW('12.345', 'x')).toBe(12_345n);
    expect(parseTimeOfDay('00:00', 'x')).toBe(0);
    expect(parseTimeOfDay('23:59', 'x')).toBe(1439);
    expect(() => parseTimeOfDay('24:00', 'x')).toThrow(/HH:MM/);
  });

  it('every new command has --help with examples', async () => {
    for (const args of [
      ['grid', 'line'],
      ['grid', 'tariff'],
      ['grid', 'register'],
      ['participant', 'register'],
      ['meter', 'register'],
      ['account', 'show'],
    ]) {
      const r = await run(...args, '--help');
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });
});
