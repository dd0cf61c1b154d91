// Sealed bids (commit-reveal; docs/market-rules.md §6b), written as the exploits they close: placing an
// order after seeing the book, revealing another order than the one committed, revealing early or late,
// replaying another participant's commitment, and committing less deposit than the order needs. Also the
// timing: nothing clears at the gate, the revealed book clears in the block that closes the reveal
// window, and unrevealed commitments forfeit their configured share to the grid operator.
import { CASH_ADDRESS } from '@gridledger/execution';
import { type Hex, keccak256, toHex } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  commitmentHash,
  gateMs,
  INTERVAL_STATUS,
  MARKET_ABI,
  MARKET_ADDRESS,
  marketKeys,
  marketView,
  type NetworkJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  sealedView,
} from '../src/index.ts';
import { account, buildGenesis, Chain, HOUR, line, type TestAccount, testMarketConfig } from './harness.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;
const K = 5n;
const MINUTE = 60_000n;

const NET: NetworkJson = {
  name: 'two',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
  ],
  branches: [line(1, 1, 2, 0.1, 0)],
};
const admin = account('s admin');
const operator = account('s operator');
const alice = account('s alice');
const bob = account('s bob');
const mallory = account('s mallory');
const CASH = 100_000n * USD;

const config = testMarketConfig(operator.addr, {
  firstInterval: K,
  gateLeadMs: 10n * MINUTE,
  sealed: { revealWindowMs: 5n * MINUTE, forfeitBps: 2_000n },
});
const GATE = gateMs(config, K);
const CLOSE = GATE + 5n * MINUTE;

async function start() {
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
      ...[alice, bob, mallory].map((who) => ({ who, roles: ['PARTICIPANT_ROLE' as const], cash: CASH })),
    ]),
    config,
  );
  const txs = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
    ...(await Promise.all(
      [alice, bob, mallory].map((who) =>
        chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [who.addr, [1n, 2n]]),
      ),
    )),
  ];
  const b = await chain.block(1_000n, txs);
  expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok']);
  return chain;
}

const step = (energyWh: bigint, usd: bigint) => ({ energyWh, priceMicrosPerMWh: usd * USD });
const salt = (s: string): Hex => keccak256(toHex(s));

/** A sealed order of `who` and its commitment. */
function sealed(who: TestAccount, bus: bigint, side: 0 | 1, steps: ReturnType<typeof step>[], s: string) {
  const order = { owner: who.addr, interval: K, bus, side, steps, salt: salt(s) };
  return { ...order, hash: commitmentHash(order) };
}
type Sealed = ReturnType<typeof sealed>;
const commitTx = (chain: Chain, who: TestAccount, o: Sealed, deposit: bigint) =>
  chain.tx(who, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [K, o.hash, deposit]);
const revealTx = (chain: Chain, who: TestAccount, id: bigint, o: Sealed) =>
  chain.tx(who, MARKET_ADDRESS, MARKET_ABI, 'revealOrder', [id, o.bus, o.side, o.steps, o.salt]);
const cash = (chain: Chain, who: TestAccount) => chain.state.get(`${CASH_ADDRESS}:bal:${who.addr}`);
const reasons = (b: { outcomes: { reason?: string }[] }) => b.outcomes.map((o) => o.reason ?? 'ok');

