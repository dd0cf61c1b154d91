// The state one scenario run shares between its phases (registration, orders, clearing reads, readings,
// settlement reports): the chain connection, the device population and states, the keys, the intervals
// in flight and the reports so far; and the run's options (RunScenarioOptions).
import type { MarketConfig } from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import type { Hex } from 'viem';
import { ChainClient } from './chain.ts';
import type { DeviceState } from './devices.ts';
import type { IntervalRun } from './interval-run.ts';
import type { InvariantTracker } from './invariants.ts';
import { buildPopulation, type SimDevice } from './population.ts';
import type { ProfitTracker } from './profit.ts';
import type { IntervalReport, SimEvent } from './report.ts';
import type { Scenario } from './scenario.ts';
import { type KeyPair, keyFromPrivate } from './signer.ts';

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** JSON-RPC URLs of the chain's nodes (the first also serves the clock, views and receipts). */
  rpcUrls: readonly string[];
  scenario: Scenario;
  /** Private keys of the dev admin (registers participants), grid operator (network, meters) and a submitter of readings. */
  keys: { admin: Hex; gridOperator: Hex; submitter: Hex };
  /** Stop after this many intervals are cleared and settled (default: run until the signal aborts). */
  intervals?: number;
  signal?: AbortSignal;
  /** Called with each interval's report once it is settled. */
  onInterval?: (report: IntervalReport) => void;
  /** Progress events. */
  onEvent?: (event: SimEvent) => void;
  /** Genesis accounts whose cash counts in the balance invariant (the devices and the three keys are added). */
  knownAccounts?: readonly Address[];
  /** Re-clear every interval off-chain and compare with the stored clearing (default true). */
  verifyClearing?: boolean;
  /** Poll period of the market clock, ms (default 250). */
  pollMs?: number;
  /**
   * Orders for an interval are sent once at most this many earlier gates are still open (default 1: the
   * devices have two intervals to reach a block before the gate; 0: one interval, after the previous
   * interval cleared).
   */
  orderAheadIntervals?: number;
}

/** The state of one run: the chain, the devices and their states, the intervals in flight, the reports. */
export class Simulation {
  readonly chain: ChainClient;
  readonly devices: SimDevice[];
  readonly byAddress = new Map<Address, number>();
  readonly states: DeviceState[];
  readonly runs = new Map<bigint, IntervalRun>();
  readonly reports: IntervalReport[] = [];
  readonly admin: KeyPair;
  readonly operator: KeyPair;
  readonly submitter: KeyPair;
  config!: MarketConfig;
  invariants!: InvariantTracker;
  /** Money and energy of the strategic participants and their twins. */
  profit!: ProfitTracker;
  /** default-and-run devices that have moved their cash away. */
  readonly ranAway = new Set<number>();
  nextOrder = -1n;
  ordered = 0;
  lastDelivered = -1n;

  readonly opts: RunScenarioOptions;

  constructor(opts: RunScenarioOptions) {
    this.opts = opts;
    this.chain = new ChainClient(opts.rpcUrls, opts.signal);
    this.devices = buildPopulation(opts.scenario);
    this.devices.forEach((d, i) => {
      this.byAddress.set(d.account.address, i);
    });
    this.admin = keyFromPrivate(opts.keys.admin);
    this.operator = keyFromPrivate(opts.keys.gridOperator);
    this.submitter = keyFromPrivate(opts.keys.submitter);
    this.states = [];
  }

  emit(e: SimEvent) {
    try {
      this.opts.onEvent?.(e);
    } catch {
      // A listener's failure must not stop the devices.
    }
  }

  get signal() {
    return this.opts.signal;
  }
}
