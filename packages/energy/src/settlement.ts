// The second settlement of one cleared interval (called by the begin-block step once every meter of the
// interval has reported or its deadline has passed). docs/market-rules.md §10a states the rules; here is
// the order every validator applies them in:
// 1. Positions (settlement-positions.ts): every party (owner at a bus) with a cleared order or a meter
//    of the interval; a missing reading is replaced by the adverse estimate (import = capacity ×
//    interval, export 0), recorded for a true-up, and charged the non-reporting penalty.
// 2. Real-time prices (realtime-prices.ts) from the metered net injections on the network the interval
//    cleared on (if the operator registered another network since, the forward prices stand in), stored
//    per bus.
// 3. Credits for net local delivery and promises burned, liquidated damages (settlement-credits.ts).
// 4. The energy-balance check against the upstream meter (energy-balance.ts).
// 5. Deviations (penalty-band.ts): deviation = metered net injection − cleared net position; a short
//    party pays the grid operator at max(λ_fwd, λ_rt) + δ (from its collateral, then cash, else a debt),
//    a long party is paid at min(λ_fwd, λ_rt) − δ by the grid operator (what it cannot pay it owes; held
//    when the interval is flagged). Receipts are netted against debts (debts.ts). Remaining collateral
//    is released (netted too).
// 6. The digital twin (digital-twin.ts): the market's model (DC, or AC for `pricing: 'ac'`) of the metered
//    injections, flows stored per branch, FlowDeviation events (DigitalTwinFailed when the AC flow has none).
import { whToMw } from '@gridledger/base';
import {
  type Address,
  CallContext,
  GasMeter,
  type JournaledState,
  type Log,
  type ModuleRegistry,
} from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';
import { clearedNetworkOf } from './cleared-network.ts';
import { type CollateralPool, chargeParty, payOrOwe } from './collateral.ts';
import { intervalMinutes, type MarketConfig } from './config.ts';
import { payNetOfDebts } from './debts.ts';
import { recordActualFlows } from './digital-twin.ts';
import { balanceMismatchWh, emitFlag, holdPayment, recordBalanceCheck } from './energy-balance.ts';
import { MARKET_EVENTS } from './market.ts';
import { INTERVAL_STATUS, marketKeys } from './market-keys.ts';
import { bandPrices, deviationAmount } from './penalty-band.ts';
import { type RealtimePricer, realtimePricerOf } from './realtime-prices.ts';
import { settleCredits } from './settlement-credits.ts';
import { SETTLEMENT_EVENTS } from './settlement-events.ts';
import { deviationWh, type PartyPosition, partyPositions } from './settlement-positions.ts';
import { tariffView } from './tariffs.ts';
import { decodeSigned, encodeSigned, type StateReader } from './words.ts';

export { type PartyPosition, partyPositions } from './settlement-positions.ts';

/**
 * Forward price at `bus` in interval `k`, µ$/MWh; an interval that had no orders (no forward market)
 * takes its real-time price.
 */
export const forwardPrice = (state: StateReader, k: bigint, bus: number) => {
  const iv = marketKeys.interval(k);
  return state.get(iv.clearedAtHeight) === 0n
    ? decodeSigned(state.get(iv.rtLmp(bus)))
    : decodeSigned(state.get(iv.lmp(bus)));
};
/** Real-time price at `bus` in settled interval `k`, µ$/MWh. */
export const realtimePrice = (state: StateReader, k: bigint, bus: number) =>
  decodeSigned(state.get(marketKeys.interval(k).rtLmp(bus)));

/**
 * Settles interval `k` into `state`; returns the logs. `pricer` computes the real-time prices (the
 * market's model by default: AC for `pricing: 'ac'`, else DC).
 */
