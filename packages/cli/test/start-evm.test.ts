// `gridledger start --chain anvil` in this process (startOnEvm, what the command runs): anvil as a child
// process, the contracts deployed for the default feeder with 4 devices, the operator clearing at each
// gate, the devices ordering and metering through viem; the first settled interval's line comes out as
// `start` prints it, and the dashboard's live feed shows that interval's prices exactly as the contracts
// hold them. stop() takes everything down, anvil included (also when an assertion fails: afterAll), and
// a second start on the same directory resumes the saved chain. Bad flags of `--chain` are refused before
// anything starts.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@gridledger/base';
import { EvmMarketViews } from '@gridledger/client';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EVM_ADDRESS_KEYS } from '../src/chain-client.ts';
import { intervalLine, registerStart } from '../src/commands/start.ts';
import { type EvmPlatform, startOnEvm } from '../src/commands/start-evm.ts';
import { UsageError } from '../src/output.ts';

const dir = mkdtempSync(join(tmpdir(), 'gl-start-evm-'));
let platform: EvmPlatform | undefined;

afterAll(async () => {
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface FeedView {
  validators: { client?: string | null; height: number | null; status: string }[];
  market: { openInterval: number } | null;
  cleared: { interval: number; lmps: Record<string, number> } | null;
  accounts?: { rows: { address: string; role: string; debt: number | null; inDefault: boolean }[] };
}

/** The dashboard's feed: the snapshot, then each update's sections merged in. */
function follow(url: string): { view: FeedView; close(): void } {
  const state = { view: { validators: [], market: null, cleared: null } as FeedView };
  const ws = new WebSocket(`${url.replace('http', 'ws')}ws`);
  ws.on('message', (m) => {
    const msg = JSON.parse(m.toString()) as { type: string; view?: FeedView; sections?: Partial<FeedView> };
    if (msg.type === 'snapshot' && msg.view) state.view = msg.view;
    else if (msg.type === 'update' && msg.sections) Object.assign(state.view, msg.sections);
  });
  ws.on('error', () => {});
  return {
    get view() {
      return state.view;
    },
    close: () => ws.close(),
  };
}

async function until<T>(what: string, get: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('start --chain anvil', () => {
  it('settles an interval, the dashboard shows its prices from the contracts, and a restart resumes the chain', async () => {
    const lines: string[] = [];
    const invariantFailures: string[] = [];
    platform = await startOnEvm({ chain: 'anvil', dir, devices: 4, port: 0 }, (r) => {
      const line = intervalLine(r);
      lines.push(line);
      invariantFailures.push(...r.invariantFailures);
      return line;
    });
    expect(platform.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // anvil at its default block gas limit, a public network's 30 M: clearing and settlement in chunks
    const head = await fetch(platform.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_getBlockByNumber',
        params: ['latest', false],
      }),
    }).then((r) => r.json() as Promise<{ result: { gasLimit: string } }>);
    expect(BigInt(head.result.gasLimit)).toBe(30_000_000n);
    const feed = follow(platform.dashboardUrl);
    try {
      const line = await until('the first settled interval', () => lines[0], 80_000);
      expect(line).toMatch(
        /^interval \d+ \(\d\d:\d\d\): settled, \d+ orders, [\d.]+ kWh cleared, LMP [\d.]+\.\.[\d.]+ \$\/MWh, \d+ promises, \d+ readings \(0 rejected\), [\d.]+ kWh credited$/,
      );
      const k = BigInt(/^interval (\d+)/.exec(line)![1]!);
      // The simulator checked the market's invariants on the contracts (clearing = the engine's, promises
      // settled once, credits = metered deliveries), as it checks them on gridledger's chain.
      expect(invariantFailures).toEqual([]);
      // Settled by the second settlement: the operator's certified real-time prices at every bus.
      const settled = await new EvmMarketViews(platform.rpcUrl, platform.addresses).interval(k);
      expect(settled.status).toBe('settled');
      expect(Object.keys(settled.realtimeLmpMicrosPerMWh ?? {})).toHaveLength(33);
      // The feed's latest cleared interval, at or after the settled one, priced at every bus.
      const cleared = await until(
        'the dashboard to show a cleared interval',
        () => {
          const c = feed.view.cleared;
          return c !== null && BigInt(c.interval) >= k && Object.keys(c.lmps).length > 0 ? c : undefined;
        },
        30_000,
      );
      expect(feed.view.market).not.toBeNull();
      // The chain panel shows anvil from the standard methods (it serves no gl_status).
      const node = await until(
        'the chain panel to show anvil',
        () => feed.view.validators.find((v) => v.client && /anvil/i.test(v.client)),
        10_000,
      );
      expect(node.status).toBe('up');
      expect(node.height).toBeGreaterThan(0);
      const views = new EvmMarketViews(platform.rpcUrl, platform.addresses);
      // The default scenario's sealed bids run on the contracts too (commit, then reveal after the gate).
      expect((await views.marketConfig()).config.sealed).toBeDefined();
      const iv = await views.interval(BigInt(cleared.interval));
      expect(iv.status === 'cleared' || iv.status === 'settled').toBe(true);
      const fromContracts = Object.fromEntries(
        Object.entries(iv.lmpMicrosPerMWh!).map(([bus, p]) => [bus, Number(p) / 1e6]),
      );
      expect(Object.keys(fromContracts)).toHaveLength(33);
      expect(cleared.lmps).toEqual(fromContracts);
      // The accounts table reads the debt ledger at the market contract (debtOf), as gl_account does.
      const opRow = await until(
        "the accounts table to read the grid operator's debt at the market contract",
        () => feed.view.accounts?.rows.find((r) => r.role.startsWith('grid operator') && r.debt !== null),
        30_000,
      );
      const opAccount = await views.account(opRow.address as `0x${string}`);
      expect([opRow.debt, opRow.inDefault]).toEqual([
        Number(opAccount.debtMicros) / 1e6,
        opAccount.inDefault,
      ]);
    } finally {
      feed.close();
    }
    const url = platform.rpcUrl;
    const addresses = platform.addresses;
    await platform.stop();
    platform = undefined;
    // anvil is gone with the platform, and its chain is saved in the directory.
    await expect(fetch(url, { method: 'POST', body: '{}' })).rejects.toThrow();
    expect(existsSync(join(dir, 'evm', 'anvil-state.json'))).toBe(true);

    // Other flags than the saved chain's are refused before anything starts.
    await expect(startOnEvm({ chain: 'anvil', dir, devices: 5, port: 0 }, intervalLine)).rejects.toThrow(
      /pass the same flags to resume it, or --reset/,
    );
    // The same flags resume it: the same contracts, the devices registered already, and a later interval
    // settles.
    const k0 = BigInt(/^interval (\d+)/.exec(lines[0]!)![1]!);
    const resumedLines: string[] = [];
    platform = await startOnEvm({ chain: 'anvil', dir, devices: 4, port: 0 }, (r) => {
      const line = intervalLine(r);
      resumedLines.push(line);
      return line;
    });
    expect(platform.addresses).toEqual(addresses);
    const views = new EvmMarketViews(platform.rpcUrl, platform.addresses);
    expect((await views.interval(k0)).status).toBe('settled');
    const later = await until(
      'an interval settled after the resume',
      () => resumedLines.find((l) => BigInt(/^interval (\d+)/.exec(l)![1]!) > k0),
      120_000,
    );
    expect(later).toMatch(/: settled, /);
    await platform.stop();
    platform = undefined;
  }, 300_000);

  it('refuses --chain rpc without its flags, a missing addresses.json, one key for two roles, and an unknown chain', async () => {
    await expect(startOnEvm({ chain: 'rpc', dir, port: 0 }, intervalLine)).rejects.toBeInstanceOf(UsageError);
    await expect(
      startOnEvm({ chain: 'anvil', dir, port: 0, rpc: 'http://127.0.0.1:1' }, intervalLine),
    ).rejects.toThrow(/leave out --rpc and --contracts/);
    const key = join(dir, 'k');
    writeFileSync(key, `${'11'.repeat(32)}\n`);
    const missing = startOnEvm(
      {
        chain: 'rpc',
        dir,
        port: 0,
        rpc: 'http://127.0.0.1:1',
        contracts: join(dir, 'none.json'),
        keyFile: key,
      },
      intervalLine,
    );
    await expect(missing).rejects.toBeInstanceOf(InputError);
    await expect(missing).rejects.toThrow(/does not exist: run gridledger deploy first/);
    writeFileSync(
      join(dir, 'addresses.json'),
      JSON.stringify(Object.fromEntries(EVM_ADDRESS_KEYS.map((k) => [k, `0x${'12'.repeat(20)}`]))),
    );
    await expect(
      startOnEvm(
        {
          chain: 'rpc',
          dir,
          port: 0,
          rpc: 'http://127.0.0.1:1',
          contracts: join(dir, 'addresses.json'),
          keyFile: key,
          operatorKeyFile: key,
        },
        intervalLine,
      ),
    ).rejects.toThrow(/--operator-key-file must be another account than --key-file/);
    const program = new Command().exitOverride();
    registerStart(program);
    await expect(
      program.parseAsync(['start', '--chain', 'besu', '--dir', dir], { from: 'user' }),
    ).rejects.toThrow('--chain: expected gridledger, anvil or rpc, got "besu"');
  });
});
