// The report of each settled interval: once the chain has settled it and every readings transaction has a
// receipt, the readings accepted and rejected, the credits minted (IntervalSettled), the metered delivery
// and the settlement invariants; then the interval's bookkeeping is dropped.
import { MARKET_ABI, MARKET_ADDRESS } from '@gridledger/energy';
import { decodeEventLog, type Hex, toEventSelector } from 'viem';
import type { MarketClockView } from './chain.ts';
import type { IntervalReport } from './report.ts';
import type { Simulation } from './simulation.ts';

const INTERVAL_SETTLED = toEventSelector(
  MARKET_ABI.find((x) => x.type === 'event' && x.name === 'IntervalSettled')!,
);

/** Reports every settled interval whose readings all have receipts. */
export async function reportSettled(sim: Simulation, clock: MarketClockView): Promise<void> {
  const runs = [...sim.runs.values()].sort((a, b) => (a.k < b.k ? -1 : 1));
  for (const run of runs) {
    if (run.reported || run.partial === undefined) continue;
    if (clock.settleNext <= run.k) return;
    if (!run.delivered) return; // settled before the driver delivered (it fell behind): deliver first
    if (run.late.length > 0 && !run.lateSent) return;
    if (run.readingTxs.some((t) => !t.receipt)) return;
    if (run.meterOnly) {
      run.reported = true;
      continue;
    }
    const logs = await sim.chain.logs(
      MARKET_ADDRESS,
      [INTERVAL_SETTLED, `0x${run.k.toString(16).padStart(64, '0')}` as Hex],
      run.clearedBlock ?? 1n,
      clock.blockNumber,
    );
    // The clock may run a moment ahead of the node's log index: look again on the next tick.
    if (
      logs.length === 0 &&
      run.status !== 'failed' &&
      run.partial.ordersPlaced > 0 &&
      (run.settleLookups = (run.settleLookups ?? 0) + 1) < 40
    )
      return;
    let accepted = 0;
    let rejected = 0;
    let meteredDeliveredWh = 0n;
    const reasons = new Map<string, number>();
    for (const t of run.readingTxs) {
      if (t.receipt!.status === 'success') {
        accepted += t.readings.length;
        for (const r of t.readings) {
          if ((run.cleared!.get(r.device)?.soldWh ?? 0n) > 0n) meteredDeliveredWh += r.reading.exportedWh;
        }
      } else {
        rejected += t.readings.length;
        const why = `${t.kind}: ${t.receipt!.reason ?? 'reverted'}`.slice(0, 120);
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
        if (t.kind === 'normal')
          sim.emit({
            type: 'warning',
            message: `interval ${run.k}: a batch of readings was rejected: ${why}`,
          });
      }
    }
    let credits = 0n;
    for (const l of logs) {
      const ev = decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [Hex, ...Hex[]], data: l.data });
      if (ev.eventName === 'IntervalSettled') credits += (ev.args as { creditsWh: bigint }).creditsWh;
    }
    const failures = await sim.invariants.checkSettled(run.k, {
      cleared: run.cleared!,
      creditsFromLog: credits,
      settledLogSeen: logs.length > 0 || run.status === 'failed' || run.partial.ordersPlaced === 0,
      fromBlock: run.clearedBlock ?? 1n,
    });
    const report: IntervalReport = {
      ...run.partial,
      status: run.status === 'failed' ? 'failed' : 'settled',
      readingsAccepted: accepted,
      readingsRejected: rejected,
      creditsMintedWh: Number(credits),
      meteredDeliveredWh: Number(meteredDeliveredWh),
      invariantFailures: failures,
    };
    run.reported = true;
    sim.reports.push(report);
    sim.emit({ type: 'settled', report });
    try {
      sim.opts.onInterval?.(report);
    } catch (err) {
      sim.emit({ type: 'warning', message: `onInterval threw: ${(err as Error).message}` });
    }
    // Forget what later intervals no longer need.
    run.planned.clear();
    run.orderTxs = [];
    run.readingTxs = [];
    run.late = [];
    for (const old of sim.runs.keys()) if (old < run.k - 1n) sim.runs.delete(old);
    if (sim.opts.intervals !== undefined && sim.reports.length >= sim.opts.intervals) return;
  }
}
