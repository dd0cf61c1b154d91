// Fair clearing on a real 4-validator testnet (separate `gridledger node` processes, the node test
// harness), with sealed bids as `gridledger init --dev` configures them (1 kWh minimum step, commit
// before the gate, reveal in a window after it; docs/market-rules.md §6b) on a copper-plate two-bus
// network, a 5-minute interval every 15 s of wall time. One participant orders through `gridledger order
// place` (commit, wait for the gate, reveal; later `--no-reveal`, then `order reveal`), the others commit
// and reveal with viem. Checked: the book is sealed until the gate (gl_orders shows commitments only,
// the state has no order, placeOrder is refused) and no commitment is taken after it; an order below
// the minimum step is refused at its reveal (and by `order place` before it sends anything); two tied
// sellers share pro rata; the
// copper plate prices both buses at the midpoint of the price range; an unrevealed commitment forfeits
// 10 % of its deposit to the grid operator.
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
import {
  type Abi,
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  type Hex,
  http,
  keccak256,
  type PublicClient,
  parseEventLogs,
  toHex,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoBusNetwork } from '../../energy/test/harness.ts';
import { freePortRange, runCli, sleep, TEST_TIMEOUTS, TestNet } from '../../node/test/harness.ts';
import { decodeRevertReason } from '../src/chain-client.ts';

const CHAIN = 'e2e-sealed';
// The network's Ethereum chain id (fixed here; `gridledger init` draws one at random).
const CHAIN_ID = 5_100_002n;
const USD = 1_000_000n;
const KWH = 1_000n;
const L = 300_000n; // 5-minute intervals (market time)
const SCALE = 20n; // an interval every 15 s of wall time
const GATE_LEAD = 2n * L; // commitments until 30 s (wall) before the interval
const REVEAL = L; // reveals for 15 s (wall) after the gate (they take 1-2 s at load 10)

/** Two buses joined by an unlimited line: a copper plate. */
const NETWORK = twoBusNetwork('copper plate');

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
      imbalance: {
        penaltyMicrosPerMWh: 5n * USD,
        priceCapMicrosPerMWh: 200n * USD,
        priceFloorMicrosPerMWh: 0n,
        nonReportingPenaltyMicros: USD,
        trueUpDelayMs: L,
        liquidatedDamagesMicrosPerMWh: 20n * USD,
        balanceToleranceWh: 1_000n,
      },
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
const cli = (args: string[]) => runCli(args, { cwd: work, timeoutMs: 180_000 });
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
/**
 * How long one CLI run takes here now (measured first), and the wall time before a gate to leave: two CLI
 * runs (the second interval's commitment, then `order place`) and four commitments by hand.
 */
let cliMs = 0n;
const headroomMs = () => (cliMs * 4n + 20_000n > 25_000n ? cliMs * 4n + 20_000n : 25_000n);
const cleared = (k: bigint) => async () => BigInt((await market()).clearNext) > k;
/** Prints how much wall time was left before market time `ms` (how tight the windows are on this machine). */
async function reportSlack(what: string, ms: bigint): Promise<void> {
  const left = Number(ms - BigInt((await market()).marketTimeMs)) / Number(SCALE) / 1000;
  process.stderr.write(`e2e-sealed: ${left.toFixed(1)} s of wall time left before ${what}\n`);
}

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

/** Commits `who`'s order by hand (viem); returns the order, its salt and its commitment id. */
async function commitByHand(
  who: PrivateKeyAccount,
  k: bigint,
  bus: bigint,
  side: 0 | 1,
  steps: ReturnType<typeof step>[],
  deposit: bigint,
) {
  const o = {
    owner: who.address.toLowerCase() as Address,
    interval: k,
    bus,
    side,
    steps,
    salt: keccak256(toHex(`${who.address} ${k}`)),
  };
  const hash = await send(who, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [k, commitmentHash(o), deposit]);
  const r = await pub.waitForTransactionReceipt({ hash, timeout: 60_000, pollingInterval: 200 });
  const ev = parseEventLogs({ abi: MARKET_ABI, logs: r.logs, eventName: 'OrderCommitted' })[0];
  if (ev === undefined)
    throw new Error(`commitment of ${who.address} failed: ${(await outcome(hash)).reason}`);
  return { ...o, id: ev.args.id };
}
const revealByHand = (who: PrivateKeyAccount, c: Awaited<ReturnType<typeof commitByHand>>) =>
  call(who, MARKET_ADDRESS, MARKET_ABI, 'revealOrder', [c.id, c.bus, c.side, c.steps, c.salt]);

