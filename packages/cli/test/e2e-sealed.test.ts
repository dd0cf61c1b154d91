// Fair clearing on a real 4-validator testnet (separate `gridledger node` processes, the node test
// harness), with sealed bids as `gridledger init --dev` configures them (1 kWh minimum step, commit
// before the gate, reveal in a window after it; docs/market-rules.md §6b) on a copper-plate two-bus
// network, a 5-minute interval every 30 s of wall time. Participants order through `gridledger order
// place` (commit, wait for the gate, reveal) and by hand (`--no-reveal`, then `order reveal`). Checked:
// the book is sealed until the gate (gl_orders shows commitments only, the state has no order,
// placeOrder is refused) and no commitment is taken after it; an order below the minimum step is refused
// (by the CLI before sending, and by the chain at its reveal); two tied sellers share pro rata; the
// copper plate prices both buses at the midpoint of the price range; an unrevealed commitment forfeits
// 10 % of its deposit to the grid operator.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commitmentHash,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
} from '@gridledger/energy';
import { type Address, buildDevAccounts, CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import { initDevNetwork } from '@gridledger/node';
import { ethChainIdOf } from '@gridledger/rpc';
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  toHex,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePortRange, sleep, TEST_TIMEOUTS, TestNet } from '../../node/test/harness.ts';
import { decodeRevertReason } from '../src/chain-client.ts';

const CHAIN = 'e2e-sealed';
const CHAIN_ID = ethChainIdOf(CHAIN);
const USD = 1_000_000n;
const KWH = 1_000n;
const L = 300_000n; // 5-minute intervals (market time)
const SCALE = 10n; // an interval every 30 s of wall time
const GATE_LEAD = 2n * L; // commitments until 60 s (wall) before the interval
const REVEAL = L; // reveals for 30 s (wall) after the gate

/** Two buses joined by an unlimited line: a copper plate. */
const NETWORK = {
  name: 'copper plate',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
  ],
  branches: [
    {
      index: 1,
      from: 1,
      to: 2,
      xPu: 0.1,
      rateAMw: 0,
      tap: 0,
      shiftDeg: 0,
      status: 1,
      angminDeg: -360,
      angmaxDeg: 360,
    },
  ],
};

class SealedNet extends TestNet {
  config!: MarketConfig;
  async initSealed(gridOperator: Address): Promise<void> {
    const basePort = await freePortRange(8);
    this.basePort = basePort;
    const now = BigInt(Date.now());
    this.config = {
      chainId: CHAIN_ID,
      gridOperator,
      intervalMs: L,
      gateLeadMs: GATE_LEAD,
      settlementDelayMs: L,
      firstInterval: 0n,
      upstream: {
        bus: 1,
        account: gridOperator,
        importPriceMicrosPerMWh: 100n * USD,
        exportPriceMicrosPerMWh: 20n * USD,
        capacityWh: 1_000n * KWH,
      },
      imbalance: { shortfallPriceMicrosPerMWh: 200n * USD, surplusPriceMicrosPerMWh: 10n * USD },
      maxOrdersPerAccount: 4,
      maxStepsPerOrder: 4,
      minStepWh: KWH,
      sealed: { revealWindowMs: REVEAL, forfeitBps: 1_000n },
      clock: { blockOriginMs: now, marketOriginMs: 0n, scale: SCALE },
    };
    initDevNetwork({
      validators: this.n,
      outDir: this.dir,
      chainId: CHAIN,
      basePort,
      timeouts: TEST_TIMEOUTS,
      logLevel: 'warn',
      participants: 4,
      genesisTime: new Date(Number(now)),
      energy: this.config,
    });
  }
}

const net = new SealedNet(4);
const work = mkdtempSync(join(tmpdir(), 'gl-e2e-sealed-'));
let pub: PublicClient;
let dev: { name: string; address: Address; privateKey: Hex }[];
const acct = (name: string) => privateKeyToAccount(dev.find((d) => d.name === name)!.privateKey);
const rpc = () => net.rpcUrl(0);

