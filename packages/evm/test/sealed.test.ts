// Sealed bids on the market's contracts (docs/market-rules.md §6b, docs/evm.md "Sealed bids"), on a real
// Ethereum node (anvil from npm) through viem: one anvil for the file with a sealed market (a 30 s reveal
// window of the 60 s gate lead, 10 % forfeit), each test isolated by evm_snapshot / evm_revert. The
// commitment is the native one (commitmentHash of @gridledger/energy); the operator clears the revealed
// orders only, and every bad input reverts with its reason and changes nothing.

import { commitmentHash, MARKET_ABI } from '@gridledger/energy';
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  type Address,
  type Hex,
  keccak256,
  parseEventLogs,
  toEventSignature,
  toFunctionSignature,
  toHex,
} from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { MarketAbi } from '../src/generated/Market.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain, dueIntervals, readBook } from '../src/operator/operator.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  ALICE_CASH,
  cashProbe,
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  mineAt,
  type Probe,
  read,
  send,
  type World,
} from './world.ts';

const REVEAL_WINDOW_MS = 30_000n;
const FORFEIT_BPS = 1_000;

let w: World;

// orders capped by the registered meters (alice's and bob's 1 GW: 83,333,333 Wh per interval), checked at reveal
useWorld(
  {
    sealed: { revealWindowMs: REVEAL_WINDOW_MS, forfeitBps: FORFEIT_BPS },
    ordersCappedByMeters: true,
  },
  {
    setup: async (world) => {
      w = world;
    },
  },
);

const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
type Step = ReturnType<typeof step>;
const gateOf = (k: bigint) => k * INTERVAL_MS - GATE_LEAD_MS;
const closeOf = (k: bigint) => gateOf(k) + REVEAL_WINDOW_MS;
const cashOf = (a: Address) =>
  read<bigint>(w, {
    address: w.addresses.cash,
    abi: TestStablecoinAbi as Abi,
    functionName: 'balanceOf',
    args: [a],
  });

/** A sealed order of `who` and its commitment. */
interface Sealed {
  who: PrivateKeyAccount;
  k: bigint;
  bus: bigint;
  side: number;
  steps: Step[];
  salt: Hex;
  hash: Hex;
}

function seal(
  who: PrivateKeyAccount,
  k: bigint,
  bus: bigint,
  side: number,
  steps: Step[],
  tag: string,
): Sealed {
  const salt = keccak256(toHex(`salt ${tag}`));
  const hash = commitmentHash({ owner: who.address, interval: k, bus, side, steps, salt });
  return { who, k, bus, side, steps, salt, hash };
}

const commit = (s: Sealed, deposit: bigint) => market(w, 'commitOrder', [s.k, s.hash, deposit]);
const reveal = (id: bigint, s: Sealed, over: Partial<Sealed> = {}) => {
  const o = { ...s, ...over };
  return market(w, 'revealOrder', [id, o.bus, o.side, o.steps, o.salt]);
};

interface CommitmentView {
  owner: Address;
  interval: bigint;
  commitment: Hex;
  deposit: bigint;
  status: number;
  order: bigint;
}
const commitmentOf = (id: bigint) => read<CommitmentView>(w, market(w, 'commitment', [id]));

/** Cash, ids, every commitment of interval k and its open orders: what a refused call must not change. */
function sealedProbe(k: bigint): Probe {
  const cash = cashProbe(w);
  return async () => {
    const ids = await read<bigint[]>(w, market(w, 'commitmentIds', [k]));
    return {
      cash: await cash(),
      nextCommitId: await read<bigint>(w, market(w, 'nextCommitId', [])),
      commitments: await Promise.all(ids.map(commitmentOf)),
      open: await read(w, market(w, 'openOrders', [k])),
      revealClosed: await read<boolean>(w, market(w, 'revealClosed', [k])),
    };
  };
}

// Alice buys 50,000 Wh at 80 $/MWh at bus 2 (escrow 4 $), bob sells 60,000 Wh at 30 $/MWh at bus 3
// (collateral 60,000 · 200 / 10^6 = 12 $); line 2-3 carries 25,000 Wh (contracts.test.ts, open book).
const ALICE_ESCROW = 4_000_000n;
const BOB_COLLATERAL = 12_000_000n;
const DEPOSIT = 20_000_000n;

