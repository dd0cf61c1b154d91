// The market commands (order, meter, interval) without a chain, run in process through `main`: bad input
// (steps, keys, accounts, addresses, files, an unreachable node) gives a message that says what to do
// and a non-zero exit code with nothing on stdout; `meter sign --chain-id` signs offline, and the
// signature recovers to the meter key over the EIP-712 reading. The same commands against a real
// chain are in packages/cli/test/e2e-energy.test.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READING_TYPES, readingDomain } from '@gridledger/energy';
import { keccak256, recoverTypedDataAddress, toHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';

const dir = mkdtempSync(join(tmpdir(), 'gl-market-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = keccak256(toHex('gridledger market cli test meter'));
const keyFile = join(dir, 'meter.key');
writeFileSync(keyFile, `${KEY}\n`);
const devFile = join(dir, 'dev-accounts.json');
writeFileSync(
  devFile,
  JSON.stringify({
    accounts: [{ name: 'meter-1', address: privateKeyToAccount(KEY).address, privateKey: KEY }],
  }),
);
/** A state dir whose sealed-orders file is not one. */
const badState = join(dir, 'bad-state');
mkdirSync(badState);
writeFileSync(join(badState, 'sealed-orders.json'), '{"orders": 3}');
/** A port nothing listens on (this package's range is 27400-27599). */
const CLOSED = 'http://127.0.0.1:27598';

/** Runs the CLI in process; its exit code and what it wrote. */
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

const place = ['order', 'place', '--rpc', CLOSED, '--interval', '5', '--bus', '2', '--side', 'buy'];

describe('market commands: bad input is refused with a message that says what to do', () => {
  it.each([
    [
      [...place, '--key-file', keyFile, '--step', '2000@4x'],
      1,
      /--step 1 \("2000@4x"\): expected a price in \$\/MWh/,
    ],
    [
      [...place, '--key-file', keyFile, '--step', '2000'],
      1,
      /expected WH@PRICE, energy in Wh @ price in \$\/MWh/,
    ],
    [[...place, '--key-file', keyFile], 1, /give at least one --step WH@PRICE/],
    [
      [...place, '--step', '1@1'],
      2,
      /order place needs a signing key: --key HEX, --key-file FILE, or --account NAME/,
    ],
    [
      [...place, '--key', '0x12', '--step', '1@1'],
      1,
      /--key: expected a private key of 32 bytes as 64 hex digits/,
    ],
    [
      [...place, '--key', KEY, '--key-file', keyFile, '--step', '1@1'],
      2,
      /give only one of --key, --key-file and --account/,
    ],
    [
      [...place, '--key-file', join(dir, 'none.key'), '--step', '1@1'],
      1,
      /--key-file .*none\.key does not exist/,
    ],
    [
      [...place, '--account', 'nobody', '--dev-accounts', devFile, '--step', '1@1'],
      1,
      /unknown account "nobody" in .*\nknown accounts: meter-1/,
    ],
    [
      [...place, '--account', 'meter-1', '--dev-accounts', join(dir, 'no.json'), '--step', '1@1'],
      1,
      /dev accounts file .*no\.json does not exist\npass --dev-accounts/,
    ],
    [
      [...place, '--key-file', keyFile, '--side', 'hold', '--step', '1@1'],
      2,
      /--side must be "buy" or "sell", got "hold"/,
    ],
    [[...place, '--key-file', keyFile, '--bus', 'two', '--step', '1@1'], 1, /--bus: expected a whole number/],
    [
      [...place, '--key-file', keyFile, '--format', 'xml', '--step', '1@1'],
      2,
      /--format must be "table" or "json"/,
    ],
    [
      [...place, '--key-file', keyFile, '--step', '1@1'],
      1,
      /cannot reach the JSON-RPC endpoint http:\/\/127\.0\.0\.1:27598 \(ECONNREFUSED\)\nis a node running there\? Start one with `gridledger start`, or pass --rpc URL/,
    ],
    [
      [
        'order',
        'place',
        '--rpc',
        'localhost:1',
        '--interval',
        '5',
        '--bus',
        '2',
        '--side',
        'buy',
        '--key-file',
        keyFile,
        '--step',
        '1@1',
      ],
      1,
      /--rpc: expected an http:\/\/ or https:\/\/ URL/,
    ],
    [
      ['order', 'list', '--rpc', CLOSED, '--interval', 'soon'],
      1,
      /--interval: expected an interval number, "next" or "last", got "soon"/,
    ],
    [['interval', 'show', '-3', '--rpc', CLOSED], 1, /interval: expected an interval number/],
    [
      ['order', 'list', '--rpc', CLOSED, '--interval', '5', '--owner', '0x1234'],
      1,
      /--owner: expected an address of 20 bytes as 0x and 40 hex digits, got "0x1234"/,
    ],
    [
      ['order', 'list', '--rpc', CLOSED, '--interval', '5', '--owner', 'bob', '--dev-accounts', devFile],
      1,
      /--owner: expected a 0x address \(40 hex digits\) or a development account name, got "bob"/,
    ],
    [['order', 'cancel', 'seven', '--key-file', keyFile], 1, /order id: expected a whole number/],
    [['order', 'reveal', 'x1', '--key-file', keyFile], 1, /commitment id: expected a whole number/],
    [['order', 'reveal', '3', '--rpc', CLOSED], 2, /order reveal needs a signing key/],
    [
      ['order', 'reveal', '3', '--rpc', CLOSED, '--key-file', keyFile, '--state-dir', join(dir, 'empty')],
      1,
      /no stored commitment 3 of 0x[0-9a-f]{40} in .*empty\/sealed-orders\.json\nonly commitments made by `gridledger order place --no-reveal`/,
    ],
    [
      ['order', 'reveal', '3', '--rpc', CLOSED, '--key-file', keyFile, '--state-dir', badState],
      1,
      /sealed-orders\.json: not a sealed-orders file .*\nmove it away or pass another --state-dir/,
    ],
    [['interval', 'show', 'next', '--rpc', CLOSED], 1, /cannot reach the JSON-RPC endpoint/],
    [
      [
        'meter',
        'sign',
        '--meter',
        '1',
        '--interval',
        '5',
        '--imported',
        '-1',
        '--exported',
        '0',
        '--key-file',
        keyFile,
        '--chain-id',
        '7',
      ],
      1,
      /--imported: expected a whole number/,
    ],
    [
      [
        'meter',
        'sign',
        '--meter',
        '1',
        '--interval',
        '5',
        '--imported',
        '0',
        '--exported',
        '18446744073709551616',
        '--key-file',
        keyFile,
        '--chain-id',
        '7',
      ],
      1,
      /--exported: expected a whole number in 0\.\.18446744073709551615/,
    ],
    [
      ['meter', 'submit', join(dir, 'missing.jsonl'), '--key-file', keyFile],
      1,
      /readings file .*missing\.jsonl does not exist/,
    ],
  ])('%j exits %i', async (args, code, why) => {
    const r = await run(...(args as string[]));
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(why as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.code).toBe(code);
  });

  it('names the file, line and field of a bad readings file', async () => {
    const file = join(dir, 'bad.jsonl');
    const sig = `0x${'11'.repeat(65)}`;
    writeFileSync(
      file,
      `# readings\n${JSON.stringify({ meter: '1', interval: '5', importedWh: '0', exportedWh: 'x', signature: sig })}\n`,
    );
    const r = await run('meter', 'submit', file, '--key-file', keyFile, '--rpc', CLOSED);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toContain(`${file}:2: exportedWh must be a whole number`);
    writeFileSync(
      file,
      `${JSON.stringify({ meter: '1', interval: '5', importedWh: '0', exportedWh: '1', signature: '0x12' })}\n`,
    );
    expect((await run('meter', 'submit', file, '--key-file', keyFile)).stderr).toContain(
      `${file}:1: signature must be 65 bytes`,
    );
    writeFileSync(file, 'not json\n');
    expect((await run('meter', 'submit', file, '--key-file', keyFile)).stderr).toContain(
      `${file}:1: not a JSON object (expected one signed reading per line)`,
    );
  });
});

describe('meter sign offline', () => {
  it('signs the EIP-712 reading with the meter key and appends it to --out', async () => {
    const out = join(dir, 'readings.jsonl');
    const args = [
      'meter',
      'sign',
      '--meter',
      '101',
      '--interval',
      '1234',
      '--imported',
      '5',
      '--exported',
      '48000000',
    ];
    const a = await run(...args, '--key-file', keyFile, '--chain-id', '1337', '--out', out);
    const b = await run(
      ...args,
      '--account',
      'meter-1',
      '--dev-accounts',
      devFile,
      '--chain-id',
      '1337',
      '--out',
      out,
    );
    expect([a.code, b.code]).toEqual([0, 0]);
    const signed = JSON.parse(a.stdout);
    expect(signed).toMatchObject({
      meter: '101',
      interval: '1234',
      importedWh: '5',
      exportedWh: '48000000',
      chainId: '1337',
      signer: privateKeyToAccount(KEY).address.toLowerCase(),
    });
    const signer = await recoverTypedDataAddress({
      domain: readingDomain(1337n),
      types: READING_TYPES,
      primaryType: 'Reading',
      message: { meter: 101n, interval: 1234n, importedWh: 5n, exportedWh: 48_000_000n },
      signature: signed.signature,
    });
    expect(signer).toBe(privateKeyToAccount(KEY).address);
    // Appended as JSON lines; both ways of naming the key sign the same bytes.
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toEqual([a.stdout.trim(), b.stdout.trim()]);
    // Another chain id, another signature (the domain binds the chain).
    const c = await run(...args, '--key-file', keyFile, '--chain-id', '1338');
    expect(JSON.parse(c.stdout).signature).not.toBe(signed.signature);
  });
});