describe('sealed bids and fair clearing on a 4-validator testnet', () => {
  it('seals the book until the gate, refuses dust, shares a tie pro rata, prices a copper plate at the midpoint', async () => {
    // Two intervals side by side, their gates 15 s of wall time apart (K2's gate when K's reveals close). Interval K: two tied sellers
    // (3 kWh at 30 $/MWh each, bus 2) and a buyer of 4 kWh at 40 (bus 1); seller A orders through
    // `gridledger order place` (commit, wait for the gate, reveal), the others commit and reveal by
    // hand. Interval K2 = K + 1: the seller commits with `order place --no-reveal` and reveals with
    // `order reveal`; a 4 kWh seller at 30 (bus 2) and a 4 kWh buyer at 40 (bus 1) clear fully: the
    // copper plate prices both buses at the midpoint 35 of the range [30, 40]. Seller A's CLI runs go
    // one after another (one account, one nonce sequence): K2's commitment first, then K's order.
    const K = await intervalWithTime(headroomMs());
    const K2 = K + 1n;
    const s2 = await cli([
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
    ]);
    expect(s2.code, s2.stderr).toBe(0);
    const c2 = JSON.parse(s2.stdout);
    expect(c2.id).toBe(null);
    expect(s2.stderr).toContain(`reveal it after the gate with: gridledger order reveal ${c2.commitment.id}`);
    const stored = JSON.parse(readFileSync(join(work, '.gridledger', 'sealed-orders.json'), 'utf8'));
    expect(stored.orders.find((o: { commitId?: string }) => o.commitId === c2.commitment.id)).toMatchObject({
      interval: String(K2),
      side: 1,
    });
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
    const [bob, carol, dave] = [acct('participant-2'), acct('participant-3'), acct('participant-4')];
    const sellB = await commitByHand(bob, K, 2n, 1, [step(3n * KWH, 30n)], USD);
    const buy = await commitByHand(carol, K, 1n, 0, [step(4n * KWH, 40n)], USD);
    const buy2 = await commitByHand(carol, K2, 1n, 0, [step(4n * KWH, 40n)], USD);
    // Below the minimum step: committed (a hash says nothing), refused by the chain at its reveal.
    const dust = await commitByHand(dave, K, 1n, 0, [step(999n, 90n)], 10n * USD);
    // A bid in the clear is refused: the market takes commitments only.
    const clear = await call(dave, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 1n, 0, [step(KWH, 90n)]]);
    expect(clear.reason).toContain('bids are sealed');

    // Before the gate: commitments only, no order in state or in gl_orders.
    try {
      await waitFor('the four commitments', async () => (await glOrders(K)).length === 4);
    } catch (err) {
      const run = await Promise.race([sellA, sleep(5_000).then(() => undefined)]);
      throw new Error(
        `${(err as Error).message}: gl_orders ${JSON.stringify(await glOrders(K))}, K ${K}, market time ${(await market()).marketTimeMs}; CLI: ${run?.code} ${run?.stderr}`,
      );
    }
    await reportSlack(`the gate of ${K}`, gate(K));
    const opBefore = await cash(acct('grid-operator').address);
    const daveBefore = await cash(dave.address);
    expect(BigInt((await market()).marketTimeMs)).toBeLessThan(gate(K));
    const sealed = await glOrders(K);
    expect(sealed.every((o) => o.kind === 'commitment' && o.steps === undefined)).toBe(true);
    expect(sealed.map((o) => o.status)).toEqual(['committed', 'committed', 'committed', 'committed']);
    expect((await glOrders(K2)).map((o) => o.status)).toEqual(['committed', 'committed']);
    expect(
      await pub.readContract({
        address: MARKET_ADDRESS,
        abi: MARKET_ABI,
        functionName: 'intervalState',
        args: [K],
      }),
    ).toEqual([0, 0n, 0n, 0n]);

    // After the gate: no commitment is taken; the reveals go in, the dust order's is refused.
    await waitFor('the gate', async () => BigInt((await market()).marketTimeMs) >= gate(K));
    const late = await call(dave, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [
      K,
      keccak256(toHex('late')),
      USD,
    ]);
    expect(late.reason).toContain(`gate of interval ${K} closed`);
    expect([await revealByHand(bob, sellB), await revealByHand(carol, buy)]).toEqual(
      Array(2).fill({ ok: true, reason: undefined }),
    );
    expect((await revealByHand(dave, dust)).reason).toContain('step 1: energyWh must be in 1000..');
    const placed = await sellA;
    await reportSlack(`the end of ${K}'s reveal window`, gate(K) + REVEAL);
    expect(placed.code, placed.stderr).toBe(0);
    expect(placed.stderr).toContain(`waiting for the gate of interval ${K}`);
    const a = JSON.parse(placed.stdout);
    // Sell collateral at the price cap plus the penalty band δ (docs/market-rules.md §10a).
    expect(a.commitment.deposit).toBe(String((3n * KWH * (200n + 5n) * USD) / 1_000_000n));
    expect(a.escrow).toBe(a.commitment.deposit);

    // K2's reveals, while K's window is still open: `order reveal` waits for K2's gate.
    const revealed = await cli(['order', 'reveal', c2.commitment.id, ...flags('participant-1')]);
    expect(revealed.code, revealed.stderr).toBe(0);
    expect(JSON.parse(revealed.stdout)).toMatchObject({
      interval: String(K2),
      side: 'sell',
      commitment: null,
    });
    expect(await revealByHand(carol, buy2)).toEqual({ ok: true, reason: undefined });
    await reportSlack(`the end of ${K2}'s reveal window`, gate(K2) + REVEAL);

    // Interval K clears when its reveal window closes.
    await waitFor(`interval ${K} to clear`, cleared(K));
    // The unrevealed dust commitment forfeited 10 % of its 10 $ to the grid operator.
    expect(await cash(dave.address)).toBe(daveBefore + 9n * USD);
    expect((await cash(acct('grid-operator').address)) - opBefore).toBe(USD);
    const orders = await glOrders(K);
    expect(orders.map((o) => o.kind)).toEqual(['order', 'order', 'order']);
    // Tied sellers share the 4 kWh pro rata; the sellers' partly cleared step pins the price at 30.
    const byOwner = new Map(orders.map((o) => [o.owner, o]));
    expect(
      [acct('participant-1'), bob, carol].map((w) => byOwner.get(w.address.toLowerCase()).clearedWh),
    ).toEqual(['2000', '2000', '4000']);
    expect(orders.map((o) => o.priceMicrosPerMWh)).toEqual(Array(3).fill(String(30n * USD)));
    // `order place` refuses a step below the minimum before it sends anything.
    const refused = await cli([
      'order',
      'place',
      ...flags('participant-4'),
      '--interval',
      String(K + 4n),
      '--bus',
      '1',
      '--side',
      'buy',
      '--step',
      '999@90',
    ]);
    expect([refused.code, refused.stdout]).toEqual([1, '']);
    expect(refused.stderr).toContain("999 Wh is below the market's minimum step of 1000 Wh");

    // Interval K2 clears at the end of its own reveal window.
    await waitFor(`interval ${K2} to clear`, cleared(K2));
    const prices = await net.rpc(0, 'gl_prices', [K2.toString(), K2.toString()]);
    expect(prices.map((p: { lmpMicrosPerMWh: string }) => p.lmpMicrosPerMWh)).toEqual(
      Array(2).fill(String(35n * USD)),
    );
    expect(prices.map((p: { lmpLowMicrosPerMWh: string }) => p.lmpLowMicrosPerMWh)).toEqual(
      Array(2).fill(String(30n * USD)),
    );
    expect(prices.map((p: { lmpHighMicrosPerMWh: string }) => p.lmpHighMicrosPerMWh)).toEqual(
      Array(2).fill(String(40n * USD)),
    );
    expect((await glOrders(K2)).map((o) => o.clearedWh)).toEqual(['4000', '4000']);
  }, 600_000);
});
