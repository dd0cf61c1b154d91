// The debt ledger: obligations that could not be paid when they fell due, kept until they are paid
// instead of being dropped. A debt is a claim (debtor → creditor, µ$) in the debtor's first-in first-out
// queue. Receipts are netted against debts: whatever an indebted account is paid (settlement receipts,
// clearing receipts, released collateral) goes to its creditors, oldest claim first, before the rest
// reaches it. An account with any debt is in default: it cannot place orders until it pays
// (`payDebts`, or receipts netted). The grid operator's own unpaid obligations (payments it could not
// cover) are debts like any other, paid from what it receives next. Money is never created: a debt
// is a record, and paying one moves cash from the debtor's balance to the creditor's.
// State keys (prefix <market address>):
//   :debt:<a>            what account a owes in total, µ$
//   :due:<a>             what is owed to account a in total, µ$
//   :dq:<a>:h, :dq:<a>:n the head and length of a's claim queue
//   :dq:<a>:<i>:to, :amt claim i of a: creditor (uint160) and amount still owed, µ$
//   :debts               the sum of every account's debt (= the sum of every due), µ$
import { InternalError } from '@gridledger/base';
import {
  type Address,
  addressToValue,
  CASH_ADDRESS,
  type CallContext,
  Erc20Module,
  prepareEvent,
  valueToAddress,
  ZERO_ADDRESS,
} from '@gridledger/execution';
import { parseAbi } from 'viem';
import { MARKET_ADDRESS } from './addresses.ts';
import { minBig, type StateReader } from './words.ts';

/** Events of the debt ledger (emitted by the market module). */
export const DEBTS_ABI = parseAbi([
  'event DebtRecorded(address indexed debtor, address indexed creditor, uint64 indexed interval, uint256 amount, string reason)',
  'event DebtPaid(address indexed debtor, address indexed creditor, uint256 amount)',
]);
const EV = { recorded: prepareEvent(DEBTS_ABI, 'DebtRecorded'), paid: prepareEvent(DEBTS_ABI, 'DebtPaid') };

const M = MARKET_ADDRESS;
/** State keys of the debt ledger. */
export const debtKeys = {
  debt: (a: Address) => `${M}:debt:${a}`,
  due: (a: Address) => `${M}:due:${a}`,
  head: (a: Address) => `${M}:dq:${a}:h`,
  length: (a: Address) => `${M}:dq:${a}:n`,
  claimTo: (a: Address, i: bigint) => `${M}:dq:${a}:${i}:to`,
  claimAmount: (a: Address, i: bigint) => `${M}:dq:${a}:${i}:amt`,
  total: `${M}:debts`,
};
const K = debtKeys;

/** How deep a receipt is passed on to a creditor's own creditors (bounds the work of one payment). */
const MAX_NETTING_DEPTH = 4;

/** Unmetered reads of the debt ledger. */
export const debtView = {
  /** What `a` owes in total, µ$ (0: not in default). */
  debtOf: (s: StateReader, a: Address) => s.get(K.debt(a)),
  /** What is owed to `a` in total, µ$. */
  dueTo: (s: StateReader, a: Address) => s.get(K.due(a)),
  /** Sum of all debts, µ$. */
  total: (s: StateReader) => s.get(K.total),
  /** `a`'s unpaid claims, oldest first. */
  claimsOf(s: StateReader, a: Address): { creditor: Address; amount: bigint }[] {
    const out: { creditor: Address; amount: bigint }[] = [];
    for (let i = s.get(K.head(a)); i < s.get(K.length(a)); i++) {
      out.push({ creditor: valueToAddress(s.get(K.claimTo(a, i))), amount: s.get(K.claimAmount(a, i)) });
    }
    return out;
  },
};

/**
 * Records that `debtor` owes `creditor` `amount` µ$ (an obligation of `interval` it could not pay now).
 * Nothing moves; the claim is paid from the debtor's next receipts or by `payDebts`.
 * @example recordDebt(ctx, { debtor, creditor: gridOperator, amount: 5_000_000n, interval: k, reason: 'imbalance' })
 */
