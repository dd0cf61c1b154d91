// Settlement of one cleared interval (called by the begin-block step once all expected readings are in
// or the deadline has passed; a missing reading counts as zero). Per party (owner at a bus, over all its
// cleared orders there; meters of that owner at that bus summed):
//   delivered  = min(sold Wh, metered export Wh), shared among the party's promises pro rata to their Wh
//                (shareProRata: floors, then the largest remainders, ties to the lower token id), minted as
//                credits (ERC-20, Wh) to each promise's holder; every promise of the interval is burned
//                (its attributes are kept as the record); upstream-sold promises deliver no credits;
//   imbalance  = (export - import) - (sold - bought) Wh. Negative: the party pays
//                ceil(|imbalance| · shortfall price / 10^6) to the grid operator, from its sell collateral,
//                then its cash balance; what it cannot pay is a PaymentFailed event. Positive: the grid
//                operator pays floor(imbalance · surplus price / 10^6), or, when its balance cannot cover
//                it, pays nothing and a PaymentFailed event says why. Money is only ever moved, never made.
// Remaining collateral is released to the party. Then the digital twin: the DC flows of the metered
// injections (upstream balancing at its bus) are stored per branch, with a FlowDeviation event where they
// differ from the cleared flows or break a limit.
import { mwToW, WH_PER_MWH, whToMw } from '@gridledger/base';
import {
  type Address,
  CASH_ADDRESS,
  CallContext,
  CREDITS_ADDRESS,
  Erc20Module,
  Erc721Module,
  GasMeter,
  type JournaledState,
  type Log,
  type ModuleRegistry,
  PROMISES_ADDRESS,
} from '@gridledger/execution';
import { solveDcPowerFlow } from '@gridledger/grid';
import { MARKET_ADDRESS } from './addresses.ts';
import { intervalMinutes, type MarketConfig } from './config.ts';
import { MARKET_EVENTS, marketView } from './market.ts';
import { INTERVAL_STATUS, marketKeys, ORDER_STATUS } from './market-keys.ts';
import { readingView } from './meters.ts';
import { promiseEnergyWh, promiseSellerOrder } from './promise-record.ts';
import { registryView } from './registry.ts';
import { shareProRata } from './trades.ts';
import { decodeSigned, encodeSigned, minBig, type StateReader } from './words.ts';

/** One party's position and metered energy in an interval. */
export interface PartyPosition {
  owner: Address;
  bus: number;
  soldWh: bigint;
  boughtWh: bigint;
  importedWh: bigint;
  exportedWh: bigint;
  /** Ids of its cleared sell orders. */
  sellOrders: bigint[];
}

