// The operator's loop (`gridledger operator`): from the first interval still clearable, clear every
// interval whose gate has closed, then wait and look again; each outcome is reported as it happens.
// A rejected or failed interval is reported and left (another operator, or the deadline's expiry, settles
// its fate); the loop goes on.
import { GridledgerError } from '@gridledger/base';
import type { VerifierClients } from '../certificate/verifier-client.ts';
import {
  clearIntervalOnChain,
  dueIntervals,
  type IntervalClearing,
  type OperatorContracts,
  startInterval,
} from './operator.ts';

/** One interval's outcome. */
export type IntervalOutcome =
  | ({ kind: 'cleared' } & IntervalClearing)
  | { kind: 'empty'; interval: bigint }
  | { kind: 'error'; interval: bigint; reason: string };

/** Options of {@link runOperator}. */
export interface OperatorRunOptions {
  contracts: OperatorContracts;
  /** At most this many orders per chunk (default: as many as fit 80 % of the block gas limit). */
  chunkOrders?: number;
  /** Wait between looks, ms (default 2000). */
  pollMs?: number;
  /** Clear what is due now and return. */
  once?: boolean;
  /** Stops the loop (between intervals). */
  signal?: AbortSignal;
  onOutcome?: (o: IntervalOutcome) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Runs the operator until `signal` aborts (or once). Returns every outcome.
 * @example await runOperator(clients, { contracts, once: true })
 */
export async function runOperator(c: VerifierClients, o: OperatorRunOptions): Promise<IntervalOutcome[]> {
  const out: IntervalOutcome[] = [];
  let cursor = await startInterval(c, o.contracts.market);
  for (;;) {
    const { due, next } = await dueIntervals(c, o.contracts.market, cursor);
    for (const k of due) {
      if (o.signal?.aborted) return out;
      let r: IntervalOutcome;
      try {
        const cleared = await clearIntervalOnChain(c, o.contracts, k, o.chunkOrders);
        r = cleared ? { kind: 'cleared', ...cleared } : { kind: 'empty', interval: k };
      } catch (e) {
        if (!(e instanceof GridledgerError)) throw e;
        r = { kind: 'error', interval: k, reason: e.message };
      }
      out.push(r);
      o.onOutcome?.(r);
    }
    cursor = due.length === 64 ? due[63]! + 1n : next;
    if (o.once || o.signal?.aborted) return out;
    await sleep(o.pollMs ?? 2000, o.signal);
    if (o.signal?.aborted) return out;
  }
}
