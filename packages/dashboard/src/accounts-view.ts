// The accounts view: who owes what in the market's debt ledger (docs/market-rules.md §10a "Collateral and
// debts") and where the congestion rent goes (the rent fund, §10b). The accounts listed are the grid
// operator (also the upstream account in dev chains), every account a DebtRecorded log named as debtor
// (newest first), the last interval's largest traders and the dev accounts; each row is the account's
// cash (`balanceOf`) and `debtOf(account) → (debt, due)` on the market, read with eth_call.
import { DEBTS_ABI, MARKET_ABI } from '@gridledger/energy';
import { decodeFunctionResult, encodeEventTopics, encodeFunctionData, type Hex } from 'viem';
import { microsToDollars } from './curves.ts';
import type { AccountRow, AccountsView } from './view.ts';

/** Most rows the accounts table shows (each costs two eth_calls per settled interval). */
export const MAX_ACCOUNT_ROWS = 24;
/** Most debtors remembered from DebtRecorded logs. */
export const MAX_DEBTORS_KEPT = 200;

/** topic0 of the market's DebtRecorded(debtor, creditor, interval, amount, reason). */
export const DEBT_RECORDED_TOPIC = encodeEventTopics({ abi: DEBTS_ABI, eventName: 'DebtRecorded' })[0] as Hex;

/** Call data of the market's `debtOf(account)`. */
export const debtOfData = (address: string) =>
  encodeFunctionData({ abi: MARKET_ABI, functionName: 'debtOf', args: [address as Hex] });

/** `debtOf` result data as (debt, due) µ$; undefined when it does not decode. */
export function decodeDebtOf(data: unknown): { debt: bigint; due: bigint } | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const [debt, due] = decodeFunctionResult({ abi: MARKET_ABI, functionName: 'debtOf', data: data as Hex });
    return { debt, due };
  } catch {
    return undefined;
  }
}

/** The debtor (topic 1) of a DebtRecorded log, lower case; undefined for any other log. */
export function debtorOf(log: { topics: readonly (string | null)[] }): string | undefined {
  const t = log.topics[1];
  if (log.topics[0] !== DEBT_RECORDED_TOPIC || typeof t !== 'string' || t.length !== 66) return undefined;
  return `0x${t.slice(26)}`.toLowerCase();
}

/**
 * Which accounts to list, in order, without repeats: the fixed ones, then debtors, then the rest; at
 * most {@link MAX_ACCOUNT_ROWS}.
 * @example accountsToList([{address: op, role: 'grid operator'}], ['0xd…'], [{address: '0xb…', role: 'buyer'}])
 */
export function accountsToList(
  fixed: readonly { address: string; role: string }[],
  debtors: readonly string[],
  others: readonly { address: string; role: string }[],
): { address: string; role: string }[] {
  const out = new Map<string, string>();
  for (const a of [...fixed, ...debtors.map((d) => ({ address: d, role: 'debtor' })), ...others]) {
    const k = a.address.toLowerCase();
    if (!out.has(k) && out.size < MAX_ACCOUNT_ROWS) out.set(k, a.role);
  }
  return [...out].map(([address, role]) => ({ address, role }));
}

/**
 * The accounts view from each listed account's reads: in default first (largest debt first), then in
 * listing order.
 * @param reads per listed account: `balanceOf` on cash (µ$, hex) and `debtOf` result data
 */
export function buildAccountsView(
  listed: readonly { address: string; role: string }[],
  reads: readonly { cash: unknown; debtOf: unknown }[],
  rentFund: { address: string; cash: unknown; debtOf: unknown },
  debtorsSeen: number,
): AccountsView {
  const cashOf = (v: unknown) =>
    typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v) ? microsToDollars(BigInt(v)) : null;
  const rows: AccountRow[] = listed.map((a, i) => {
    const d = decodeDebtOf(reads[i]?.debtOf);
    return {
      address: a.address,
      role: a.role,
      cash: cashOf(reads[i]?.cash),
      debt: d === undefined ? null : microsToDollars(d.debt),
      due: d === undefined ? null : microsToDollars(d.due),
      inDefault: d !== undefined && d.debt > 0n,
    };
  });
  const order = new Map(rows.map((r, i) => [r, i]));
  rows.sort((p, q) =>
    p.inDefault !== q.inDefault
      ? p.inDefault
        ? -1
        : 1
      : p.inDefault && p.debt !== q.debt
        ? (q.debt ?? 0) - (p.debt ?? 0)
        : order.get(p)! - order.get(q)!,
  );
  const fundDebt = decodeDebtOf(rentFund.debtOf);
  return {
    rows,
    debtorsSeen,
    rentFund: {
      address: rentFund.address,
      balance: cashOf(rentFund.cash),
      due: fundDebt === undefined ? null : microsToDollars(fundDebt.due),
    },
  };
}