/** Runs the CLI in `work`; resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`gridledger ${args.join(' ')} timed out: ${stderr}`));
    }, 180_000);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}
const flags = (name: string) => [
  '--rpc',
  rpc(),
  '--dev-accounts',
  join(net.dir, 'dev-accounts.json'),
  '--account',
  name,
  '--format',
  'json',
];

async function send(from: PrivateKeyAccount, to: Address, abi: Abi, functionName: string, args: unknown[]) {
  const wallet = createWalletClient({ account: from, transport: http(rpc()) });
  const nonce = await pub.getTransactionCount({ address: from.address, blockTag: 'pending' });
  return wallet.sendTransaction({
    chain: null,
    to,
    data: encodeFunctionData({ abi, functionName, args }),
    gas: 5_000_000n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
    nonce,
  });
}
async function outcome(hash: Hex): Promise<{ ok: boolean; reason: string | undefined }> {
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 60_000, pollingInterval: 200 });
  if (r.status === 'success') return { ok: true, reason: undefined };
  const raw = await net.rpc(0, 'eth_getTransactionReceipt', [hash]);
  return { ok: false, reason: decodeRevertReason(raw.revertReason) };
}
const call = async (...a: Parameters<typeof send>) => outcome(await send(...a));
const cash = (a: Hex) =>
  pub.readContract({
    address: CASH_ADDRESS,
    abi: ERC20_ABI,
    functionName: 'balanceOf',
    args: [a],
  }) as Promise<bigint>;
// biome-ignore lint/suspicious/noExplicitAny: JSON-RPC results as the node returns them
const glOrders = (k: bigint): Promise<any[]> => net.rpc(0, 'gl_orders', [k.toString()]);
const market = () => net.rpc(0, 'gl_marketConfig');
const gate = (k: bigint) => k * L - GATE_LEAD;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
/** The first interval whose gate is at least `wallMs` of wall time away. */
async function intervalWithTime(wallMs: bigint): Promise<bigint> {
  const now = BigInt((await market()).marketTimeMs);
  let k = now / L + 1n;
  while (gate(k) - now < wallMs * SCALE) k++;
  return k;
}
/** How long one CLI run takes here now (measured first), and the wall time before a gate to leave. */
let cliMs = 0n;
const headroomMs = () => (cliMs * 3n + 20_000n > 40_000n ? cliMs * 3n + 20_000n : 40_000n);
const cleared = (k: bigint) => async () => BigInt((await market()).clearNext) > k;

const step = (energyWh: bigint, usd: bigint) => ({ energyWh, priceMicrosPerMWh: usd * USD });

beforeAll(async () => {
  const operator = buildDevAccounts({ participants: 4 }).accounts.find(
    (a) => a.role === 'grid-operator',
  )!.address;
  const t0 = Date.now();
  expect((await cli(['--version'])).code).toBe(0);
  cliMs = BigInt(Date.now() - t0);
  await net.initSealed(operator);
  dev = JSON.parse(readFileSync(join(net.dir, 'dev-accounts.json'), 'utf8')).accounts;
  pub = createPublicClient({ transport: http(net.rpcUrl(0)), pollingInterval: 200 });
  await Promise.all([0, 1, 2, 3].map((k) => net.start(k)));
  await net.waitHeight([0, 1, 2, 3], 2n, 90_000);
  const reg = [
    await send(acct('grid-operator'), REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [
      JSON.stringify(NETWORK),
    ]),
  ];
  for (const p of ['participant-1', 'participant-2', 'participant-3', 'participant-4'])
    reg.push(
      await send(acct('admin'), REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [
        acct(p).address,
        [1n, 2n],
      ]),
    );
  expect((await Promise.all(reg.map(outcome))).map((o) => o.reason ?? 'ok')).toEqual(Array(5).fill('ok'));
}, 240_000);