/** Positions of every party with a cleared order in interval `k`, sorted by owner then bus. */
export function partyPositions(state: StateReader, k: bigint): PartyPosition[] {
  const groups = new Map<string, PartyPosition>();
  for (const o of marketView.ordersOf(state, k)) {
    if (o.status !== ORDER_STATUS.cleared) continue;
    const key = `${o.owner}:${o.bus}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        owner: o.owner,
        bus: o.bus,
        soldWh: 0n,
        boughtWh: 0n,
        importedWh: 0n,
        exportedWh: 0n,
        sellOrders: [],
      };
      for (const m of registryView.metersAt(state, o.owner, o.bus)) {
        const r = readingView(state, m, k);
        if (r !== undefined) {
          g.importedWh += r.importedWh;
          g.exportedWh += r.exportedWh;
        }
      }
      groups.set(key, g);
    }
    if (o.side === 'sell') {
      g.soldWh += o.clearedWh;
      g.sellOrders.push(o.id);
    } else g.boughtWh += o.clearedWh;
  }
  return [...groups.values()].sort((a, b) =>
    a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : a.bus - b.bus,
  );
}

/** Settles interval `k` into `state`; returns the logs. */
export function settleInterval(
  state: JournaledState,
  modules: ModuleRegistry,
  config: MarketConfig,
  env: { height: bigint; timeMs: bigint },
  k: bigint,
): Log[] {
  const ctx = new CallContext(state, new GasMeter(1n << 62n), { sender: MARKET_ADDRESS, ...env }, modules);
  const cash = modules.require(CASH_ADDRESS, Erc20Module);
  const credits = modules.require(CREDITS_ADDRESS, Erc20Module);
  const nft = modules.require(PROMISES_ADDRESS, Erc721Module);
  const iv = marketKeys.interval(k);
  const positions = partyPositions(state, k);
  const partyOfOrder = new Map<bigint, PartyPosition>();
  for (const p of positions) for (const id of p.sellOrders) partyOfOrder.set(id, p);

  // Credits: per seller party, its delivery shared among its promises.
  const promiseIds = marketView.promisesOf(state, k).sort((a, b) => (a < b ? -1 : 1));
  const byParty = new Map<PartyPosition | undefined, bigint[]>();
  for (const id of promiseIds) {
    const p = partyOfOrder.get(promiseSellerOrder(state, id));
    let list = byParty.get(p);
    if (list === undefined) byParty.set(p, (list = []));
    list.push(id);
  }
  let creditsWh = 0n;
  for (const [party, ids] of byParty) {
    const delivered = party === undefined ? 0n : minBig(party.exportedWh, party.soldWh);
    const shares = shareProRata(
      delivered,
      ids.map((id) => promiseEnergyWh(state, id)),
    );
    ids.forEach((id, i) => {
      const holder = nft.ownerOf(state, id);
      const wh = shares[i]!;
      if (wh > 0n) credits.mintInternal(ctx, holder, wh);
      creditsWh += wh;
      nft.burnInternal(ctx, id);
      ctx.write(marketKeys.promise(id).settled, 1n);
      ctx.write(marketKeys.promise(id).deliveredWh, wh);
      ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.promiseSettled, { promiseId: id, holder, deliveredWh: wh });
    });
  }

  // Imbalances against the grid operator; collateral released.
  const go = config.gridOperator;
  for (const p of positions) {
    let collateral = 0n;
    for (const id of p.sellOrders) {
      collateral += state.get(marketKeys.order(id).escrow);
      ctx.write(marketKeys.order(id).escrow, 0n);
    }
    const imbalance = p.exportedWh - p.importedWh - (p.soldWh - p.boughtWh);
    let amount = 0n;
    if (imbalance < 0n) {
      const owe = (-imbalance * config.imbalance.shortfallPriceMicrosPerMWh + WH_PER_MWH - 1n) / WH_PER_MWH;
      const fromCollateral = minBig(owe, collateral);
      if (fromCollateral > 0n) cash.transfer(ctx, MARKET_ADDRESS, go, fromCollateral);
      collateral -= fromCollateral;
      const rest = owe - fromCollateral;
      const bal = cash.balanceOf(state, p.owner);
      const fromBalance = minBig(rest, bal);
      if (fromBalance > 0n) cash.transfer(ctx, p.owner, go, fromBalance);
      if (fromBalance < rest) {
        ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.paymentFailed, {
          interval: k,
          from: p.owner,
          to: go,
          amount: rest - fromBalance,
          reason: `imbalance charge of ${owe} exceeds collateral and balance by ${rest - fromBalance}`,
        });
      }
      amount = -(fromCollateral + fromBalance);
    } else if (imbalance > 0n) {
      const due = (imbalance * config.imbalance.surplusPriceMicrosPerMWh) / WH_PER_MWH;
      const bal = cash.balanceOf(state, go);
      if (due > bal) {
        ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.paymentFailed, {
          interval: k,
          from: go,
          to: p.owner,
          amount: due,
          reason: `grid operator balance ${bal} cannot cover the imbalance payment ${due}`,
        });
      } else if (due > 0n) {
        cash.transfer(ctx, go, p.owner, due);
        amount = due;
      }
    }
    if (collateral > 0n) cash.transfer(ctx, MARKET_ADDRESS, p.owner, collateral);
    ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.imbalance, {
      interval: k,
      party: p.owner,
      bus: BigInt(p.bus),
      imbalanceWh: imbalance,
      amount,
    });
  }
  recordActualFlows(ctx, config, k, positions);
  ctx.write(iv.status, INTERVAL_STATUS.settled);
  ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.intervalSettled, {
    interval: k,
    creditsWh,
    promises: BigInt(promiseIds.length),
  });
  return ctx.logs;
}

/** A flow deviation is reported when |actual - cleared| exceeds this many W (or the limit is broken). */
export const FLOW_DEVIATION_W = 1_000n;

/**
 * The metered net injection of each cleared party's bus, MW over the interval ((export - import) Wh),
 * with the upstream connection balancing the total at its bus (a missing reading counts as zero; meters
 * of parties without cleared orders are not counted).
 */
export function meteredInjectionsMw(
  config: MarketConfig,
  positions: readonly PartyPosition[],
): Map<number, number> {
  const minutes = intervalMinutes(config);
  const wh = new Map<number, bigint>();
  let total = 0n;
  for (const p of positions) {
    const x = p.exportedWh - p.importedWh;
    wh.set(p.bus, (wh.get(p.bus) ?? 0n) + x);
    total += x;
  }
  wh.set(config.upstream.bus, (wh.get(config.upstream.bus) ?? 0n) - total);
  return new Map([...wh].map(([b, x]) => [b, whToMw(x, minutes)]));
}

/**
 * The digital twin: DC power flow of the metered injections on the registered network with the limits
 * in force; stores each branch's actual flow (W) and emits FlowDeviation where it differs from the cleared
 * flow by more than FLOW_DEVIATION_W or breaks the branch's limit.
 */
function recordActualFlows(
  ctx: CallContext,
  config: MarketConfig,
  k: bigint,
  positions: readonly PartyPosition[],
): void {
  const json = registryView.network(ctx.state);
  if (json === undefined) return;
  const net = registryView.engineNetwork(ctx.state, json);
  const inj = meteredInjectionsMw(config, positions);
  for (const b of net.buses) b.pdMw = -(inj.get(b.id) ?? 0);
  const pf = solveDcPowerFlow(net, []);
  const iv = marketKeys.interval(k);
  net.branches.forEach((br, i) => {
    const actual = mwToW(pf.flowMw[i]!);
    ctx.write(iv.actualFlowW(br.index), encodeSigned(actual));
    const cleared = decodeSigned(ctx.state.get(iv.flowW(br.index)));
    const limitW = mwToW(br.rateAMw);
    const abs = (x: bigint) => (x < 0n ? -x : x);
    const overLimit = limitW > 0n && abs(actual) > limitW;
    if (overLimit || abs(actual - cleared) > FLOW_DEVIATION_W) {
      ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.flowDeviation, {
        interval: k,
        branch: BigInt(br.index),
        clearedFlowW: cleared,
        actualFlowW: actual,
        limitW,
        overLimit,
      });
    }
  });
}

/** True when interval `k` can be settled at block time `timeMs`: cleared, and all readings in or past the deadline. */
export function readyToSettle(state: StateReader, deadline: bigint, timeMs: bigint, k: bigint): boolean {
  const iv = marketKeys.interval(k);
  const st = state.get(iv.status);
  if (st !== INTERVAL_STATUS.cleared) return false;
  if (timeMs >= deadline) return true;
  const expected = state.get(iv.expectedCount);
  return expected > 0n && state.get(iv.reportedCount) >= expected;
}

/** Congestion rent recorded for interval `k`, signed cash units. */
export const storedRent = (state: StateReader, k: bigint) =>
  decodeSigned(state.get(marketKeys.interval(k).rent));