describe('sealed bids', () => {
  it('keeps the book sealed until the gate: no order in the clear, no order after seeing the reveals', async () => {
    const chain = await start();
    const buy = sealed(alice, 2n, 0, [step(2n * MWH, 40n)], 'alice');
    const b1 = await chain.block(2_000n, [
      await commitTx(chain, alice, buy, 80n * USD),
      // The exploit of an open book: an order in the clear that others can read and undercut before the gate.
      await chain.tx(mallory, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 1, [step(MWH, 39n)]]),
    ]);
    expect(reasons(b1)).toEqual([
      'ok',
      expect.stringContaining('bids are sealed: commitOrder before the gate, revealOrder after it'),
    ]);
    // Before the gate the state holds a hash and a deposit: no bus, side, quantity or price.
    expect(marketView.ordersOf(chain.state, K)).toEqual([]);
    expect(chain.state.entriesWithPrefix(`${MARKET_ADDRESS}:o:`)).toEqual([]);
    const [c] = sealedView.commitmentsOf(chain.state, K);
    expect(c).toMatchObject({ owner: alice.addr, hash: buy.hash, deposit: 80n * USD, status: 1n });
    // After the gate: the reveal is public, and nobody can add an order that reacts to it.
    const late = sealed(mallory, 2n, 1, [step(MWH, 39n)], 'mallory');
    const b2 = await chain.block(GATE, [
      await revealTx(chain, alice, 1n, buy),
      await commitTx(chain, mallory, late, 10n * USD),
    ]);
    expect(reasons(b2)).toEqual(['ok', expect.stringContaining('gate of interval 5 closed')]);
    // Nothing cleared at the gate: the interval waits for the reveal window to close.
    expect(chain.state.get(marketKeys.interval(K).status)).toBe(0n);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('refuses a reveal of another order or salt than committed, and one before the gate', async () => {
    const chain = await start();
    const buy = sealed(alice, 2n, 0, [step(2n * MWH, 40n)], 'alice');
    await chain.block(2_000n, [await commitTx(chain, alice, buy, 80n * USD)]);
    const early = await chain.block(3_000n, [await revealTx(chain, alice, 1n, buy)]);
    expect(reasons(early)).toEqual([
      expect.stringContaining('reveal window of interval 5 opens at its gate'),
    ]);
    const before = chain.snapshotExceptNonces();
    const higher = { ...buy, steps: [step(2n * MWH, 41n)] };
    const elsewhere = { ...buy, bus: 1n };
    const otherSalt = { ...buy, salt: salt('guess') };
    const b = await chain.block(GATE, [
      await revealTx(chain, alice, 1n, higher),
      await revealTx(chain, alice, 1n, elsewhere),
      await revealTx(chain, alice, 1n, otherSalt),
    ]);
    expect(reasons(b)).toEqual(
      Array(3).fill(expect.stringContaining('do not match commitment 1')) as unknown[],
    );
    expect(chain.snapshotExceptNonces()).toBe(before);
  });

  it("makes a replayed commitment useless: the copier cannot reveal the owner's order as its own", async () => {
    const chain = await start();
    const buy = sealed(alice, 2n, 0, [step(2n * MWH, 40n)], 'alice');
    // Mallory copies Alice's hash from the mempool and gets in first; Alice's commitment is still taken.
    const b1 = await chain.block(2_000n, [
      await commitTx(chain, mallory, buy, 80n * USD),
      await commitTx(chain, alice, buy, 80n * USD),
      await commitTx(chain, alice, buy, 80n * USD),
    ]);
    expect(reasons(b1)).toEqual(['ok', 'ok', expect.stringContaining('already made commitment')]);
    // Alice reveals; Mallory replays Alice's revealed order and salt against the copied hash.
    const b2 = await chain.block(GATE, [
      await revealTx(chain, alice, 2n, buy),
      await revealTx(chain, mallory, 1n, buy),
      await revealTx(chain, mallory, 2n, buy),
    ]);
    expect(reasons(b2)).toEqual([
      'ok',
      expect.stringContaining('do not match commitment 1'),
      expect.stringContaining(`commitment 2 is not ${mallory.addr}'s`),
    ]);
    const orders = marketView.ordersOf(chain.state, K);
    expect(orders.map((o) => o.owner)).toEqual([alice.addr]);
    // The copy forfeits 20 % of its deposit to the grid operator when the window closes.
    const opBefore = cash(chain, operator);
    await chain.block(CLOSE);
    expect(sealedView.commitment(chain.state, 1n)?.status).toBe(4n);
    expect(cash(chain, mallory)).toBe(CASH - 16n * USD);
    expect(cash(chain, operator) - opBefore).toBe(16n * USD);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('forfeits a late or missing reveal, and a reveal whose order needs more than the deposit', async () => {
    const chain = await start();
    const buy = sealed(alice, 2n, 0, [step(2n * MWH, 40n)], 'alice'); // escrow 80 $
    const sell = sealed(bob, 2n, 1, [step(MWH, 30n)], 'bob'); // collateral 200 $
    await chain.block(2_000n, [
      await commitTx(chain, alice, buy, 79n * USD),
      await commitTx(chain, bob, sell, 500n * USD),
    ]);
    const b = await chain.block(GATE + MINUTE, [await revealTx(chain, alice, 1n, buy)]);
    expect(reasons(b)).toEqual([
      expect.stringContaining("needs an escrow of 80000000, more than commitment 1's deposit 79000000"),
    ]);
    // Bob reveals in the block that closes the window: the window closed before the transactions ran.
    const opBefore = cash(chain, operator);
    const late = await chain.block(CLOSE, [await revealTx(chain, bob, 2n, sell)]);
    expect(reasons(late)).toEqual([expect.stringContaining('commitment 2 is forfeited')]);
    expect(cash(chain, alice)).toBe(CASH - (79n * USD * 2n) / 10n);
    expect(cash(chain, bob)).toBe(CASH - 100n * USD);
    expect(cash(chain, operator) - opBefore).toBe((79n * USD * 2n) / 10n + 100n * USD);
    expect(chain.state.get(marketKeys.interval(K).status)).toBe(INTERVAL_STATUS.settled);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('clears the revealed book in the block that closes the reveal window; a cancelled commitment costs nothing', async () => {
    const chain = await start();
    const buy = sealed(alice, 2n, 0, [step(2n * MWH, 40n)], 'alice');
    const sell = sealed(bob, 2n, 1, [step(2n * MWH, 30n)], 'bob');
    const spare = sealed(mallory, 1n, 0, [step(MWH, 90n)], 'spare');
    await chain.block(2_000n, [
      await commitTx(chain, alice, buy, 100n * USD),
      await commitTx(chain, bob, sell, 410n * USD),
      await commitTx(chain, mallory, spare, 90n * USD),
    ]);
    const cancelled = await chain.block(3_000n, [
      await chain.tx(mallory, MARKET_ADDRESS, MARKET_ABI, 'cancelCommitment', [3n]),
    ]);
    expect(reasons(cancelled)).toEqual(['ok']);
    expect(cash(chain, mallory)).toBe(CASH);
    const afterGate = await chain.block(GATE, [
      await chain.tx(alice, MARKET_ADDRESS, MARKET_ABI, 'cancelCommitment', [1n]),
      await revealTx(chain, alice, 1n, buy),
      await revealTx(chain, bob, 2n, sell),
    ]);
    expect(reasons(afterGate)).toEqual([
      expect.stringContaining('gate of interval 5 has closed'),
      'ok',
      'ok',
    ]);
    // The reveal refunds the deposit beyond the order's escrow (80 $ of 100 $; 410 $ of 410 $: 2 MWh at the
    // price cap plus δ, 200 + 5 $/MWh).
    expect(cash(chain, alice)).toBe(CASH - 80n * USD);
    await chain.block(CLOSE - 1n);
    expect(chain.state.get(marketKeys.interval(K).status)).toBe(0n);
    await chain.block(CLOSE);
    expect(chain.state.get(marketKeys.interval(K).status)).toBe(INTERVAL_STATUS.cleared);
    const orders = marketView.ordersOf(chain.state, K);
    expect(orders.map((o) => o.clearedWh)).toEqual([2n * MWH, 2n * MWH]);
    // One bus pair on a copper plate: the midpoint of [30, 40].
    expect(orders.map((o) => o.priceMicrosPerMWh)).toEqual([35n * USD, 35n * USD]);
    expect(sealedView.commitmentsOf(chain.state, K).map((c) => c.status)).toEqual([2n, 2n, 3n]);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('refuses sealed calls on an open-book market and bad commitments', async () => {
    const chain = await start();
    const buy = sealed(alice, 2n, 0, [step(2n * MWH, 40n)], 'alice');
    const before = chain.snapshotExceptNonces();
    const b = await chain.block(2_000n, [
      await chain.tx(alice, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [K, toHex(0n, { size: 32 }), USD]),
      await commitTx(chain, alice, buy, 0n),
      await commitTx(chain, alice, buy, CASH + 1n),
      await chain.tx(alice, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [K - 1n, buy.hash, USD]),
      await chain.tx(operator, MARKET_ADDRESS, MARKET_ABI, 'commitOrder', [K, buy.hash, USD]),
    ]);
    expect(reasons(b)).toEqual([
      expect.stringContaining('commitment must not be zero'),
      expect.stringContaining('needs a deposit > 0'),
      expect.stringContaining('exceeds the cash balance'),
      expect.stringContaining("before the market's first interval"),
      expect.stringContaining('lacks PARTICIPANT_ROLE'),
    ]);
    expect(chain.snapshotExceptNonces()).toBe(before);
    const open = await Chain.start(
      buildGenesis(admin, [{ who: alice, roles: ['PARTICIPANT_ROLE'], cash: CASH }]),
      testMarketConfig(operator.addr, { firstInterval: K, gateLeadMs: 10n * MINUTE }),
    );
    const o = await open.block(HOUR, [await commitTx(open, alice, buy, USD)]);
    expect(reasons(o)).toEqual([expect.stringContaining('this market has no sealed bids')]);
  });
});