afterAll(async () => {
  await net.stopAll();
  rmSync(net.dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('sealed bids and fair clearing on a 4-validator testnet', () => {
  it('seals the book until the gate, refuses dust, shares a tie pro rata, prices a copper plate at the midpoint', async () => {
    // Interval K: two tied sellers (3 kWh at 30 $/MWh each, bus 2) and a buyer of 4 kWh at 40 (bus 1).
    // Room before the gate for four CLI runs at once (a loaded machine may take 20 s to start one).
    const K = await intervalWithTime(headroomMs());
    const sellA = cli([
      'order',
      'place',
      ...flags('participant-1'),
      '--interval',
      String(K),
      '--bus',
      '2',
      '--side',
      'sell',
      '--step',
      '3000@30',
    ]);
    const sellB = cli([
      'order',
      'place',
      ...flags('participant-2'),
      '--interval',
      String(K),
      '--bus',
      '2',
      '--side',
      'sell',
      '--step',
      '3000@30',
    ]);
    const buy = cli([
      'order',
      'place',
      ...flags('participant-3'),
      '--interval',
      String(K),
      '--bus',
      '1',
      '--side',
      'buy',
      '--step',
      '4000@40',
    ]);
    // Below the minimum step: refused by the CLI before anything is sent.
    const dust = cli([
      'order',
      'place',
      ...flags('participant-4'),
      '--interval',
      String(K),
      '--bus',
      '1',
      '--side',
      'buy',
      '--step',
      '999@90',
    ]);
    // ... and by the chain at its reveal (committed by hand, so the CLI's check is not in the way).
    const dave = acct('participant-4');
    const dustOrder = {
      owner: dave.address.toLowerCase() as Address,
      interval: K,
      bus: 1n,
      side: 0,
      steps: [step(999n, 90n)],
      salt: keccak256(toHex('dust')),
    };
    expect(
      await call(dave, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [K, commitmentHash(dustOrder), 10n * USD]),
    ).toEqual({ ok: true, reason: undefined });
    // A bid in the clear is refused: the market takes commitments only.
    const clear = await call(dave, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 1n, 0, [step(KWH, 90n)]]);
    expect(clear.reason).toContain('bids are sealed');
    const refused = await dust;
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain("999 Wh is below the market's minimum step of 1000 Wh");

    // Before the gate: commitments only, no order in state or in gl_orders.
    try {
      await waitFor('the four commitments', async () => (await glOrders(K)).length === 4);
    } catch (err) {
      const runs = await Promise.race([Promise.all([sellA, sellB, buy]), sleep(5_000).then(() => [])]);
      throw new Error(
        `${(err as Error).message}: gl_orders ${JSON.stringify(await glOrders(K))}, market ${JSON.stringify(await market())}, K ${K}; CLI: ${runs.map((r) => `${r.code} ${r.stderr}`).join(' | ')}`,
      );
    }
    const opBefore = await cash(acct('grid-operator').address);
    const daveBefore = await cash(dave.address);
    expect(BigInt((await market()).marketTimeMs)).toBeLessThan(gate(K));
    const sealed = await glOrders(K);
    expect(sealed.every((o) => o.kind === 'commitment' && o.steps === undefined)).toBe(true);
    expect(sealed.map((o) => o.status)).toEqual(['committed', 'committed', 'committed', 'committed']);
    expect(
      await pub.readContract({
        address: MARKET_ADDRESS,
        abi: MARKET_ABI,
        functionName: 'intervalState',
        args: [K],
      }),
    ).toEqual([0, 0n, 0n, 0n]);

    // After the gate: no commitment is taken; the dust order's reveal is refused with the reason.
    await waitFor('the gate', async () => BigInt((await market()).marketTimeMs) >= gate(K));
    const late = await call(dave, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [
      K,
      keccak256(toHex('late')),
      USD,
    ]);
    expect(late.reason).toContain(`gate of interval ${K} closed`);
    const dustReveal = await call(dave, MARKET_ADDRESS, MARKET_ABI, 'revealOrder', [
      4n,
      1n,
      0,
      dustOrder.steps,
      dustOrder.salt,
    ]);
    expect(dustReveal.reason).toContain('step 1: energyWh must be in 1000..');

    // The CLI revealed the three orders; the interval clears when the reveal window closes.
    const placed = await Promise.all([sellA, sellB, buy]);
    for (const p of placed) expect(p.code, p.stderr).toBe(0);
    const [a, b, c] = placed.map((p) => JSON.parse(p.stdout));
    expect(a.commitment.deposit).toBe(String((3n * KWH * 200n * USD) / 1_000_000n)); // sell collateral
    expect(c.escrow).toBe(String((4n * KWH * 40n * USD) / 1_000_000n));
    expect(placed[0]!.stderr).toContain(`waiting for the gate of interval ${K}`);
    await waitFor(`interval ${K} to clear`, cleared(K));
    const orders = await glOrders(K);
    expect(orders.map((o) => o.kind)).toEqual(['order', 'order', 'order']);
    const byId = new Map(orders.map((o) => [o.id, o]));
    // Tied sellers share the 4 kWh pro rata; the sellers' partly cleared step pins the price at 30.
    expect([byId.get(a.id).clearedWh, byId.get(b.id).clearedWh, byId.get(c.id).clearedWh]).toEqual([
      '2000',
      '2000',
      '4000',
    ]);
    expect(orders.map((o) => o.priceMicrosPerMWh)).toEqual(Array(3).fill(String(30n * USD)));
    // The unrevealed dust commitment forfeited 10 % of its 10 $ to the grid operator.
    expect(await cash(dave.address)).toBe(daveBefore + 9n * USD);
    expect((await cash(acct('grid-operator').address)) - opBefore).toBe(USD);

    // Interval K+1, by hand: commit with --no-reveal, reveal with `order reveal`; a 4 kWh seller at 30
    // (bus 2) and a 4 kWh buyer at 40 (bus 1) clear fully: the copper plate prices both buses at 35.
    const K2 = await intervalWithTime(headroomMs());
    const [s2, b2] = await Promise.all([
      cli([
        'order',
        'place',
        ...flags('participant-1'),
        '--interval',
        String(K2),
        '--bus',
        '2',
        '--side',
        'sell',
        '--step',
        '4000@30',
        '--no-reveal',
      ]),
      cli([
        'order',
        'place',
        ...flags('participant-3'),
        '--interval',
        String(K2),
        '--bus',
        '1',
        '--side',
        'buy',
        '--step',
        '4000@40',
        '--no-reveal',
      ]),
    ]);
    expect([s2.code, b2.code], s2.stderr + b2.stderr).toEqual([0, 0]);
    const c2 = [JSON.parse(s2.stdout), JSON.parse(b2.stdout)];
    expect(c2.map((x) => x.id)).toEqual([null, null]);
    const stored = JSON.parse(readFileSync(join(work, '.gridledger', 'sealed-orders.json'), 'utf8'));
    expect(stored.orders.filter((o: { interval: string }) => o.interval === String(K2))).toHaveLength(2);
    // Bad inputs of `order reveal`: an unknown commitment, another owner's.
    const unknown = await cli(['order', 'reveal', '999', ...flags('participant-1')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no stored commitment 999');
    const notMine = await cli(['order', 'reveal', c2[1].commitment.id, ...flags('participant-1')]);
    expect(notMine.code).toBe(1);
    expect(notMine.stderr).toContain(`no stored commitment ${c2[1].commitment.id}`);
    const reveals = await Promise.all([
      cli(['order', 'reveal', c2[0].commitment.id, ...flags('participant-1')]),
      cli(['order', 'reveal', c2[1].commitment.id, ...flags('participant-3')]),
    ]);
    for (const r of reveals) expect(r.code, r.stderr).toBe(0);
    await waitFor(`interval ${K2} to clear`, cleared(K2));
    const prices = await net.rpc(0, 'gl_prices', [K2.toString(), K2.toString()]);
    expect(prices.map((p: { lmpMicrosPerMWh: string }) => p.lmpMicrosPerMWh)).toEqual([
      String(35n * USD),
      String(35n * USD),
    ]);
    expect(prices.map((p: { lmpLowMicrosPerMWh: string }) => p.lmpLowMicrosPerMWh)).toEqual([
      String(30n * USD),
      String(30n * USD),
    ]);
    expect(prices.map((p: { lmpHighMicrosPerMWh: string }) => p.lmpHighMicrosPerMWh)).toEqual([
      String(40n * USD),
      String(40n * USD),
    ]);
    const o2 = await glOrders(K2);
    expect(o2.map((o) => o.clearedWh)).toEqual(['4000', '4000']);
  }, 600_000);
});
