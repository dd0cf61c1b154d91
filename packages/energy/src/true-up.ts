// True-up: a reading that arrives after its interval was settled on an estimate, but before the
// true-up deadline (settlement deadline + trueUpDelayMs), settles the difference. The party's deviation
// moves by the reading minus the estimate it replaces (imported = capacity × interval, exported 0); the
// money moves by amount(new deviation) − amount(old deviation) at the band prices of the party's bus in
// that interval (stored forward and real-time prices). The non-reporting penalty stays; credits are not
// re-minted (the promises were burned at settlement). A flagged interval's payments are held as at
// settlement.
import type { Address, CallContext } from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';
import type { MarketConfig } from './config.ts';
import { BALANCE_FLAG } from './energy-balance.ts';
import { marketKeys } from './market-keys.ts';
import { bandPrices, deviationAmount } from './penalty-band.ts';
import { forwardPrice, realtimePrice, settleAmount } from './settlement.ts';
import { SETTLEMENT_EVENTS } from './settlement-events.ts';
import { decodeSigned, encodeSigned } from './words.ts';

/**
 * Trues up meter `meter` of owner `owner` at `bus` in settled interval `k` with its late reading.
 * The caller has checked that the meter's reading was estimated at settlement and the deadline.
 */
export function trueUp(
  ctx: CallContext,
  config: MarketConfig,
  k: bigint,
  m: { meter: bigint; owner: Address; bus: number },
  reading: { importedWh: bigint; exportedWh: bigint },
): void {
  const iv = marketKeys.interval(k);
  const estimatedImport = ctx.read(iv.estimatedImportWh(m.meter)) - 1n;
  const oldDev = decodeSigned(ctx.read(iv.deviationWh(m.owner, m.bus)));
  const newDev = oldDev + reading.exportedWh - reading.importedWh + estimatedImport;
  const band = bandPrices(
    forwardPrice(ctx.state, k, m.bus),
    realtimePrice(ctx.state, k, m.bus),
    config.imbalance.penaltyMicrosPerMWh,
  );
  const amount = deviationAmount(newDev, band) - deviationAmount(oldDev, band);
  ctx.write(iv.deviationWh(m.owner, m.bus), encodeSigned(newDev));
  const flagged = ctx.read(iv.flagged) === BALANCE_FLAG.held;
  settleAmount(ctx, config, k, m.owner, amount, { leftMicros: 0n }, flagged);
  ctx.emit(MARKET_ADDRESS, SETTLEMENT_EVENTS.trueUp, {
    interval: k,
    party: m.owner,
    bus: BigInt(m.bus),
    deviationWh: newDev,
    amount,
  });
}
