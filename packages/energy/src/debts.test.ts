// The debt ledger: claims queue per debtor, receipts netted against them (also through a creditor's own
// debts and a cycle of two), payment from the balance, and conservation: balances + dues − debts per
// account sum to the cash supply, and Σ debts = Σ dues, for random sequences (property test).
import {
  type Address,
  CASH_ADDRESS,
  CallContext,
  createPlatformModules,
  Erc20Module,
  GasMeter,
  JournaledState,
} from '@gridledger/execution';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { debtView, payDebtsFromBalance, payNetOfDebts, recordDebt } from './debts.ts';

const A = '0x00000000000000000000000000000000000000a1' as Address;
const B = '0x00000000000000000000000000000000000000b2' as Address;
const C = '0x00000000000000000000000000000000000000c3' as Address;
const POOL = '0x00000000000000000000000000000000000000f0' as Address;
const ACCOUNTS = [A, B, C, POOL];

function setup(balances: Record<string, bigint>) {
  const state = new JournaledState();
  const modules = createPlatformModules();
  const ctx = new CallContext(
    state,
    new GasMeter(1n << 62n),
    { sender: POOL, height: 1n, timeMs: 0n },
    modules,
  );
  const cash = modules.require(CASH_ADDRESS, Erc20Module);
  for (const [a, v] of Object.entries(balances)) cash.mintInternal(ctx, a as Address, v);
  const bal = (a: Address) => cash.balanceOf(state, a);
  return { state, ctx, bal };
}

describe('debt ledger', () => {
  it('queues claims and nets a receipt against them, oldest first', () => {
    const { state, ctx, bal } = setup({ [POOL]: 100n });
    recordDebt(ctx, { debtor: A, creditor: B, amount: 30n, interval: 1n, reason: 'imbalance' });
    recordDebt(ctx, { debtor: A, creditor: C, amount: 50n, interval: 2n, reason: 'imbalance' });
    expect(debtView.debtOf(state, A)).toBe(80n);
    expect(debtView.dueTo(state, C)).toBe(50n);
    // A receives 40: 30 to B, 10 to C, nothing to A.
    expect(payNetOfDebts(ctx, POOL, A, 40n)).toBe(0n);
    expect([bal(A), bal(B), bal(C), bal(POOL)]).toEqual([0n, 30n, 10n, 60n]);
    expect(debtView.claimsOf(state, A)).toEqual([{ creditor: C, amount: 40n }]);
    // A receives 60: 40 to C, 20 to A; out of default.
    expect(payNetOfDebts(ctx, POOL, A, 60n)).toBe(20n);
    expect([bal(A), bal(C), debtView.debtOf(state, A), debtView.total(state)]).toEqual([20n, 50n, 0n, 0n]);
  });

  it("passes a receipt on through the creditor's own debts and settles a cycle of two", () => {
    const { state, ctx, bal } = setup({ [POOL]: 100n });
    recordDebt(ctx, { debtor: A, creditor: B, amount: 10n, interval: 1n, reason: 'x' });
    recordDebt(ctx, { debtor: B, creditor: A, amount: 7n, interval: 1n, reason: 'y' });
    payNetOfDebts(ctx, POOL, A, 10n);
    // A's 10 paid its debt to B, whose 7 of it paid B's debt back to A: A has 7, B 3, no debts.
    expect([bal(A), bal(B), debtView.total(state)]).toEqual([7n, 3n, 0n]);
  });

  it('pays debts from the balance as far as it goes; refuses a claim on the zero address', () => {
    const { state, ctx, bal } = setup({ [A]: 25n });
    recordDebt(ctx, { debtor: A, creditor: B, amount: 40n, interval: 1n, reason: 'x' });
    expect(payDebtsFromBalance(ctx, A)).toBe(25n);
    expect([bal(A), bal(B), debtView.debtOf(state, A)]).toEqual([0n, 25n, 15n]);
    expect(() =>
      recordDebt(ctx, {
        debtor: A,
        creditor: '0x0000000000000000000000000000000000000000',
        amount: 1n,
        interval: 1n,
        reason: 'x',
      }),
    ).toThrow(/two accounts/);
  });

  it('conserves money: Σ (balance + due − debt) = supply, Σ debts = Σ dues (random sequences)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('debt' as const),
        d: fc.nat(3),
        c: fc.nat(3),
        x: fc.bigInt({ min: 0n, max: 50n }),
      }),
      fc.record({
        kind: fc.constant('pay' as const),
        d: fc.nat(3),
        c: fc.nat(3),
        x: fc.bigInt({ min: 0n, max: 50n }),
      }),
      fc.record({
        kind: fc.constant('fromBalance' as const),
        d: fc.nat(3),
        c: fc.nat(3),
        x: fc.constant(0n),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { state, ctx, bal } = setup({ [A]: 40n, [B]: 40n, [C]: 40n, [POOL]: 200n });
        const worth = () =>
          ACCOUNTS.reduce((s, a) => s + bal(a) + debtView.dueTo(state, a) - debtView.debtOf(state, a), 0n);
        const w0 = worth();
        for (const o of ops) {
          const d = ACCOUNTS[o.d]!;
          const c = ACCOUNTS[o.c]!;
          if (o.kind === 'debt')
            recordDebt(ctx, { debtor: d, creditor: c, amount: o.x, interval: 0n, reason: 'p' });
          else if (o.kind === 'pay') payNetOfDebts(ctx, d, c, minBal(bal(d), o.x));
          else payDebtsFromBalance(ctx, d);
        }
        const debts = ACCOUNTS.reduce((s, a) => s + debtView.debtOf(state, a), 0n);
        const dues = ACCOUNTS.reduce((s, a) => s + debtView.dueTo(state, a), 0n);
        expect(debts).toBe(dues);
        expect(debtView.total(state)).toBe(debts);
        expect(worth()).toBe(w0);
        for (const a of ACCOUNTS)
          expect(debtView.claimsOf(state, a).reduce((s, q) => s + q.amount, 0n)).toBe(
            debtView.debtOf(state, a),
          );
      }),
      { numRuns: 200 },
    );
  });
});

const minBal = (a: bigint, b: bigint) => (a < b ? a : b);
