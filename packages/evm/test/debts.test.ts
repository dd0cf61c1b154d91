// The debt ledger on the contracts (docs/market-rules.md §10a "Collateral and debts", docs/evm.md "The
// debt ledger"; MarketDebts.sol, as the native packages/energy/src/debts.ts). Written first as the exploit
// (it failed before the ledger: a buyer that revoked its allowance before settlement escaped its imbalance
// charge, which was only a PaymentFailed event, and kept trading): now what collateral and cash cannot
// cover is the party's debt, it is in default (placeOrder refused) until payDebts() or a netted receipt
// pays it; a grid operator short of cash owes its payments and pays them from what it receives next.
// The events are decoded with the native DEBTS_ABI (same names, fields, indexing). A market with the
// second settlement on its own anvil (as realtime.test.ts).

import { bandPrices, commitmentHash, DEBTS_ABI, deviationAmount, MARKET_ABI } from '@gridledger/energy';
import {
  type Abi,
  type AbiEvent,
  type AbiFunction,
  type Address,
  keccak256,
  parseEventLogs,
  toEventSignature,
  toFunctionSignature,
  toHex,
} from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { MarketAbi } from '../src/generated/Market.ts';
import { RealtimeBookAbi } from '../src/generated/RealtimeBook.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain } from '../src/operator/operator.ts';
import { type RealtimeContracts, submitRealtimePrices } from '../src/operator/realtime.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  type Call,
  cashProbe,
  clearForward,
  GATE_LEAD_MS,
  holdTime,
  INTERVAL_MS,
  market,
  mineAt,
  read,
  registry,
  revertReason,
  SETTLEMENT_DELAY_MS,
  send,
  submitReading,
  WORLD_REALTIME,
  type World,
} from './world.ts';

const REALTIME = WORLD_REALTIME;

let w: World;
let rt: RealtimeContracts;

/** A market with the second settlement (and `sealed` bids when given); carol: a meter at bus 2, no orders. */
function withWorld(sealed?: { revealWindowMs: bigint; forfeitBps: number }) {
  useWorld(
    { realtime: REALTIME, ...(sealed === undefined ? {} : { sealed }) },
    {
      setup: async (world) => {
        w = world;
        rt = w.realtime;
        // carol: a meter at bus 2 (12 kW: 1,000 Wh per interval) and no orders
        await send(
          w,
          w.operator,
          registry(w, 'registerMeter', [3n, w.meterKey.address, 2n, w.carol.address, 12_000n]),
        );
      },
    },
  );
}

const REVEAL_WINDOW_MS = 30_000n;
const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
type Step = ReturnType<typeof step>;
const cashCall = (functionName: string, args: readonly unknown[]): Call => ({
  address: w.addresses.cash,
  abi: TestStablecoinAbi as Abi,
  functionName,
  args,
});
const cashOf = (a: Address) => read<bigint>(w, cashCall('balanceOf', [a]));
const debtOf = (a: Address) => read<[bigint, bigint]>(w, market(w, 'debtOf', [a]));
const claimsOf = (a: Address) => read<[Address[], bigint[]]>(w, market(w, 'claimsOf', [a]));
const approve = (who: PrivateKeyAccount, amount: bigint) =>
  send(w, who, cashCall('approve', [w.addresses.market, amount]));

/** Sends `call` from `from`, expects success, returns the debt ledger's events it emitted (native ABI). */
async function sendDebtEvents(from: PrivateKeyAccount, call: Call) {
  await holdTime(w);
  const c = await w.clients(from);
  const hash = await c.wallet.writeContract(call as Parameters<typeof c.wallet.writeContract>[0]);
  const r = await c.public.waitForTransactionReceipt({ hash });
  expect(r.status).toBe('success');
  return parseEventLogs({
    abi: DEBTS_ABI,
    logs: r.logs.filter((l) => l.address.toLowerCase() === w.addresses.market.toLowerCase()),
  }).map((e) => ({ name: e.eventName, ...e.args }));
}

/** Readings of meters 1 (alice), 2 (bob), 3 (carol) after the interval, then its real-time prices. */
async function meterAndPrice(k: bigint, r: Record<'alice' | 'bob' | 'carol', [bigint, bigint]>) {
  await mineAt(w, (k + 1n) * INTERVAL_MS);
  await submitReading(w, 1n, k, ...r.alice);
  await submitReading(w, 2n, k, ...r.bob);
  await submitReading(w, 3n, k, ...r.carol);
  await submitRealtimePrices(await w.clients(w.operator), rt, k);
}

