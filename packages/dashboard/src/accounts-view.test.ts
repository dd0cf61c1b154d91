// The accounts view: debtOf call data and results through the market's real ABI, DebtRecorded logs'
// debtors, which accounts are listed (fixed ones, then debtors, then traders; no repeats; capped), and
// the rows (cash and debt in $, in default first by debt, then listing order; unread values null).
import { DEBTS_ABI, MARKET_ABI, RENT_FUND_ADDRESS } from '@gridledger/energy';
import { encodeEventTopics, encodeFunctionResult, type Hex, numberToHex, toFunctionSelector } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  accountsToList,
  buildAccountsView,
  DEBT_RECORDED_TOPIC,
  debtOfData,
  debtorOf,
  decodeDebtOf,
  MAX_ACCOUNT_ROWS,
} from './accounts-view.ts';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';
const C = '0x00000000000000000000000000000000000000cc';
const debtOfResult = (debt: bigint, due: bigint) =>
  encodeFunctionResult({ abi: MARKET_ABI, functionName: 'debtOf', result: [debt, due] });
const cash = (micros: bigint) => numberToHex(micros, { size: 32 });

describe('debtOf and DebtRecorded', () => {
  it('encodes debtOf(account) and decodes (debt, due)', () => {
    expect(debtOfData(A).slice(0, 10)).toBe(toFunctionSelector('function debtOf(address)'));
    expect(debtOfData(A).endsWith(A.slice(2))).toBe(true);
    expect(decodeDebtOf(debtOfResult(5_000_000n, 7n))).toEqual({ debt: 5_000_000n, due: 7n });
    expect(decodeDebtOf('0x')).toBeUndefined();
    expect(decodeDebtOf(undefined)).toBeUndefined();
  });

  it('reads the debtor of a DebtRecorded log and nothing else', () => {
    const topics = encodeEventTopics({
      abi: DEBTS_ABI,
      eventName: 'DebtRecorded',
      args: { debtor: B as Hex, creditor: A as Hex, interval: 9n },
    });
    expect(topics[0]).toBe(DEBT_RECORDED_TOPIC);
    expect(debtorOf({ topics: topics as Hex[] })).toBe(B);
    const paid = encodeEventTopics({ abi: DEBTS_ABI, eventName: 'DebtPaid', args: { debtor: B as Hex } });
    expect(debtorOf({ topics: paid as Hex[] })).toBeUndefined();
    expect(debtorOf({ topics: [DEBT_RECORDED_TOPIC] })).toBeUndefined();
  });
});

describe('accountsToList', () => {
  it('lists fixed accounts, then debtors, then the others, each once, at most MAX_ACCOUNT_ROWS', () => {
    const listed = accountsToList(
      [{ address: A, role: 'grid operator' }],
      [B, A],
      [
        { address: B.toUpperCase().replace('0X', '0x'), role: 'buyer' },
        { address: C, role: 'seller' },
      ],
    );
    expect(listed).toEqual([
      { address: A, role: 'grid operator' },
      { address: B, role: 'debtor' },
      { address: C, role: 'seller' },
    ]);
    const many = Array.from({ length: 40 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}`);
    expect(accountsToList([], many, [])).toHaveLength(MAX_ACCOUNT_ROWS);
  });
});

describe('buildAccountsView', () => {
  it('shows cash and debts in $, accounts in default first (largest debt first), unread values null', () => {
    const listed = [
      { address: A, role: 'grid operator' },
      { address: B, role: 'debtor' },
      { address: C, role: 'debtor' },
    ];
    const v = buildAccountsView(
      listed,
      [
        { cash: cash(2_500_000n), debtOf: debtOfResult(0n, 3_000_000n) },
        { cash: cash(0n), debtOf: debtOfResult(1_000_000n, 0n) },
        { cash: undefined, debtOf: debtOfResult(4_500_000n, 0n) },
      ],
      { address: RENT_FUND_ADDRESS, cash: cash(22_130_000n), debtOf: debtOfResult(0n, 1_500_000n) },
      2,
    );
    expect(v.rows.map((r) => [r.address, r.inDefault, r.debt, r.due, r.cash])).toEqual([
      [C, true, 4.5, 0, null],
      [B, true, 1, 0, 0],
      [A, false, 0, 3, 2.5],
    ]);
    expect(v.rentFund).toEqual({ address: RENT_FUND_ADDRESS, balance: 22.13, due: 1.5 });
    expect(v.debtorsSeen).toBe(2);
    const unread = buildAccountsView(
      listed.slice(0, 1),
      [{ cash: '0x', debtOf: '0x' }],
      {
        address: RENT_FUND_ADDRESS,
        cash: undefined,
        debtOf: undefined,
      },
      0,
    );
    expect(unread.rows[0]).toEqual({
      address: A,
      role: 'grid operator',
      cash: null,
      debt: null,
      due: null,
      inDefault: false,
    });
    expect(unread.rentFund.balance).toBeNull();
  });
});