describe('sealed bids', () => {
  it("has the native module's sealed-bid functions, views and events (signatures, names, returns)", () => {
    const names = ['commitOrder', 'revealOrder', 'cancelCommitment', 'commitment', 'revealWindow'];
    const events = ['OrderCommitted', 'OrderRevealed', 'CommitmentCancelled', 'CommitmentForfeited'];
    const fn = (abi: Abi, name: string) =>
      abi.find((x): x is AbiFunction => x.type === 'function' && x.name === name);
    const ev = (abi: Abi, name: string) =>
      abi.find((x): x is AbiEvent => x.type === 'event' && x.name === name);
    const shape = (f: AbiFunction | undefined) =>
      f === undefined
        ? undefined
        : {
            signature: toFunctionSignature(f),
            inputs: f.inputs.map((i) => i.name),
            outputs: f.outputs.map((o) => o.type),
            view: f.stateMutability === 'view',
          };
    for (const name of names) {
      expect(shape(fn(MarketAbi as Abi, name)), name).toEqual(shape(fn(MARKET_ABI as Abi, name)));
    }
    for (const name of events) {
      const e = ev(MarketAbi as Abi, name);
      const n = ev(MARKET_ABI as Abi, name);
      expect(e && toEventSignature(e), name).toBe(n && toEventSignature(n));
      expect(
        e?.inputs.map((i) => [i.name, i.indexed === true]),
        name,
      ).toEqual(n?.inputs.map((i) => [i.name, i.indexed === true]));
    }
  });

  it('commits before the gate, reveals in the window, clears the revealed book and forfeits the rest', async () => {
    const k = w.k0;
    const a = seal(w.alice, k, 2n, 0, [step(50_000n, 80_000_000n)], 'a');
    const b = seal(w.bob, k, 3n, 1, [step(60_000n, 30_000_000n)], 'b');
    const hidden = seal(w.alice, k, 2n, 0, [step(10_000n, 90_000_000n)], 'hidden');
    await send(w, w.alice, commit(a, DEPOSIT));
    await send(w, w.bob, commit(b, DEPOSIT));
    await send(w, w.alice, commit(hidden, 7_000_000n));
    // before the gate the state holds commitments only: no order, nothing for an operator to read
    expect(await commitmentOf(1n)).toEqual({
      owner: w.alice.address,
      interval: k,
      commitment: a.hash,
      deposit: DEPOSIT,
      status: 1,
      order: 0n,
    });
    expect(await read(w, market(w, 'commitmentIds', [k]))).toEqual([1n, 2n, 3n]);
    expect(await read(w, market(w, 'nextOrderId', []))).toBe(1n);
    expect(await read(w, market(w, 'openOrders', [k]))).toEqual([]);
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH - DEPOSIT - 7_000_000n);
    expect(await read(w, market(w, 'revealWindow', [k]))).toEqual([gateOf(k), closeOf(k)]);

    // the reveal window: the orders enter the book with their escrow taken from the deposits
    await mineAt(w, gateOf(k));
    const c = await w.clients(w.alice);
    await send(w, w.alice, reveal(1n, a));
    await send(w, w.bob, reveal(2n, b));
    const latest = await c.public.getBlock({ blockTag: 'latest', includeTransactions: false });
    const receipt = await c.public.getTransactionReceipt({ hash: latest.transactions[0]! });
    const [revealed] = parseEventLogs({ abi: MarketAbi, logs: receipt.logs, eventName: 'OrderRevealed' });
    expect(revealed?.args).toEqual({
      commitId: 2n,
      orderId: 2n,
      owner: w.bob.address,
      refunded: DEPOSIT - BOB_COLLATERAL,
    });
    expect(await commitmentOf(1n)).toMatchObject({ deposit: 0n, status: 2, order: 1n });
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH - ALICE_ESCROW - 7_000_000n);
    expect(await cashOf(w.bob.address)).toBe(ALICE_CASH - BOB_COLLATERAL);
    expect(await read(w, market(w, 'order', [1n]))).toMatchObject({ escrow: ALICE_ESCROW, status: 1 });

    // the operator waits for the window to close: the book is not complete before
    const op = await w.clients(w.operator);
    const contracts = { market: w.addresses.market, verifier: w.verifier };
    expect((await dueIntervals(op, w.addresses.market, k)).due).toEqual([]);
    await expect(clearIntervalOnChain(op, contracts, k)).rejects.toThrow(/reveal window of interval/);

    await mineAt(w, closeOf(k));
    expect((await dueIntervals(op, w.addresses.market, k)).due).toEqual([k]);
    const book = await readBook(op, contracts, k);
    expect(book.orders.map((o) => o.id)).toEqual([1n, 2n]);
    const operatorBefore = await cashOf(w.operator.address);
    const RENT_FUND = '0x0000000000000000000000000000000000001013';
    const fundBefore = await cashOf(RENT_FUND);
    const r = await clearIntervalOnChain(op, contracts, k);
    expect(r?.orders).toBe(2);
    expect(await read(w, market(w, 'lmp', [k, 2n]))).toBe(80_000_000n);
    expect(await read(w, market(w, 'lmp', [k, 3n]))).toBe(30_000_000n);
    expect(await read(w, market(w, 'order', [1n]))).toMatchObject({ status: 3, clearedWh: 25_000n });
    // the unrevealed commitment forfeited 10 % to the grid operator and got 90 % back
    expect(await commitmentOf(3n)).toMatchObject({ deposit: 0n, status: 4, order: 0n });
    expect(await read(w, market(w, 'revealClosed', [k]))).toBe(true);
    // alice paid 2 $ and has 4 − 2 back, plus 6.3 $ of her 7 $; the operator gets the 0.7 $ forfeit, the
    // rent fund the rent of 1.25 $
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH - 2_000_000n - 700_000n);
    expect(await cashOf(w.operator.address)).toBe(operatorBefore + 700_000n);
    expect(await cashOf(RENT_FUND)).toBe(fundBefore + 1_250_000n);
    // the market holds bob's collateral only (25,000 Wh · 200 $/MWh)
    expect(await cashOf(w.addresses.market)).toBe(5_000_000n);
    // and the forfeit is done once
    const probe = sealedProbe(k);
    await expectRevert(w, w.carol, market(w, 'closeReveal', [k]), 'is already closed', probe);
  });

  it('refuses bad commitments and an order in the clear, changing nothing', async () => {
    const k = w.k0;
    const a = seal(w.alice, k, 2n, 0, [step(50_000n, 80_000_000n)], 'a');
    await send(w, w.alice, commit(a, DEPOSIT));
    const probe = sealedProbe(k);
    await expectRevert(
      w,
      w.alice,
      market(w, 'placeOrder', [k, 2n, 0, [step(1_000n, 80_000_000n)]]),
      'bids are sealed: commitOrder before the gate, revealOrder after it',
      probe,
    );
    const carol = seal(w.carol, k, 2n, 0, [step(1_000n, 1n)], 'c');
    await expectRevert(w, w.carol, commit(carol, DEPOSIT), 'is not a registered participant', probe);
    await expectRevert(
      w,
      w.alice,
      market(w, 'commitOrder', [k - 1n, a.hash, DEPOSIT]),
      "before the market's first interval",
      probe,
    );
    await expectRevert(
      w,
      w.alice,
      market(w, 'commitOrder', [k, `0x${'00'.repeat(32)}`, DEPOSIT]),
      'the commitment must not be zero',
      probe,
    );
    await expectRevert(w, w.alice, commit(a, DEPOSIT), 'already made commitment', probe);
    const a2 = seal(w.alice, k, 2n, 0, [step(1_000n, 80_000_000n)], 'a2');
    await expectRevert(w, w.alice, commit(a2, 0n), 'a commitment needs a deposit > 0', probe);
    await expectRevert(w, w.alice, commit(a2, ALICE_CASH), 'exceeds the cash balance', probe);
    // the live-commitment limit (4 per account and interval)
    for (const t of ['l1', 'l2', 'l3']) {
      await send(w, w.alice, commit(seal(w.alice, k, 2n, 0, [step(1_000n, 1n)], t), 1n));
    }
    const probe2 = sealedProbe(k);
    await expectRevert(w, w.alice, commit(a2, 1n), 'already has 4 commitments in interval', probe2);
    // at the gate no commitment is taken
    await mineAt(w, gateOf(k));
    const probe3 = sealedProbe(k);
    await expectRevert(
      w,
      w.bob,
      commit(seal(w.bob, k, 3n, 1, [step(1_000n, 1n)], 'late'), DEPOSIT),
      'commitments are taken before the gate',
      probe3,
    );
  });

  it('cancels before the gate only, once, and only the owner', async () => {
    const k = w.k0;
    const a = seal(w.alice, k, 2n, 0, [step(50_000n, 80_000_000n)], 'a');
    const b = seal(w.alice, k, 2n, 0, [step(1_000n, 80_000_000n)], 'b');
    await send(w, w.alice, commit(a, DEPOSIT));
    await send(w, w.alice, commit(b, DEPOSIT));
    const probe = sealedProbe(k);
    await expectRevert(w, w.alice, market(w, 'cancelCommitment', [9n]), 'unknown commitment 9', probe);
    await expectRevert(
      w,
      w.bob,
      market(w, 'cancelCommitment', [1n]),
      `is not ${w.bob.address.toLowerCase()}'s`,
      probe,
    );
    await send(w, w.alice, market(w, 'cancelCommitment', [1n]));
    expect(await commitmentOf(1n)).toMatchObject({ deposit: 0n, status: 3 });
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH - DEPOSIT);
    const probe2 = sealedProbe(k);
    await expectRevert(
      w,
      w.alice,
      market(w, 'cancelCommitment', [1n]),
      'commitment 1 is cancelled, not committed',
      probe2,
    );
    // reveal after cancel
    await mineAt(w, gateOf(k));
    const probe3 = sealedProbe(k);
    await expectRevert(w, w.alice, reveal(1n, a), 'commitment 1 is cancelled, not committed', probe3);
    await expectRevert(
      w,
      w.alice,
      market(w, 'cancelCommitment', [2n]),
      'has closed; reveal the order instead',
      probe3,
    );
  });

  it('refuses a wrong, foreign, early, late, double or underfunded reveal, changing nothing', async () => {
    const k = w.k0;
    const a = seal(w.alice, k, 2n, 0, [step(50_000n, 80_000_000n)], 'a');
    const poor = seal(w.alice, k, 2n, 0, [step(50_000n, 80_000_000n)], 'poor');
    const bad = seal(w.bob, k, 9n, 1, [step(1_000n, 30_000_000n)], 'bad-bus');
    await send(w, w.alice, commit(a, DEPOSIT));
    await send(w, w.alice, commit(poor, ALICE_ESCROW - 1n));
    await send(w, w.bob, commit(bad, DEPOSIT));
    let probe = sealedProbe(k);
    await expectRevert(w, w.alice, reveal(1n, a), `opens at its gate (${gateOf(k)} ms)`, probe);
    await mineAt(w, gateOf(k));
    probe = sealedProbe(k);
    const mismatch = 'the revealed order and salt do not match commitment 1';
    await expectRevert(w, w.alice, reveal(1n, a, { salt: keccak256(toHex('other')) }), mismatch, probe);
    await expectRevert(w, w.alice, reveal(1n, a, { bus: 3n }), mismatch, probe);
    await expectRevert(w, w.alice, reveal(1n, a, { side: 1 }), mismatch, probe);
    await expectRevert(w, w.alice, reveal(1n, a, { steps: [step(50_000n, 70_000_000n)] }), mismatch, probe);
    // a copied commitment cannot reveal its victim's order: the owner is inside the hash
    await expectRevert(w, w.bob, reveal(1n, a), `is not ${w.bob.address.toLowerCase()}'s`, probe);
    await expectRevert(w, w.alice, reveal(7n, a), 'unknown commitment 7', probe);
    await expectRevert(
      w,
      w.alice,
      reveal(2n, poor),
      `needs an escrow of ${ALICE_ESCROW}, more than commitment 2's deposit ${ALICE_ESCROW - 1n}`,
      probe,
    );
    // the order's own checks, as placeOrder's: the commitment stays unrevealed
    await expectRevert(w, w.bob, reveal(3n, bad), 'unknown bus 9', probe);
    await send(w, w.alice, reveal(1n, a));
    probe = sealedProbe(k);
    await expectRevert(w, w.alice, reveal(1n, a), 'commitment 1 is revealed, not committed', probe);
    // the clearing waits for the window
    await expectRevert(w, w.carol, market(w, 'closeReveal', [k]), `closes at ${closeOf(k)} ms`, probe);
    await expectRevert(w, w.carol, market(w, 'expireClearing', [k]), `closes at ${closeOf(k)} ms`, probe);
    // at the window's close a reveal is late
    await mineAt(w, closeOf(k));
    probe = sealedProbe(k);
    await expectRevert(
      w,
      w.alice,
      reveal(2n, poor),
      `reveal window of interval ${k} closed at ${closeOf(k)} ms`,
      probe,
    );
    // anyone closes it: the two unrevealed commitments forfeit 10 %
    const before = await cashOf(w.operator.address);
    await send(w, w.carol, market(w, 'closeReveal', [k]));
    expect(await commitmentOf(2n)).toMatchObject({ status: 4, deposit: 0n });
    expect(await commitmentOf(3n)).toMatchObject({ status: 4, deposit: 0n });
    const forfeit = (ALICE_ESCROW - 1n) / 10n + DEPOSIT / 10n;
    expect(await cashOf(w.operator.address)).toBe(before + forfeit);
    probe = sealedProbe(k);
    await expectRevert(w, w.alice, reveal(2n, poor), 'commitment 2 is forfeited, not committed', probe);
  });

  it('expires an interval nobody cleared: forfeits the unrevealed and releases the revealed escrow', async () => {
    const k = w.k0;
    const a = seal(w.alice, k, 2n, 0, [step(50_000n, 80_000_000n)], 'a');
    const b = seal(w.bob, k, 3n, 1, [step(60_000n, 30_000_000n)], 'b');
    await send(w, w.alice, commit(a, DEPOSIT));
    await send(w, w.bob, commit(b, DEPOSIT));
    await mineAt(w, gateOf(k));
    await send(w, w.alice, reveal(1n, a));
    await mineAt(w, (k + 1n) * INTERVAL_MS + 600_000n);
    await send(w, w.carol, market(w, 'expireClearing', [k]));
    expect(await cashOf(w.alice.address)).toBe(ALICE_CASH);
    expect(await cashOf(w.bob.address)).toBe(ALICE_CASH - DEPOSIT / 10n);
    expect(await cashOf(w.addresses.market)).toBe(0n);
    expect(await commitmentOf(2n)).toMatchObject({ status: 4 });
  });

  it("refuses at reveal an order beyond the owner's meters (ordersCappedByMeters), changing nothing", async () => {
    const k = w.k0;
    // two bids of 45,000,000 Wh at 1 µ$/MWh (escrow 45 µ$ each); alice's meter carries 83,333,333 Wh
    const a1 = seal(w.alice, k, 2n, 0, [step(45_000_000n, 1n)], 'a1');
    const a2 = seal(w.alice, k, 2n, 0, [step(40_000_000n, 1n), step(5_000_000n, 1n)], 'a2');
    await send(w, w.alice, commit(a1, 100n));
    await send(w, w.alice, commit(a2, 100n));
    await mineAt(w, gateOf(k));
    await send(w, w.alice, reveal(1n, a1));
    const probe = sealedProbe(k);
    await expectRevert(
      w,
      w.alice,
      reveal(2n, a2),
      `market: the order's 45000000 Wh plus 45000000 Wh already bid by ${w.alice.address.toLowerCase()} at bus 2 in interval ${k} exceed its meters' capacity of 83333333 Wh per interval (1000000000 W registered there): order less`,
      probe,
    );
    expect(await commitmentOf(2n)).toMatchObject({ status: 1, deposit: 100n });
  });
});
