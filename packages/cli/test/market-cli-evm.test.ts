// The market commands on an EVM chain: `order place|list|cancel`, `interval show`, `account show` and
// `account approve` with `--contracts addresses.json` against the Solidity market on a real anvil node
// (the contract tests' world: a 3-bus network, Alice registered at bus 2 with a meter, Carol funded but
// not registered). Each result is checked on the contracts themselves (viem reads); calls the contracts
// refuse exit 1 with their reason and change nothing; flags that make no sense there exit 2 with what to do.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devAccount, TariffsAbi } from '@gridledger/evm';
import { type Abi, bytesToHex, erc20Abi } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE_CASH,
  market,
  read,
  setUpWorld,
  type World,
  worldAddressesJson,
} from '../../evm/test/world.ts';
import { runCli } from '../../node/test/harness.ts';

let w: World;
let dir: string;
let contracts: string;

/** Runs the CLI; resolves with its exit code and output. */
const cli = (args: string[]) => runCli(args, { timeoutMs: 120_000 });
const on = (key: `0x${string}` | undefined) => [
  '--rpc',
  w.anvil.url,
  '--contracts',
  contracts,
  ...(key === undefined ? [] : ['--key', key]),
];
const json = async (args: string[]) => {
  const r = await cli([...args, '--format', 'json']);
  expect(r.stderr).not.toMatch(/Error|rejected/);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};
const cashOf = (a: `0x${string}`) =>
  read<bigint>(w, { address: w.addresses.cash, abi: erc20Abi as Abi, functionName: 'balanceOf', args: [a] });

beforeAll(async () => {
  w = await setUpWorld();
  dir = mkdtempSync(join(tmpdir(), 'gl-market-cli-evm-'));
  contracts = join(dir, 'addresses.json');
  writeFileSync(contracts, worldAddressesJson(w));
}, 120_000);

afterAll(async () => {
  await w?.anvil.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('market commands with --contracts (anvil)', () => {
  it('approve, place, list, show and cancel an order on the contracts', async () => {
    const alice = w.alice as unknown as { address: `0x${string}` };
    const aliceKey = privateKeyOf(2);
    // account approve: an ERC-20 allowance of the market on the cash token.
    const carolKey = privateKeyOf(4);
    const ap = await json(['account', 'approve', '12.5', ...on(carolKey)]);
    expect(ap.spender).toBe(w.addresses.market.toLowerCase());
    expect(
      await read<bigint>(w, {
        address: w.addresses.cash,
        abi: erc20Abi as Abi,
        functionName: 'allowance',
        args: [w.carol.address, w.addresses.market],
      }),
    ).toBe(12_500_000n);

    // order place: 1 kWh at 50 $/MWh, escrow 0.05 $ taken by the contract.
    const k = w.k0;
    const placed = await json([
      'order',
      'place',
      '--interval',
      k.toString(),
      '--bus',
      '2',
      '--side',
      'buy',
      '--step',
      '1000@50',
      ...on(aliceKey),
    ]);
    expect(placed.escrow).toBe('50000');
    expect(await cashOf(alice.address)).toBe(ALICE_CASH - 50_000n);
    const onChain = await read<{ owner: string; interval: bigint; bus: bigint }>(
      w,
      market(w, 'order', [BigInt(placed.id)]),
    );
    expect(onChain.owner.toLowerCase()).toBe(alice.address.toLowerCase());
    expect(onChain.interval).toBe(k);

    // order list and interval show read the contracts' views.
    const list = await json(['order', 'list', '--interval', k.toString(), ...on(undefined)]);
    expect(list.orders.map((o: { id: string }) => o.id)).toContain(placed.id);
    const iv = await json(['interval', 'show', k.toString(), ...on(undefined)]);
    expect(iv.interval).toBe(k.toString());
    expect(iv.status).toBe('open');
    expect(iv.orderList.map((o: { id: string }) => o.id)).toContain(placed.id);
    const table = await cli(['interval', 'show', k.toString(), ...on(undefined)]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/gate closes/);

    // account show: the escrow of the open order.
    const acct = await json(['account', 'show', alice.address, ...on(undefined)]);
    expect(BigInt(acct.cashMicros)).toBe(ALICE_CASH - 50_000n);
    expect(BigInt(acct.escrowMicros)).toBe(50_000n);

    // order cancel returns the escrow.
    const cancelled = await json(['order', 'cancel', placed.id, ...on(aliceKey)]);
    expect(cancelled.released).toBe('50000');
    expect(await cashOf(alice.address)).toBe(ALICE_CASH);
  });

  it('refuses what the contracts refuse (exit 1, nothing changes) and flags that do not fit (exit 2)', async () => {
    const carolKey = privateKeyOf(4);
    const before = await cashOf(w.carol.address);
    // Carol is not a registered participant: the contract's reason, nothing sent.
    const r = await cli([
      'order',
      'place',
      '--interval',
      w.k0.toString(),
      '--bus',
      '2',
      '--side',
      'buy',
      '--step',
      '1000@50',
      ...on(carolKey),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/market: /);
    expect(await cashOf(w.carol.address)).toBe(before);
    // approve without --contracts: gridledger's own chain needs no allowance.
    const u = await cli(['account', 'approve', '5', '--rpc', w.anvil.url, '--key', carolKey]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/no allowance|--contracts/);
    // A deployment file whose market is not on this chain.
    const wrong = join(dir, 'wrong.json');
    writeFileSync(
      wrong,
      JSON.stringify({
        ...w.addresses,
        verifier: w.verifier,
        realtimeBook: w.realtime.book,
        realtimeVerifier: w.realtime.verifier,
        market: `0x${'12'.repeat(20)}`,
      }),
    );
    const n = await cli(['account', 'show', w.carol.address, '--rpc', w.anvil.url, '--contracts', wrong]);
    expect(n.code).toBe(1);
    expect(n.stderr).toMatch(/no market contract at 0x1212/);
    // A bad amount.
    const a = await cli(['account', 'approve', 'lots', ...on(carolKey)]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/AMOUNT/);
  });

  it('grid tariff --contracts schedules the Tariffs contract (the grid operator only), as on the native module', async () => {
    const tariffs = { address: w.addresses.tariffs, abi: TariffsAbi as Abi };
    const count = () => read<bigint>(w, { ...tariffs, functionName: 'scheduleCount', args: [] });
    const args = ['grid', 'tariff', '--from', '00:00,07:00', '--import', '90,150', '--export', '10,20'];
    // Carol is not the grid operator: the contract's reason, nothing scheduled.
    const r = await cli([...args, ...on(privateKeyOf(4))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tariffs: setTariff needs GRID_OPERATOR_ROLE/);
    expect(await count()).toBe(1n);
    // The grid operator (account 1): version 1 from the first interval a day's notice reaches.
    const [, first] = await read<[bigint, bigint]>(w, { ...tariffs, functionName: 'tariffLead', args: [] });
    const out = await json([...args, ...on(privateKeyOf(1))]);
    expect(out.version).toBe('1');
    expect(out.fromInterval).toBe(first.toString());
    expect(await read(w, { ...tariffs, functionName: 'tariffSchedule', args: [first] })).toEqual([
      1n,
      first,
      [0n, 420n],
      [90_000_000n, 150_000_000n],
      [10_000_000n, 20_000_000n],
    ]);
  });
});

/** The private key of anvil's dev account `i` (the world's accounts: 1 the grid operator, 2 Alice, 4 Carol). */
function privateKeyOf(i: number): `0x${string}` {
  return bytesToHex(devAccount(i).getHdKey().privateKey!);
}
