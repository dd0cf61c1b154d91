// Meters report every interval, traded or not: every registered meter is settled every interval (a
// missing reading is estimated against its owner), so when the devices start trading, the intervals
// from the first one not yet settled up to the last one before their first order are run as
// meter-only intervals: nothing is ordered, the devices deliver and their meters report as usual, and
// no interval report is made for them.
import type { MarketClockView } from './chain.ts';
import type { Simulation } from './simulation.ts';

/** Before the devices' first orders: adds a meter-only run for each unsettled interval up to the open one. */
export function startMetering(sim: Simulation, clock: MarketClockView): void {
  if (sim.nextOrder >= 0n) return;
  for (let k = clock.settleNext; k <= clock.openInterval; k++) {
    if (sim.runs.has(k)) continue;
    sim.runs.set(k, {
      k,
      meterOnly: true,
      planned: new Map(),
      orderTxs: [],
      ordersSent: 0,
      ordersRejectedAtSubmit: 0,
      delivered: false,
      metered: new Map(),
      late: [],
      lateSent: false,
      readingTxs: [],
      reported: false,
    });
  }
}
