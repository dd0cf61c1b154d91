// The per-interval energy-balance check: what the participants' meters say was injected, plus what the
// upstream connection's own meter says came in, minus the modelled losses (none in the DC model; with AC
// prices the real-time AC-OPF's losses at the metered state, realtime-prices.ts) must be
// zero. A meter inflated within its capacity (a compromised key) passes every bound, but not this: the
// feeder cannot export energy its connection never saw. A mismatch above the tolerance (participants
// claiming more net injection than physically balanced) flags the interval, and the payments to the
// section's long parties (today one section: the feeder behind the upstream connection) are held until
// the grid operator resolves them: `resolveEnergyBalance(interval, release)` on the meters module pays
// them (release) or cancels them (the readings are judged false).
import { type Address, addressToValue, type CallContext, valueToAddress } from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';
import { payOrOwe } from './collateral.ts';
import type { MarketConfig } from './config.ts';
import { marketKeys } from './market-keys.ts';
import { readingView } from './reading-store.ts';
import { SETTLEMENT_EVENTS } from './settlement-events.ts';
import type { PartyPosition } from './settlement-positions.ts';
import type { StateReader } from './words.ts';
import { encodeSigned } from './words.ts';

/** Interval flag values (market-keys `flagged`). */
export const BALANCE_FLAG = { held: 1n, released: 2n, cancelled: 3n } as const;

/**
 * The mismatch of interval `k`, Wh: Σ parties' (exported − imported) + the upstream meter's
 * (exported − imported) − `lossesWh` (0, DC; the real-time AC model's losses with AC prices). Undefined
 * when the upstream has no meter or it did not report.
 * Missing participant readings count as their adverse estimates (which can only lower the mismatch).
 */
export function balanceMismatchWh(
  state: StateReader,
  config: MarketConfig,
  k: bigint,
  positions: readonly PartyPosition[],
  lossesWh = 0n,
): bigint | undefined {
  if (config.upstream.meter === undefined) return undefined;
  const up = readingView(state, config.upstream.meter, k);
  if (up === undefined) return undefined;
  let total = up.exportedWh - up.importedWh - lossesWh;
  for (const p of positions) total += p.exportedWh - p.importedWh;
  return total;
}

/** Records the check of interval `k`; true when it is flagged (payments to long parties are then held). */
export function recordBalanceCheck(
  ctx: CallContext,
  config: MarketConfig,
  k: bigint,
  mismatch: bigint | undefined,
) {
  if (mismatch === undefined) return false;
  const iv = marketKeys.interval(k);
  ctx.write(iv.balanceMismatchWh, encodeSigned(mismatch));
  if (mismatch <= config.imbalance.balanceToleranceWh) return false;
  ctx.write(iv.flagged, BALANCE_FLAG.held);
  return true;
}

/** Holds a payment of `amount` µ$ to `to` in flagged interval `k`. */
export function holdPayment(ctx: CallContext, k: bigint, to: Address, amount: bigint): void {
  const iv = marketKeys.interval(k);
  const n = ctx.read(iv.heldCount);
  ctx.write(iv.heldTo(n), addressToValue(to));
  ctx.write(iv.heldAmount(n), amount);
  ctx.write(iv.heldCount, n + 1n);
}

/** Emits the flag event once the held payments are known. */
export function emitFlag(ctx: CallContext, k: bigint, mismatch: bigint): void {
  const iv = marketKeys.interval(k);
  let held = 0n;
  for (let i = 0n; i < ctx.read(iv.heldCount); i++) held += ctx.read(iv.heldAmount(i));
  ctx.emit(MARKET_ADDRESS, SETTLEMENT_EVENTS.flagged, {
    interval: k,
    mismatchWh: mismatch,
    heldPayments: held,
  });
}

/**
 * Resolves flagged interval `k`: pays the held payments from the grid operator (what it cannot pay it
 * owes) or cancels them. Returns the total. The caller checks the operator's role and the flag.
 */
export function resolveHeld(ctx: CallContext, config: MarketConfig, k: bigint, release: boolean): bigint {
  const iv = marketKeys.interval(k);
  let total = 0n;
  for (let i = 0n; i < ctx.read(iv.heldCount); i++) {
    const to = valueToAddress(ctx.read(iv.heldTo(i)));
    const amount = ctx.read(iv.heldAmount(i));
    total += amount;
    if (release)
      payOrOwe(ctx, {
        payer: config.gridOperator,
        payee: to,
        amount,
        interval: k,
        reason: 'held imbalance payment released',
      });
  }
  ctx.write(iv.flagged, release ? BALANCE_FLAG.released : BALANCE_FLAG.cancelled);
  ctx.emit(MARKET_ADDRESS, SETTLEMENT_EVENTS.resolved, { interval: k, released: release, amount: total });
  return total;
}
