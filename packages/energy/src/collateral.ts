// Moving settlement money with collateral and debts: a charge is taken from the party's collateral
// (held by the market), then its cash balance, and what is still missing becomes a debt to the payee
// (debts.ts); a payment by an account that cannot cover it (the grid operator) pays what it can and owes
// the rest. Every receipt is netted against the receiver's debts. Nothing is ever created or dropped.
import { type Address, CASH_ADDRESS, type CallContext, Erc20Module } from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';
import { payNetOfDebts, recordDebt } from './debts.ts';
import { minBig } from './words.ts';

/** Collateral the market holds for one party during its settlement, µ$ (mutable: charges take from it). */
export interface CollateralPool {
  leftMicros: bigint;
}

/**
 * Charges `amount` µ$ to `payer` for `payee`: from `pool`, then `payer`'s cash, the rest a debt.
 * Returns what was paid now (the rest is owed).
 * @example chargeParty(ctx, { payer, payee: operator, amount, pool, interval: k, reason: 'imbalance' })
 */
export function chargeParty(
  ctx: CallContext,
  c: {
    payer: Address;
    payee: Address;
    amount: bigint;
    pool: CollateralPool;
    interval: bigint;
    reason: string;
  },
): bigint {
  if (c.amount <= 0n) return 0n;
  const cash = ctx.modules.require(CASH_ADDRESS, Erc20Module);
  const fromPool = minBig(c.amount, c.pool.leftMicros);
  if (fromPool > 0n) {
    c.pool.leftMicros -= fromPool;
    payNetOfDebts(ctx, MARKET_ADDRESS, c.payee, fromPool);
  }
  const rest = c.amount - fromPool;
  const fromCash = minBig(rest, cash.balanceOf(ctx.state, c.payer));
  if (fromCash > 0n) payNetOfDebts(ctx, c.payer, c.payee, fromCash);
  if (rest > fromCash) {
    recordDebt(ctx, {
      debtor: c.payer,
      creditor: c.payee,
      amount: rest - fromCash,
      interval: c.interval,
      reason: `${c.reason}: ${c.amount} due, collateral ${fromPool} and cash ${fromCash} paid`,
    });
  }
  return fromPool + fromCash;
}

/**
 * Pays `amount` µ$ from `payer` (an account that may not cover it, such as the grid operator) to `payee`:
 * what the payer's cash covers now, the rest owed as a debt (paid from the payer's next receipts).
 * @example payOrOwe(ctx, { payer: operator, payee: party, amount, interval: k, reason: 'imbalance payment' })
 */
export function payOrOwe(
  ctx: CallContext,
  p: { payer: Address; payee: Address; amount: bigint; interval: bigint; reason: string },
): bigint {
  const pool = { leftMicros: 0n };
  return chargeParty(ctx, { ...p, pool });
}