/** What the native deviationAmount gives a party at `bus` deviating `devWh` in interval `k`. */
async function nativeAmount(k: bigint, bus: bigint, devWh: bigint): Promise<bigint> {
  const fwd = await read<bigint>(w, market(w, 'lmp', [k, bus]));
  const rtPrice = await read<bigint>(w, {
    address: rt.book,
    abi: RealtimeBookAbi as Abi,
    functionName: 'realtimePrice',
    args: [k, bus],
  });
  return deviationAmount(devWh, bandPrices(fwd, rtPrice, REALTIME.penaltyMicrosPerMWh));
}

/** Cash of the usual accounts and the ledger of alice, bob, carol and the operator: unchanged by a refusal. */
const ledgerProbe = () => async () => ({
  cash: await cashProbe(w)(),
  debts: await Promise.all([w.alice, w.bob, w.carol, w.operator].map((a) => debtOf(a.address))),
  claims: await claimsOf(w.alice.address),
  total: await read<bigint>(w, market(w, 'totalDebts', [])),
});

/** The ledger's invariant (as native invariants.ts): Σ debts = Σ dues = totalDebts over every account here. */
async function expectLedgerBalanced(): Promise<void> {
  const all = await Promise.all([w.alice, w.bob, w.carol, w.operator].map((a) => debtOf(a.address)));
  const total = await read<bigint>(w, market(w, 'totalDebts', []));
  expect(all.reduce((x, [d]) => x + d, 0n)).toBe(total);
  expect(all.reduce((x, [, due]) => x + due, 0n)).toBe(total);
}