export async function settleInterval(
  state: JournaledState,
  modules: ModuleRegistry,
  config: MarketConfig,
  env: { height: bigint; timeMs: bigint },
  k: bigint,
  pricer: RealtimePricer = realtimePricerOf(config),
): Promise<Log[]> {
  const ctx = new CallContext(state, new GasMeter(1n << 62n), { sender: MARKET_ADDRESS, ...env }, modules);
  const iv = marketKeys.interval(k);
  const go = config.gridOperator;
  const positions = partyPositions(state, config, k);

  // Collateral of each party: the escrow left on its cleared orders.
  const pools = new Map<PartyPosition, CollateralPool>();
  for (const p of positions) {
    let left = 0n;
    for (const id of [...p.sellOrders, ...p.buyOrders]) {
      left += state.get(marketKeys.order(id).escrow);
      ctx.write(marketKeys.order(id).escrow, 0n);
    }
    pools.set(p, { leftMicros: left });
  }

  // 1. Estimates and the non-reporting penalty.
  for (const p of positions) {
    for (const m of p.missing) {
      ctx.write(iv.estimatedImportWh(m.meter), m.estimatedImportWh + 1n);
      const penalty = config.imbalance.nonReportingPenaltyMicros;
      chargeParty(ctx, {
        payer: p.owner,
        payee: go,
        amount: penalty,
        pool: pools.get(p)!,
        interval: k,
        reason: `no reading of meter ${m.meter}`,
      });
      ctx.emit(MARKET_ADDRESS, SETTLEMENT_EVENTS.estimated, {
        interval: k,
        meter: m.meter,
        importedWh: m.estimatedImportWh,
        penalty,
      });
    }
  }

  // 2. Real-time prices.
  const rt = await realtimePrices(state, config, k, positions, pricer);
  for (const b of clearedNetworkOf(state, k)?.buses ?? []) {
    const price = rt?.prices.get(b.id) ?? decodeSigned(state.get(iv.lmp(b.id)));
    ctx.write(iv.rtLmp(b.id), encodeSigned(price));
  }
  ctx.write(iv.rtPriced, rt === undefined ? 0n : 1n);

  // 3. Credits, promises, liquidated damages.
  const { creditsWh, promises } = settleCredits(ctx, config, k, positions, pools);

  // 4. Energy balance.
  const mismatch = balanceMismatchWh(state, config, k, positions, rt?.lossesWh ?? 0n);
  const flagged = recordBalanceCheck(ctx, config, k, mismatch);

  // 5. Deviations, then collateral released.
  for (const p of positions) {
    const dev = deviationWh(p);
    ctx.write(iv.deviationWh(p.owner, p.bus), encodeSigned(dev));
    const band = bandPrices(
      forwardPrice(state, k, p.bus),
      realtimePrice(state, k, p.bus),
      config.imbalance.penaltyMicrosPerMWh,
    );
    const amount = deviationAmount(dev, band);
    settleAmount(ctx, config, k, p.owner, amount, pools.get(p)!, flagged);
    const left = pools.get(p)!.leftMicros;
    if (left > 0n) payNetOfDebts(ctx, MARKET_ADDRESS, p.owner, left);
    ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.imbalance, {
      interval: k,
      party: p.owner,
      bus: BigInt(p.bus),
      imbalanceWh: dev,
      amount,
    });
  }
  if (flagged) emitFlag(ctx, k, mismatch!);

  // 6. Digital twin.
  recordActualFlows(ctx, config, k, positions);
  ctx.write(iv.status, INTERVAL_STATUS.settled);
  ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.intervalSettled, {
    interval: k,
    creditsWh,
    promises: BigInt(promises),
  });
  return ctx.logs;
}

/**
 * Moves a settlement amount between a party and the grid operator: negative, the party pays (collateral,
 * cash, else a debt); positive, the operator pays (what it cannot, it owes), or holds it when the
 * interval's energy balance is flagged.
 */
export function settleAmount(
  ctx: CallContext,
  config: MarketConfig,
  k: bigint,
  party: Address,
  amount: bigint,
  pool: CollateralPool,
  flagged: boolean,
): void {
  if (amount < 0n) {
    chargeParty(ctx, {
      payer: party,
      payee: config.gridOperator,
      amount: -amount,
      pool,
      interval: k,
      reason: 'imbalance charge',
    });
  } else if (amount > 0n) {
    if (flagged) holdPayment(ctx, k, party, amount);
    else
      payOrOwe(ctx, {
        payer: config.gridOperator,
        payee: party,
        amount,
        interval: k,
        reason: 'imbalance payment',
      });
  }
}

/**
 * The real-time prices of interval `k` on the network it cleared on (cleared-network.ts) and the model's
 * losses over the interval (Wh, rounded down; 0 for DC), or undefined when they cannot be computed (no
 * network, or the pricer failed): the forward prices then stand in.
 */
async function realtimePrices(
  state: StateReader,
  config: MarketConfig,
  k: bigint,
  positions: readonly PartyPosition[],
  pricer: RealtimePricer,
): Promise<{ prices: Map<number, bigint>; lossesWh: bigint } | undefined> {
  const network = clearedNetworkOf(state, k);
  if (network === undefined) return undefined;
  const minutes = intervalMinutes(config);
  const wh = new Map<number, bigint>();
  for (const p of positions) wh.set(p.bus, (wh.get(p.bus) ?? 0n) + p.exportedWh - p.importedWh);
  const injectionMw = new Map([...wh].map(([b, x]) => [b, whToMw(x, minutes)]));
  const r = await pricer({
    network,
    injectionMw,
    // The interval's upstream prices are its tariff (tariffs.ts), not the genesis constants.
    upstream: { bus: config.upstream.bus, ...tariffView.pricesAt(state, config, k) },
    priceCapMicrosPerMWh: config.imbalance.priceCapMicrosPerMWh,
    priceFloorMicrosPerMWh: config.imbalance.priceFloorMicrosPerMWh,
  });
  if (!r.ok) return undefined;
  const lossesWh = ((r.lossesW ?? 0n) * config.intervalMs) / 3_600_000n;
  return { prices: r.pricesMicrosPerMWh, lossesWh: lossesWh > 0n ? lossesWh : 0n };
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
