// Invariants of the energy market over the whole state, checked after every block in the tests
// (issue 5, item 7). Each is computed from primary records (orders, readings, balances), not from the
// running totals the modules keep, so a bookkeeping error shows up as a violation.
import {
  CASH_ADDRESS,
  CREDITS_ADDRESS,
  type JournaledState,
  PROMISES_ADDRESS,
  valueToAddress,
  ZERO_ADDRESS,
} from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';
import { marketView } from './market.ts';
import { COMMIT_STATUS, INTERVAL_STATUS, marketKeys, ORDER_STATUS } from './market-keys.ts';
import { promiseEnergyWh } from './promise-record.ts';
import { sealedView } from './sealed-orders.ts';
import { partyPositions } from './settlement.ts';
import { decodeSigned, minBig } from './words.ts';

/** Range of intervals to check. */
export interface InvariantScope {
  firstInterval: bigint;
}

/** Violated invariants, described (empty when all hold). */
export function checkEnergyInvariants(state: JournaledState, scope: InvariantScope): string[] {
  const out: string[] = [];
  // Cash: supply equals the sum of balances; the market's balance equals the escrow it records.
  const cashSupply = state.get(`${CASH_ADDRESS}:supply`);
  const balances = state.entriesWithPrefix(`${CASH_ADDRESS}:bal:`).reduce((a, [, v]) => a + v, 0n);
  if (balances !== cashSupply) out.push(`cash: balances ${balances} != supply ${cashSupply}`);
  let escrow = 0n;
  const last = state.get(marketKeys.nextOrder);
  for (let id = 1n; id < last; id++) escrow += state.get(marketKeys.order(id).escrow);
  const lastCommit = state.get(marketKeys.nextCommit);
  for (let id = 1n; id < lastCommit; id++) escrow += state.get(marketKeys.commit(id).deposit);
  const held = state.get(`${CASH_ADDRESS}:bal:${MARKET_ADDRESS}`);
  if (held !== escrow) out.push(`cash: market holds ${held} but records escrow ${escrow}`);

  // Per interval: rent >= 0, credits = metered deliveries of settled intervals, promises settled once.
  let creditsExpected = 0n;
  const clearNext = state.get(marketKeys.clearNext);
  for (let k = scope.firstInterval; k < clearNext; k++) {
    const iv = marketKeys.interval(k);
    const st = state.get(iv.status);
    const rent = decodeSigned(state.get(iv.rent));
    if (rent < 0n) out.push(`interval ${k}: congestion rent ${rent} < 0`);
    const promises = marketView.promisesOf(state, k);
    for (const id of promises) {
      const owner = valueToAddress(state.get(`${PROMISES_ADDRESS}:owner:${id}`));
      const settled = state.get(marketKeys.promise(id).settled) === 1n;
      if (st === INTERVAL_STATUS.settled && (!settled || owner !== ZERO_ADDRESS)) {
        out.push(`promise ${id}: interval ${k} is settled but the promise is not burned and settled`);
      }
      if (st !== INTERVAL_STATUS.settled && (settled || owner === ZERO_ADDRESS)) {
        out.push(`promise ${id}: settled or burned before its interval ${k} settled`);
      }
    }
    if (st === INTERVAL_STATUS.settled) {
      for (const p of partyPositions(state, k)) {
        creditsExpected += minBig(p.exportedWh, p.soldWh);
      }
      const sumDelivered = promises.reduce((a, id) => a + state.get(marketKeys.promise(id).deliveredWh), 0n);
      const sumPromised = promises.reduce((a, id) => a + promiseEnergyWh(state, id), 0n);
      if (sumDelivered > sumPromised)
        out.push(`interval ${k}: delivered ${sumDelivered} > promised ${sumPromised}`);
    }
    for (const o of marketView.ordersOf(state, k)) {
      if (st !== 0n && o.status === ORDER_STATUS.open)
        out.push(`order ${o.id}: still open after its interval cleared`);
      if (o.status === ORDER_STATUS.cancelled && o.escrow !== 0n)
        out.push(`order ${o.id}: cancelled with escrow`);
    }
    for (const c of sealedView.commitmentsOf(state, k)) {
      if (c.status === COMMIT_STATUS.committed)
        out.push(`commitment ${c.id}: still committed after its interval's reveal window closed`);
      else if (c.deposit !== 0n) out.push(`commitment ${c.id}: ${c.deposit} deposit held after it closed`);
    }
  }
  const credits = state.get(`${CREDITS_ADDRESS}:supply`);
  if (credits !== creditsExpected)
    out.push(`credits: supply ${credits} != metered deliveries ${creditsExpected}`);
  return out;
}
