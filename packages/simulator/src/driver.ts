// runScenario: drives a scenario's devices against a running chain over JSON-RPC. It connects, runs the
// setup (registration.ts), then polls the market clock and runs each phase on what changed: orders before
// the gate (orders.ts), reveals after it on a market with sealed bids (sealed.ts), reading what cleared (cleared-reader.ts), metering and readings after the
// interval ends (readings.ts), and a report once it is settled (settlement-report.ts). Runs K intervals
// or until the AbortSignal; per-interval reports and progress go to callbacks; the state the phases share
// is a Simulation (simulation.ts). Invariants: invariants.ts.

import { type MarketClockView, sleep } from './chain.ts';
import { processCleared } from './cleared-reader.ts';
import { initialState } from './devices.ts';
import { INVARIANT_NAMES, type InvariantResults, InvariantTracker } from './invariants.ts';
import { startMetering } from './meter-only.ts';
import { placeOrders } from './orders.ts';
import { failGains, ProfitTracker, type StrategyResult } from './profit.ts';
import { deliverEnded, pollReadingReceipts, sendLate } from './readings.ts';
import { registerScenario } from './registration.ts';
import { type IntervalReport, type RunTotals, totalsOf } from './report.ts';
import { runAway } from './run-away.ts';
import { revealLoop, revealsDue } from './sealed.ts';
import { reportSettled } from './settlement-report.ts';
import { type RunScenarioOptions, Simulation } from './simulation.ts';

/** What {@link runScenario} returns. */
export interface RunResult {
  intervals: IntervalReport[];
  invariants: InvariantResults;
  /** Every invariant failure, described. */
  failures: string[];
  totals: RunTotals;
  /** The scenario's strategic participants: profit, the truthful twin's, the gain (after a done run). */
  strategies: StrategyResult[];
  /** Why the run ended: the K intervals are done, or the signal aborted. */
  stopped: 'done' | 'aborted';
}

/**
 * Runs a scenario against a chain whose genesis holds its market (see scenarioGenesis).
 * @example
 * const ac = new AbortController();
 * const r = await runScenario({ rpcUrls: ['http://127.0.0.1:26601'], scenario, keys, signal: ac.signal,
 *   onInterval: (rep) => console.log(rep.interval, rep.lmpMin, rep.lmpMax) });
 */
export async function runScenario(opts: RunScenarioOptions): Promise<RunResult> {
  const sim = new Simulation(opts);
  try {
    return await run(sim);
  } catch (err) {
    // Stopped during setup (or a request cut short by the signal): a stop, not a failure.
    if (!opts.signal?.aborted) throw err;
    return {
      intervals: sim.reports,
      invariants: Object.fromEntries(INVARIANT_NAMES.map((n) => [n, true])) as InvariantResults,
      failures: [],
      totals: totalsOf(sim.reports, sim.devices.length),
      strategies: [],
      stopped: 'aborted',
    };
  }
}

/** Connects, registers, runs the loop and checks the invariants. */
async function run(sim: Simulation): Promise<RunResult> {
  const clock = await sim.chain.connect();
  sim.config = clock.config;
  const ref = Number(
    (sim.config.upstream.importPriceMicrosPerMWh + sim.config.upstream.exportPriceMicrosPerMWh) / 2n,
  );
  for (const d of sim.devices) sim.states.push(initialState(d.spec, ref));
  await registerScenario(sim);
  sim.invariants = new InvariantTracker({
    chain: sim.chain,
    config: sim.config,
    devices: sim.devices,
    knownAccounts: [
      ...(sim.opts.knownAccounts ?? []),
      sim.admin.address,
      sim.operator.address,
      sim.submitter.address,
      sim.config.upstream.account,
    ],
    verifyClearing: sim.opts.verifyClearing ?? true,
  });
  await sim.invariants.start();
  sim.profit = new ProfitTracker(sim.chain, sim.devices, sim.opts.scenario.seed);
  await sim.profit.start();
  let stopped: 'done' | 'aborted';
  try {
    stopped = await loop(sim);
  } catch (err) {
    // A request cut short by the stop signal is a stop, not a failure.
    if (!sim.signal?.aborted) throw err;
    stopped = 'aborted';
  }
  // The whole-chain checks need a quiet chain and live nodes: only when the K intervals are done.
  let strategies: StrategyResult[] = [];
  if (stopped === 'done') {
    strategies = await sim.profit.finish();
    failGains(strategies, sim.invariants);
  }
  const final =
    stopped === 'done'
      ? await sim.invariants.finish(sim.reports.length > 0)
      : { results: { ...sim.invariants.ok }, failures: [...sim.invariants.failures] };
  return {
    intervals: sim.reports,
    invariants: final.results,
    failures: final.failures,
    totals: totalsOf(sim.reports, sim.devices.length),
    strategies,
    stopped,
  };
}

/** The main loop: poll the clock and act on what changed (reveals in a loop of their own beside it). */
async function loop(sim: Simulation): Promise<'done' | 'aborted'> {
  const poll = sim.opts.pollMs ?? 250;
  let stopped = false;
  const reveals = revealLoop(sim, poll, () => stopped);
  try {
    return await mainLoop(sim, poll);
  } finally {
    stopped = true;
    await reveals;
  }
}

async function mainLoop(sim: Simulation, poll: number): Promise<'done' | 'aborted'> {
  const target = sim.opts.intervals;
  for (;;) {
    if (sim.signal?.aborted) return 'aborted';
    let clock: MarketClockView;
    try {
      clock = await sim.chain.clock();
    } catch (err) {
      if (sim.signal?.aborted) return 'aborted';
      sim.emit({ type: 'warning', message: `clock: ${(err as Error).message}` });
      await sleep(1000, sim.signal);
      continue;
    }
    // Reading a clearing verifies it (a solve that holds the thread for seconds): not while reveals are due.
    if (!revealsDue(sim, clock)) await processCleared(sim, clock);
    await runAway(sim);
    startMetering(sim, clock);
    await placeOrders(sim, clock);
    await deliverEnded(sim, clock);
    await sendLate(sim, clock);
    await pollReadingReceipts(sim);
    await reportSettled(sim, clock);
    if (target !== undefined && sim.reports.length >= target) return 'done';
    await sleep(poll, sim.signal);
  }
}
