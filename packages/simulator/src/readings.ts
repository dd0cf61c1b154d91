// Metering: after each interval ends every device delivers (its state moves on), its meter signs what
// actually happened, and the readings go to the chain in submitReadings batches (devices that did not
// trade first; faulty meters' readings alone; late ones after the deadline; missing ones never); then
// the batches' receipts are collected.
import {
  deadlineMs,
  intervalEndMs,
  MAX_READINGS_PER_TX,
  METERS_ADDRESS,
  type Reading,
} from '@gridledger/energy';
import type { Hex } from 'viem';
import type { MarketClockView } from './chain.ts';
import { deliver, type IntervalContext } from './devices.ts';
import { encodeSubmitReadings } from './encode.ts';
import type { IntervalRun, ReadingTx } from './interval-run.ts';
import { signReading } from './signer.ts';
import type { Simulation } from './simulation.ts';
import { meterReport } from './strategies.ts';

/** Gas limit of a submitReadings transaction: generous over the measured ~28k per reading. */
const READINGS_GAS = (n: number) => 60_000n + 40_000n * BigInt(n);
/**
 * Readings per submitReadings transaction: 200 (about 58 kB) stays under the nodes' default 64 KiB
 * transaction limit (the module itself takes up to MAX_READINGS_PER_TX = 500).
 */
export const READINGS_PER_TX = Math.min(200, MAX_READINGS_PER_TX);

/** After each interval ends: every device delivers, meters sign, readings go in batches. */
export async function deliverEnded(sim: Simulation, clock: MarketClockView): Promise<void> {
  const runs = [...sim.runs.values()].sort((a, b) => (a.k < b.k ? -1 : 1));
  for (const run of runs) {
    if (run.delivered || run.cleared === undefined) continue;
    if (clock.marketTimeMs < intervalEndMs(sim.config, run.k)) return;
    const t0 = performance.now();
    const L = sim.config.intervalMs;
    const seed = sim.opts.scenario.seed;
    const normal: { device: number; reading: Reading; signature: Hex }[] = [];
    const faulty: { device: number; reading: Reading; signature: Hex }[] = [];
    sim.devices.forEach((d, i) => {
      const ctx: IntervalContext = {
        seed,
        interval: run.k,
        startMs: Number(run.k * L),
        minutes: Number(L / 60_000n),
        lastPriceMicrosPerMWh:
          run.lmpMicros?.get(d.spec.bus) === undefined ? undefined : Number(run.lmpMicros.get(d.spec.bus)),
      };
      const out = deliver(d.spec, sim.states[i]!, ctx, run.cleared!.get(i) ?? { boughtWh: 0n, soldWh: 0n });
      sim.states[i] = out.state;
      sim.profit.recordEnergy(i, run.k, out.metered);
      const report = meterReport(d, out.metered, ctx.minutes);
      if (report === undefined) return;
      const reading: Reading = { meter: d.meterId, interval: run.k, ...report.metered };
      run.metered.set(i, report.metered);
      const signature = signReading(report.key.privateKey, sim.config.chainId, reading);
      const item = { device: i, reading, signature };
      (report.route === 'late' ? run.late : report.route === 'alone' ? faulty : normal).push(item);
    });
    run.delivered = true;
    sim.lastDelivered = run.k;
    // Readings of devices that did not trade first: settlement may start once every cleared party
    // has reported, and a batch arriving after that would be rejected whole.
    const traded = (i: number) => {
      const c = run.cleared!.get(i);
      return c !== undefined && (c.boughtWh > 0n || c.soldWh > 0n);
    };
    normal.sort((a, b) => Number(traded(a.device)) - Number(traded(b.device)) || a.device - b.device);
    const batches: { items: typeof normal; kind: ReadingTx['kind'] }[] = [];
    for (let j = 0; j < normal.length; j += READINGS_PER_TX)
      batches.push({ items: normal.slice(j, j + READINGS_PER_TX), kind: 'normal' });
    for (const f of faulty) batches.push({ items: [f], kind: 'faulty' });
    await sendReadings(sim, run, batches);
    sim.emit({
      type: 'readings',
      interval: run.k.toString(),
      readings: normal.length + faulty.length,
      transactions: batches.length,
      ms: Math.round(performance.now() - t0),
    });
  }
}

async function sendReadings(
  sim: Simulation,
  run: IntervalRun,
  batches: { items: { device: number; reading: Reading; signature: Hex }[]; kind: ReadingTx['kind'] }[],
) {
  if (batches.length === 0) return;
  const sent = await sim.chain.send(
    batches.map((b) => ({
      key: sim.submitter,
      call: {
        to: METERS_ADDRESS,
        data: encodeSubmitReadings(
          b.items.map((x) => x.reading),
          b.items.map((x) => x.signature),
        ),
      },
      gas: READINGS_GAS(b.items.length),
    })),
  );
  sent.forEach((s, j) => {
    const b = batches[j]!;
    run.readingTxs.push({
      sent: s,
      kind: b.kind,
      readings: b.items.map((x) => ({ device: x.device, reading: x.reading })),
      ...(s.rejected !== undefined
        ? {
            receipt: {
              status: 'reverted' as const,
              blockNumber: 0n,
              gasUsed: 0n,
              reason: `rejected: ${s.rejected}`,
              logs: [],
            },
          }
        : {}),
    });
  });
}

/** Late meters report after their interval's deadline (the chain must reject them). */
export async function sendLate(sim: Simulation, clock: MarketClockView): Promise<void> {
  for (const run of sim.runs.values()) {
    if (!run.delivered || run.lateSent) continue;
    if (clock.marketTimeMs < deadlineMs(sim.config, run.k)) continue;
    run.lateSent = true;
    const batches = [];
    for (let j = 0; j < run.late.length; j += READINGS_PER_TX)
      batches.push({ items: run.late.slice(j, j + READINGS_PER_TX), kind: 'late' as const });
    await sendReadings(sim, run, batches);
  }
}

/** Collects the receipts of readings transactions that have none yet. */
export async function pollReadingReceipts(sim: Simulation): Promise<void> {
  const open: ReadingTx[] = [];
  for (const run of sim.runs.values()) for (const t of run.readingTxs) if (!t.receipt) open.push(t);
  if (open.length === 0) return;
  const rs = await sim.chain.receipts(open.map((t) => t.sent.hash));
  rs.forEach((r, i) => {
    if (r !== undefined) open[i]!.receipt = r;
  });
}
