// Invariants of the energy market over the whole state, checked after every block in the tests
// (issue 5, item 7). Each is computed from primary records (orders, readings, balances), not from the
// running totals the modules keep, so a bookkeeping error shows up as a violation.
import {
  type Address,
  CASH_ADDRESS,
  CREDITS_ADDRESS,
  type JournaledState,
  PROMISES_ADDRESS,
  valueToAddress,
  ZERO_ADDRESS,
} from '@gridledger/execution';
import { MARKET_ADDRESS, RENT_FUND_ADDRESS } from './addresses.ts';
import { debtKeys, debtView } from './debts.ts';
import { marketView } from './market.ts';
import { COMMIT_STATUS, INTERVAL_STATUS, marketKeys, ORDER_STATUS } from './market-keys.ts';
import { promiseEnergyWh, promiseSellerOrder } from './promise-record.ts';
import { readingView } from './reading-store.ts';
import { registryView } from './registry.ts';
import { sealedView } from './sealed-orders.ts';
import { decodeSigned, maxBig } from './words.ts';

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

  // Rent accounted for: the rent fund holds (or is owed) exactly the rents recorded (summed below).
  let rentRecorded = 0n;
  // Per interval: rent >= 0, credits = metered deliveries of settled intervals, promises settled once.
  let creditsExpected = 0n;
  const clearNext = state.get(marketKeys.clearNext);
  for (let k = scope.firstInterval; k < clearNext; k++) {
    const iv = marketKeys.interval(k);
    const st = state.get(iv.status);
    const rent = decodeSigned(state.get(iv.rent));
    if (rent < 0n) out.push(`interval ${k}: congestion rent ${rent} < 0`);
    rentRecorded += rent;
    const promises = marketView.promisesOf(state, k);
    for (const id of promises) {
      const owner = valueToAddress(state.get(`${PROMISES_ADDRESS}:owner:${id}`));
      const settled = state.get(marketKeys.promise(id).settled) === 1n;
      // A failed interval with promises failed at settlement: they are burned without credits.
      const done = st === INTERVAL_STATUS.settled || st === INTERVAL_STATUS.failed;
      const word = st === INTERVAL_STATUS.settled ? 'settled' : 'failed';
      if (done && (!settled || owner !== ZERO_ADDRESS)) {
        out.push(`promise ${id}: interval ${k} is ${word} but the promise is not burned and settled`);
      }
      if (!done && (settled || owner === ZERO_ADDRESS)) {
        out.push(`promise ${id}: settled or burned before its interval ${k} settled`);
      }
      if (state.get(marketKeys.promise(id).deliveredWh) > promiseEnergyWh(state, id)) {
        out.push(`promise ${id}: delivered more than its energy`);
      }
      if (st === INTERVAL_STATUS.failed && state.get(marketKeys.promise(id).deliveredWh) !== 0n) {
        out.push(`promise ${id}: interval ${k} failed but the promise delivered credits`);
      }
    }
    if (st === INTERVAL_STATUS.settled) {
      // Credits only for net local delivery: per seller party, delivered <= max(0, exported - imported)
      // over its readings (a missing reading counts as neither here; its estimate imported more).
      const deliveredBy = new Map<string, { owner: Address; bus: bigint; wh: bigint }>();
      for (const id of promises) {
        const wh = state.get(marketKeys.promise(id).deliveredWh);
        creditsExpected += wh;
        const o = marketView.order(state, promiseSellerOrder(state, id));
        if (o === undefined) continue;
        const key = `${o.owner}:${o.bus}`;
        const g = deliveredBy.get(key) ?? { owner: o.owner, bus: BigInt(o.bus), wh: 0n };
        g.wh += wh;
        deliveredBy.set(key, g);
      }
      for (const g of deliveredBy.values()) {
        let net = 0n;
        for (const m of registryView.metersAt(state, g.owner, g.bus)) {
          const r = readingView(state, m, k);
          if (r !== undefined) net += r.exportedWh - r.importedWh;
        }
        if (g.wh > maxBig(0n, net))
          out.push(`interval ${k}: ${g.owner} at bus ${g.bus} credited ${g.wh} Wh > net delivery ${net}`);
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
  // What the upstream could not pay of the rent is owed to the fund (debts.ts): held + owed = recorded.
  const fund =
    state.get(`${CASH_ADDRESS}:bal:${RENT_FUND_ADDRESS}`) + debtView.dueTo(state, RENT_FUND_ADDRESS);
  if (fund !== rentRecorded)
    out.push(`rent: the fund holds and is owed ${fund} but the intervals recorded ${rentRecorded}`);
  const credits = state.get(`${CREDITS_ADDRESS}:supply`);
  if (credits !== creditsExpected)
    out.push(`credits: supply ${credits} != delivered Wh of settled promises ${creditsExpected}`);
  // Debts: a record of money owed, never money itself: Σ debts = Σ dues = the recorded total, and each
  // debtor's claims add up to its debt (so balances + dues − debts still sum to the cash supply).
  const sum = (prefix: string) => state.entriesWithPrefix(prefix).reduce((a, [, v]) => a + v, 0n);
  const debts = sum(`${MARKET_ADDRESS}:debt:`);
  const dues = sum(`${MARKET_ADDRESS}:due:`);
  const total = state.get(debtKeys.total);
  if (debts !== dues || debts !== total)
    out.push(`debts: Σ debts ${debts}, Σ dues ${dues}, recorded total ${total} differ`);
  return out;
}
