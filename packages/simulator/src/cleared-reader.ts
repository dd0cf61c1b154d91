// Reading each interval's clearing once the chain has cleared it: what each device bought and sold, the
// LMPs, the congestion rent and promises (the report's first half), the failure reason of a failed
// clearing, and why some of the devices' orders are not on chain.
import { MARKET_ABI, MARKET_ADDRESS } from '@gridledger/energy';
import { decodeEventLog, type Hex, toEventSelector } from 'viem';
import type { MarketClockView } from './chain.ts';
import type { Cleared } from './devices.ts';
import { type IntervalRun, plannedCountOf } from './interval-run.ts';
import type { Simulation } from './simulation.ts';

const INTERVAL_CLEARED = toEventSelector(
  MARKET_ABI.find((x) => x.type === 'event' && x.name === 'IntervalCleared')!,
);

const dollars = (micros: bigint) => Number(micros) / 1e6;
const usdPerMWh = (microsPerMWh: bigint) => Number(microsPerMWh) / 1e6;

/** Reads the clearing of every run interval that the chain has cleared. */
export async function processCleared(sim: Simulation, clock: MarketClockView): Promise<void> {
  for (const run of sim.runs.values()) {
    if (run.cleared !== undefined || clock.clearNext <= run.k) continue;
    const iv = await sim.chain.main.interval(run.k);
    const orders = await sim.chain.main.orders(run.k);
    const cleared = new Map<number, Cleared>();
    let soldWh = 0n;
    let ours = 0;
    for (const o of orders) {
      if (o.kind !== 'order' || o.status === 'cancelled') continue;
      const wh = BigInt(o.clearedWh);
      if (o.side === 'sell') soldWh += wh;
      const i = sim.byAddress.get(o.owner);
      if (i === undefined) continue;
      ours++;
      const c = cleared.get(i) ?? { boughtWh: 0n, soldWh: 0n };
      if (o.side === 'buy') c.boughtWh += wh;
      else c.soldWh += wh;
      cleared.set(i, c);
    }
    if (ours < plannedCountOf(run)) await explainMissingOrders(sim, run, ours);
    const lmp = new Map<number, bigint>();
    for (const [bus, v] of Object.entries(iv.lmpMicrosPerMWh ?? {})) lmp.set(Number(bus), BigInt(v));
    const prices = [...lmp.values()].map(usdPerMWh);
    const plannedCount = plannedCountOf(run);
    run.cleared = cleared;
    run.lmpMicros = lmp;
    run.clearedBlock = clock.blockNumber;
    run.status = iv.status;
    run.partial = {
      interval: run.k.toString(),
      startIso: new Date(Number(iv.startMs)).toISOString(),
      status: iv.status === 'failed' ? 'failed' : 'cleared',
      ordersPlaced: orders.filter((o) => o.kind === 'order' && o.status !== 'cancelled').length,
      ordersRejected: Math.max(0, plannedCount - ours),
      clearedWh: Number(soldWh + BigInt(iv.upstream.soldWh)),
      lmpMin: prices.length === 0 ? 0 : Math.min(...prices),
      lmpMax: prices.length === 0 ? 0 : Math.max(...prices),
      lmpByBus: Object.fromEntries([...lmp].map(([b, v]) => [String(b), usdPerMWh(v)])),
      congestionRent: dollars(BigInt(iv.congestionRent)),
      promisesMinted: iv.promises.length,
      upstreamSoldWh: Number(iv.upstream.soldWh),
      upstreamBoughtWh: Number(iv.upstream.boughtWh),
    };
    if (iv.status === 'failed') {
      const logs = await sim.chain.logs(
        MARKET_ADDRESS,
        [INTERVAL_CLEARED, `0x${run.k.toString(16).padStart(64, '0')}` as Hex],
        clock.blockNumber > 50n ? clock.blockNumber - 50n : 1n,
        clock.blockNumber,
      );
      const reason = logs
        .map((l) => decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [Hex, ...Hex[]], data: l.data }))
        .map((e) => (e.args as { reason?: string }).reason)
        .find((r) => r !== undefined);
      run.failReason = reason ?? 'unknown';
      sim.emit({ type: 'warning', message: `interval ${run.k}: the clearing failed: ${run.failReason}` });
    }
    sim.emit({
      type: 'cleared',
      interval: run.k.toString(),
      status: iv.status,
      lmpMin: run.partial.lmpMin,
      lmpMax: run.partial.lmpMax,
      promises: iv.promises.length,
    });
    await sim.invariants.checkCleared(run.k);
  }
}

/** Says why some of the devices' orders for an interval are not on chain (a sample of receipts). */
async function explainMissingOrders(sim: Simulation, run: IntervalRun, onChain: number): Promise<void> {
  const sample = run.orderTxs.filter((t) => t.rejected === undefined).slice(-2000);
  const rs = await sim.chain.receipts(sample.map((t) => t.hash));
  const why = new Map<string, number>();
  rs.forEach((r) => {
    const k = r === undefined ? 'not in any block' : r.status === 'success' ? '' : (r.reason ?? 'reverted');
    if (k !== '') why.set(k.slice(0, 160), (why.get(k.slice(0, 160)) ?? 0) + 1);
  });
  const rejected = run.orderTxs.filter((t) => t.rejected !== undefined);
  if (rejected.length > 0) why.set(`rejected at submission: ${rejected[0]!.rejected}`, rejected.length);
  sim.emit({
    type: 'warning',
    message: `interval ${run.k}: ${plannedCountOf(run) - onChain} of the devices' ${plannedCountOf(run)} orders are not on chain: ${[...why].map(([w, n]) => `${n}× ${w}`).join('; ')}`,
  });
}