describe('the debt ledger on the contracts', () => {
  withWorld();

  it("has the native module's debt functions and events (signatures, names, returns, indexing)", () => {
    const fn = (abi: Abi, name: string) =>
      abi.find((x): x is AbiFunction => x.type === 'function' && x.name === name);
    const ev = (abi: Abi, name: string) =>
      abi.find((x): x is AbiEvent => x.type === 'event' && x.name === name);
    for (const name of ['payDebts', 'debtOf']) {
      const [e, n] = [fn(MarketAbi as Abi, name), fn(MARKET_ABI as Abi, name)];
      expect(e && toFunctionSignature(e), name).toBe(n && toFunctionSignature(n));
      expect(
        e?.outputs.map((o) => [o.name, o.type]),
        name,
      ).toEqual(n?.outputs.map((o) => [o.name, o.type]));
      expect(e?.stateMutability, name).toBe(n?.stateMutability);
    }
    for (const name of ['DebtRecorded', 'DebtPaid']) {
      const [e, n] = [ev(MarketAbi as Abi, name), ev(DEBTS_ABI as Abi, name)];
      expect(e && toEventSignature(e), name).toBe(n && toEventSignature(n));
      expect(
        e?.inputs.map((i) => [i.name, i.indexed === true]),
        name,
      ).toEqual(n?.inputs.map((i) => [i.name, i.indexed === true]));
    }
  });

  it('a buyer that revokes its allowance before settlement owes its charge, is refused orders until it pays, and its receipts are netted', async () => {
    const k = w.k0;
    await clearForward(w, k);
    // alice consumes 45,000 Wh against the 25,000 she bought (short 20,000; a buyer posts no margin),
    // and revokes her allowance to the market before the settlement (the exploit)
    await approve(w.alice, 0n);
    await meterAndPrice(k, { alice: [45_000n, 0n], bob: [0n, 25_000n], carol: [0n, 0n] });
    const charge = -(await nativeAmount(k, 2n, -20_000n));
    expect(charge).toBe(2_100_000n); // 20,000 Wh · (max(55, 100) + 5) $/MWh
    const aliceBefore = await cashOf(w.alice.address);
    const opBefore = await cashOf(w.operator.address);
    const events = await sendDebtEvents(w.carol, market(w, 'settle', [k]));
    // before the ledger: nothing moved and nothing was owed (a PaymentFailed event); now it is her debt
    expect(await cashOf(w.alice.address)).toBe(aliceBefore);
    expect(await cashOf(w.operator.address)).toBe(opBefore);
    expect(await debtOf(w.alice.address)).toEqual([charge, 0n]);
    expect(await debtOf(w.operator.address)).toEqual([0n, charge]);
    expect(await claimsOf(w.alice.address)).toEqual([[w.operator.address], [charge]]);
    expect(await read(w, market(w, 'totalDebts', []))).toBe(charge);
    await expectLedgerBalanced();
    expect(events).toEqual([
      {
        name: 'DebtRecorded',
        debtor: w.alice.address,
        creditor: w.operator.address,
        interval: k,
        amount: charge,
        reason: `imbalance charge of ${charge} due, collateral 0 and cash 0 paid`,
      },
    ]);

    // in default: no new order until she pays (the native reason)
    const next = k + 3n;
    const probe = ledgerProbe();
    await approve(w.alice, 2n ** 256n - 1n);
    await expectRevert(
      w,
      w.alice,
      market(w, 'placeOrder', [next, 2n, 0, [step(1_000n, 80_000_000n)]]),
      `market: ${w.alice.address.toLowerCase()} is in default, owing ${charge} µ$: pay it with payDebts() first`,
      probe,
    );
    // payDebts without an allowance is refused with the reason, changing nothing
    await approve(w.alice, 0n);
    await expectRevert(
      w,
      w.alice,
      market(w, 'payDebts', []),
      'approve the market on the cash token, then call payDebts()',
      probe,
    );
    // payDebts with nothing owed returns 0 and changes nothing (as native)
    const c = await w.clients(w.bob);
    const sim = await c.public.simulateContract({
      ...(market(w, 'payDebts', []) as object),
      account: w.bob,
    } as Parameters<typeof c.public.simulateContract>[0]);
    expect(sim.result).toBe(0n);
    const idle = await probe();
    expect(await sendDebtEvents(w.bob, market(w, 'payDebts', []))).toEqual([]);
    expect(await probe()).toEqual(idle);

    // she approves 1 $: payDebts pays that much (as far as her cash goes), the rest stays owed
    await approve(w.alice, 1_000_000n);
    expect(await sendDebtEvents(w.alice, market(w, 'payDebts', []))).toEqual([
      { name: 'DebtPaid', debtor: w.alice.address, creditor: w.operator.address, amount: 1_000_000n },
    ]);
    expect(await cashOf(w.operator.address)).toBe(opBefore + 1_000_000n);
    expect(await debtOf(w.alice.address)).toEqual([charge - 1_000_000n, 0n]);
    expect(
      await revertReason(w, w.alice, market(w, 'placeOrder', [next, 2n, 0, [step(1_000n, 1n)]])),
    ).toContain('is in default');

    // a later receipt is netted: bob sells 10,000 Wh to the upstream in `next`; alice's meter exports
    // 10,000 Wh there without an order (long), and what the operator owes her goes to her creditor (the
    // operator itself: nothing moves, the claim shrinks)
    await send(w, w.bob, market(w, 'placeOrder', [next, 3n, 1, [step(10_000n, 10_000_000n)]]));
    await mineAt(w, next * INTERVAL_MS - GATE_LEAD_MS);
    const op = await w.clients(w.operator);
    await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, next);
    await meterAndPrice(next, { alice: [0n, 10_000n], bob: [0n, 10_000n], carol: [0n, 0n] });
    const paid = await nativeAmount(next, 2n, 10_000n);
    expect(paid).toBeGreaterThan(0n);
    const aliceMid = await cashOf(w.alice.address);
    const netted = await sendDebtEvents(w.carol, market(w, 'settle', [next]));
    expect(netted).toEqual([
      { name: 'DebtPaid', debtor: w.alice.address, creditor: w.operator.address, amount: paid },
    ]);
    expect(await cashOf(w.alice.address)).toBe(aliceMid);
    expect(await debtOf(w.alice.address)).toEqual([charge - 1_000_000n - paid, 0n]);

    // she pays the rest and may trade again
    await approve(w.alice, 2n ** 256n - 1n);
    await send(w, w.alice, market(w, 'payDebts', []));
    expect(await debtOf(w.alice.address)).toEqual([0n, 0n]);
    expect(await debtOf(w.operator.address)).toEqual([0n, 0n]);
    expect(await claimsOf(w.alice.address)).toEqual([[], []]);
    expect(await read(w, market(w, 'totalDebts', []))).toBe(0n);
    await send(w, w.alice, market(w, 'placeOrder', [next + 2n, 2n, 0, [step(1_000n, 80_000_000n)]]));
    await expectLedgerBalanced();
  });

  it('a grid operator short of cash owes its imbalance payments and pays them from what it receives next', async () => {
    const k = w.k0;
    await clearForward(w, k);
    await approve(w.operator, 0n);
    // as realtime.test.ts: bob short 5,000 (pays from his collateral), alice long 1,000, carol long 500;
    // settled in address order carol, alice, bob: the operator cannot pay carol and alice, owes them,
    // and bob's charge (from his collateral, held by the market) pays them first
    await meterAndPrice(k, { alice: [24_000n, 0n], bob: [0n, 20_000n], carol: [0n, 500n] });
    const amount = {
      alice: await nativeAmount(k, 2n, 1_000n),
      bob: await nativeAmount(k, 3n, -5_000n),
      carol: await nativeAmount(k, 2n, 500n),
    };
    expect(amount).toEqual({ alice: 50_000n, bob: -525_000n, carol: 25_000n });
    const damages = 10_000n; // 5,000 Wh of bob's promise undelivered, 2 $/MWh to alice
    const before = await cashProbe(w)();
    const events = await sendDebtEvents(w.carol, market(w, 'settle', [k]));
    const after = (await cashProbe(w)()) as Record<string, bigint>;
    const b = before as Record<string, bigint>;
    const op = w.operator.address;
    expect(events).toEqual([
      {
        name: 'DebtRecorded',
        debtor: op,
        creditor: w.carol.address,
        interval: k,
        amount: 25_000n,
        reason: 'imbalance payment: 25000 due, collateral 0 and cash 0 paid',
      },
      {
        name: 'DebtRecorded',
        debtor: op,
        creditor: w.alice.address,
        interval: k,
        amount: 50_000n,
        reason: 'imbalance payment: 50000 due, collateral 0 and cash 0 paid',
      },
      { name: 'DebtPaid', debtor: op, creditor: w.carol.address, amount: 25_000n },
      { name: 'DebtPaid', debtor: op, creditor: w.alice.address, amount: 50_000n },
    ]);
    // every account ends as if the operator had paid at once
    expect(after.alice! - b.alice!).toBe(amount.alice + damages);
    expect(after.carol! - b.carol!).toBe(amount.carol);
    expect(after.bob! - b.bob!).toBe(5_000_000n + amount.bob - damages);
    expect(after.operator! - b.operator!).toBe(-(amount.alice + amount.bob + amount.carol));
    expect(after.market).toBe(0n);
    expect(await debtOf(op)).toEqual([0n, 0n]);
    expect(await read(w, market(w, 'totalDebts', []))).toBe(0n);
  });

  it('a grid operator short of cash with nothing to receive stays in debt until it pays', async () => {
    const k = w.k0;
    await clearForward(w, k);
    await approve(w.operator, 0n);
    // bob delivers all he sold: the operator receives nothing; alice long 1,000, carol long 500
    await meterAndPrice(k, { alice: [24_000n, 0n], bob: [0n, 25_000n], carol: [0n, 500n] });
    const a = await nativeAmount(k, 2n, 1_000n);
    const c = await nativeAmount(k, 2n, 500n);
    expect([a, c]).toEqual([15_000n, 7_500n]); // min(55, 20) − 5 = 15 $/MWh: the export price in real time
    await send(w, w.carol, market(w, 'settle', [k]));
    const op = w.operator.address;
    expect(await debtOf(op)).toEqual([a + c, 0n]);
    expect(await debtOf(w.alice.address)).toEqual([0n, a]);
    expect(await claimsOf(op)).toEqual([
      [w.carol.address, w.alice.address],
      [c, a],
    ]);
    await expectRevert(w, w.operator, market(w, 'payDebts', []), 'then call payDebts()', ledgerProbe());
    const carol0 = await cashOf(w.carol.address);
    const alice0 = await cashOf(w.alice.address);
    await approve(w.operator, c + 5_000n);
    // oldest first: carol's claim, then 5,000 of alice's
    expect(await sendDebtEvents(w.operator, market(w, 'payDebts', []))).toEqual([
      { name: 'DebtPaid', debtor: op, creditor: w.carol.address, amount: c },
      { name: 'DebtPaid', debtor: op, creditor: w.alice.address, amount: 5_000n },
    ]);
    expect([(await cashOf(w.carol.address)) - carol0, (await cashOf(w.alice.address)) - alice0]).toEqual([
      c,
      5_000n,
    ]);
    expect(await claimsOf(op)).toEqual([[w.alice.address], [a - 5_000n]]);
    expect(await debtOf(w.alice.address)).toEqual([0n, a - 5_000n]);
    await expectLedgerBalanced();
  });

  it("the upstream account's receipt at a clearing pays its debts first (market-rules §10b)", async () => {
    const k = w.k0;
    await clearForward(w, k);
    await approve(w.operator, 0n);
    // the operator (also the upstream account) cannot pay carol and alice their long imbalances: it owes them
    await meterAndPrice(k, { alice: [24_000n, 0n], bob: [0n, 25_000n], carol: [0n, 500n] });
    await send(w, w.carol, market(w, 'settle', [k]));
    const op = w.operator.address;
    const [owed] = await debtOf(op);
    const [, [c, a]] = await claimsOf(op);
    expect(owed).toBe(c! + a!);
    // next: alice buys 25,000 Wh at 120 $/MWh and nobody local sells: the upstream imports them and is
    // paid at its bus's price at the clearing, netted: carol and alice are paid first
    const next = k + 3n;
    await send(w, w.alice, market(w, 'placeOrder', [next, 2n, 0, [step(25_000n, 120_000_000n)]]));
    await mineAt(w, next * INTERVAL_MS - GATE_LEAD_MS);
    const before = await cashProbe(w)();
    const opc = await w.clients(w.operator);
    await clearIntervalOnChain(opc, { market: w.addresses.market, verifier: w.verifier }, next);
    const after = (await cashProbe(w)()) as Record<string, bigint>;
    const b = before as Record<string, bigint>;
    const upstreamPrice = await read<bigint>(w, market(w, 'lmp', [next, 1n]));
    const received = (25_000n * upstreamPrice) / 1_000_000n;
    expect(received).toBeGreaterThan(owed);
    expect(after.carol! - b.carol!).toBe(c!);
    expect(after.operator! - b.operator!).toBe(received - owed);
    expect(await debtOf(op)).toEqual([0n, 0n]);
    expect(await debtOf(w.alice.address)).toEqual([0n, 0n]);
    await expectLedgerBalanced();
  });

  it("a seller's released collateral is netted against the debt it fell into after placing its order", async () => {
    const k = w.k0;
    // bob sells 25,000 Wh in k and in k + 1 to alice (both placed before k's gate)
    for (const x of [k, k + 1n]) {
      await send(w, w.alice, market(w, 'placeOrder', [x, 2n, 0, [step(25_000n, 80_000_000n)]]));
      await send(w, w.bob, market(w, 'placeOrder', [x, 3n, 1, [step(25_000n, 30_000_000n)]]));
    }
    const op = await w.clients(w.operator);
    const contracts = { market: w.addresses.market, verifier: w.verifier };
    await mineAt(w, k * INTERVAL_MS - GATE_LEAD_MS);
    await clearIntervalOnChain(op, contracts, k);
    await mineAt(w, (k + 1n) * INTERVAL_MS - GATE_LEAD_MS);
    await clearIntervalOnChain(op, contracts, k + 1n);
    // k: bob's meter does not report: at the deadline it is estimated at its capacity imported (1 GW for
    // 5 minutes), a charge far beyond his collateral and cash: the rest is his debt
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    await submitReading(w, 1n, k, 25_000n, 0n);
    await submitReading(w, 3n, k, 0n, 0n);
    await mineAt(w, (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS);
    await submitRealtimePrices(op, rt, k);
    await send(w, w.carol, market(w, 'settle', [k]));
    const [debt] = await debtOf(w.bob.address);
    expect(debt).toBeGreaterThan(0n);
    expect(await cashOf(w.bob.address)).toBe(0n);
    // k + 1: bob delivers what he sold; his collateral (5 $) is released, netted: it pays the operator
    await submitReading(w, 1n, k + 1n, 25_000n, 0n);
    await submitReading(w, 2n, k + 1n, 0n, 25_000n);
    await submitReading(w, 3n, k + 1n, 0n, 0n);
    await submitRealtimePrices(op, rt, k + 1n);
    const opBefore = await cashOf(w.operator.address);
    expect(await sendDebtEvents(w.carol, market(w, 'settle', [k + 1n]))).toEqual([
      { name: 'DebtPaid', debtor: w.bob.address, creditor: w.operator.address, amount: 5_000_000n },
    ]);
    expect(await cashOf(w.bob.address)).toBe(0n);
    expect(await cashOf(w.operator.address)).toBe(opBefore + 5_000_000n);
    expect(await debtOf(w.bob.address)).toEqual([debt - 5_000_000n, 0n]);
    expect(await read(w, market(w, 'totalDebts', []))).toBe(debt - 5_000_000n);
    await expectLedgerBalanced();
  });
});