export function recordDebt(
  ctx: CallContext,
  d: { debtor: Address; creditor: Address; amount: bigint; interval: bigint; reason: string },
): void {
  if (d.amount <= 0n || d.debtor === d.creditor) return;
  if (d.debtor === ZERO_ADDRESS || d.creditor === ZERO_ADDRESS)
    throw new InternalError(`debts: a claim needs two accounts, got ${d.debtor} → ${d.creditor}`);
  const n = ctx.read(K.length(d.debtor));
  ctx.write(K.claimTo(d.debtor, n), addressToValue(d.creditor));
  ctx.write(K.claimAmount(d.debtor, n), d.amount);
  ctx.write(K.length(d.debtor), n + 1n);
  ctx.write(K.debt(d.debtor), ctx.read(K.debt(d.debtor)) + d.amount);
  ctx.write(K.due(d.creditor), ctx.read(K.due(d.creditor)) + d.amount);
  ctx.write(K.total, ctx.read(K.total) + d.amount);
  ctx.emit(M, EV.recorded, {
    debtor: d.debtor,
    creditor: d.creditor,
    interval: d.interval,
    amount: d.amount,
    reason: d.reason,
  });
}

/**
 * Pays `amount` µ$ of cash from `from` to `to`, netted against `to`'s debts: its creditors are paid first,
 * oldest claim first (each creditor's share in turn netted against its own debts), and only the rest
 * reaches `to`. `from` must hold `amount`. Returns what reached `to` itself.
 * @example const got = payNetOfDebts(ctx, MARKET_ADDRESS, seller, 1_000_000n)
 */
export function payNetOfDebts(
  ctx: CallContext,
  from: Address,
  to: Address,
  amount: bigint,
  depth = 0,
): bigint {
  if (amount <= 0n) return 0n;
  const cash = ctx.modules.require(CASH_ADDRESS, Erc20Module);
  let rest = amount;
  if (depth < MAX_NETTING_DEPTH && ctx.read(K.debt(to)) > 0n) {
    rest -= settleClaims(ctx, to, rest, (creditor, x) => {
      payNetOfDebts(ctx, from, creditor, x, depth + 1);
    });
  }
  if (rest > 0n && from !== to) cash.transfer(ctx, from, to, rest);
  return rest;
}

/**
 * Pays `debtor`'s claims from its own cash balance, oldest first, as far as the balance goes.
 * Returns the amount paid.
 * @example payDebtsFromBalance(ctx, account)
 */
export function payDebtsFromBalance(ctx: CallContext, debtor: Address): bigint {
  if (ctx.read(K.debt(debtor)) === 0n) return 0n;
  const bal = ctx.modules.require(CASH_ADDRESS, Erc20Module).balanceOf(ctx.state, debtor);
  return settleClaims(ctx, debtor, bal, (creditor, x) => {
    payNetOfDebts(ctx, debtor, creditor, x, 1);
  });
}

/** Takes up to `budget` off `debtor`'s claims in queue order, calling `pay` for each part. */
function settleClaims(
  ctx: CallContext,
  debtor: Address,
  budget: bigint,
  pay: (creditor: Address, amount: bigint) => void,
): bigint {
  let used = 0n;
  let head = ctx.read(K.head(debtor));
  const n = ctx.read(K.length(debtor));
  while (head < n && used < budget) {
    const owed = ctx.read(K.claimAmount(debtor, head));
    const creditor = valueToAddress(ctx.read(K.claimTo(debtor, head)));
    const x = minBig(owed, budget - used);
    ctx.write(K.claimAmount(debtor, head), owed - x);
    ctx.write(K.debt(debtor), ctx.read(K.debt(debtor)) - x);
    ctx.write(K.due(creditor), ctx.read(K.due(creditor)) - x);
    ctx.write(K.total, ctx.read(K.total) - x);
    used += x;
    ctx.emit(M, EV.paid, { debtor, creditor, amount: x });
    pay(creditor, x);
    if (owed === x) {
      ctx.write(K.claimTo(debtor, head), 0n);
      head++;
    }
  }
  ctx.write(K.head(debtor), head);
  return used;
}