describe('the debt ledger with sealed bids', () => {
  withWorld({ revealWindowMs: REVEAL_WINDOW_MS, forfeitBps: 1000 });
  const gateOf = (k: bigint) => k * INTERVAL_MS - GATE_LEAD_MS;
  const sealed = (who: PrivateKeyAccount, k: bigint, bus: bigint, side: number, steps: Step[]) => {
    const salt = keccak256(toHex(`salt ${who.address} ${k}`));
    return {
      who,
      k,
      bus,
      side,
      steps,
      salt,
      hash: commitmentHash({ owner: who.address, interval: k, bus, side, steps, salt }),
    };
  };
  type Sealed = ReturnType<typeof sealed>;
  const commit = (x: Sealed) => market(w, 'commitOrder', [x.k, x.hash, 20_000_000n]);
  const reveal = (id: bigint, x: Sealed) => market(w, 'revealOrder', [id, x.bus, x.side, x.steps, x.salt]);

  it('a defaulter is refused commitOrder (EVM addition) and the reveal of a commitment made before (as native)', async () => {
    const k = w.k0;
    await send(w, w.alice, commit(sealed(w.alice, k, 2n, 0, [step(25_000n, 80_000_000n)])));
    await send(w, w.bob, commit(sealed(w.bob, k, 3n, 1, [step(25_000n, 30_000_000n)])));
    // alice also commits to a bid of k + 2 while she is not in default
    const later = sealed(w.alice, k + 2n, 2n, 0, [step(1_000n, 80_000_000n)]);
    await send(w, w.alice, commit(later));
    await mineAt(w, gateOf(k));
    await send(w, w.alice, reveal(1n, sealed(w.alice, k, 2n, 0, [step(25_000n, 80_000_000n)])));
    await send(w, w.bob, reveal(2n, sealed(w.bob, k, 3n, 1, [step(25_000n, 30_000_000n)])));
    await mineAt(w, gateOf(k) + REVEAL_WINDOW_MS);
    const op = await w.clients(w.operator);
    expect(
      (await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k))?.orders,
    ).toBe(2);
    // alice consumes 20,000 Wh beyond her purchase with her allowance revoked: her debt
    await approve(w.alice, 0n);
    await meterAndPrice(k, { alice: [45_000n, 0n], bob: [0n, 25_000n], carol: [0n, 0n] });
    await send(w, w.carol, market(w, 'settle', [k]));
    const [debt] = await debtOf(w.alice.address);
    expect(debt).toBe(-(await nativeAmount(k, 2n, -20_000n)));
    await approve(w.alice, 2n ** 256n - 1n);
    const inDefault = `market: ${w.alice.address.toLowerCase()} is in default, owing ${debt} µ$: pay it with payDebts() first`;
    const probe = ledgerProbe();
    await expectRevert(
      w,
      w.alice,
      commit(sealed(w.alice, k + 3n, 2n, 0, [step(1_000n, 1n)])),
      inDefault,
      probe,
    );
    await mineAt(w, gateOf(k + 2n));
    await expectRevert(w, w.alice, reveal(3n, later), inDefault, probe);
    // paid: the reveal goes through
    await send(w, w.alice, market(w, 'payDebts', []));
    await send(w, w.alice, reveal(3n, later));
    expect(await read(w, market(w, 'openOrders', [k + 2n]))).toHaveLength(1);
  });
});
