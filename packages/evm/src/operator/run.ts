// The operator's loop (`gridledger operator`): from the first interval still clearable, clear every
// interval whose gate has closed, then wait and look again; each outcome is reported as it happens.
// A rejected or failed interval is reported and left (another operator, or the deadline's expiry, settles
// its fate); the loop goes on. With the second settlement's RealtimeBook named, it also prices every
// cleared interval whose metered state is final (realtime.ts) so that anyone can settle it; with the
// DigitalTwin named, it first submits each such interval's metered flows (twin.ts; once per interval,
// an interval whose submission fails is not retried).
import { GridledgerError } from '@gridledger/base';
import { type Abi, type Address, parseAbi } from 'viem';
import type { VerifierClients } from '../certificate/verifier-client.ts';
import {
  clearIntervalOnChain,
  dueIntervals,
  type IntervalClearing,
  type OperatorContracts,
  startInterval,
} from './operator.ts';
import { type RealtimeContracts, submitRealtimePrices } from './realtime.ts';
import { dueTwins, submitTwin, twinComputed } from './twin.ts';

/** One interval's outcome. */
export type IntervalOutcome =
  | ({ kind: 'cleared' } & IntervalClearing)
  | { kind: 'empty'; interval: bigint }
  | { kind: 'realtime'; interval: bigint; orders: number; gas: bigint }
  | { kind: 'twin'; interval: bigint; deviations: number; gas: bigint }
  | { kind: 'error'; interval: bigint; reason: string };

/** Options of {@link runOperator}. */
export interface OperatorRunOptions {
  contracts: OperatorContracts;
  /** The second settlement's RealtimeBook and its verifier: real-time prices are submitted too. */
  realtime?: RealtimeContracts;
  /** The DigitalTwin: each cleared interval's metered flows are submitted once its readings are final. */
  twin?: Address;
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

const bookAbi = parseAbi([
  'function status(uint64 interval) view returns (uint8)',
  'function clock(uint64 interval) view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs)',
  'function marketTimeMs() view returns (uint256)',
  'function intervalState(uint64 interval) view returns (uint8, int256, uint256, uint256)',
]) as Abi;

/**
 * The intervals whose real-time prices are due now, from `from` on: ended, cleared, not yet priced, and
 * their metered state final (the book's gate passed). `next`: the first interval not done yet.
 */
async function dueRealtime(
  c: VerifierClients,
  book: Address,
  from: bigint,
  max = 64,
): Promise<{ due: bigint[]; next: bigint }> {
  const read = <T>(functionName: string, args: readonly unknown[] = []) =>
    c.public.readContract({ address: book, abi: bookAbi, functionName, args }) as Promise<T>;
  const now = await read<bigint>('marketTimeMs');
  const due: bigint[] = [];
  let next: bigint | undefined;
  let k = from;
  for (; due.length < max; k++) {
    const [gateMs, , endMs, deadlineMs] = await read<[bigint, bigint, bigint, bigint]>('clock', [k]);
    if (endMs > now) break;
    const [status] = await read<[number]>('intervalState', [k]);
    // 0: cleared and awaiting its prices; 4 (not cleared) before its deadline may still clear
    const open = status === 0 || (status === 4 && now < deadlineMs);
    if (open && next === undefined) next = k;
    if (status === 0 && gateMs <= now) due.push(k);
  }
  return { due, next: next ?? k };
}

/**
 * Runs the operator until `signal` aborts (or once). Returns every outcome.
 * @example await runOperator(clients, { contracts, once: true })
 */
export async function runOperator(c: VerifierClients, o: OperatorRunOptions): Promise<IntervalOutcome[]> {
  const out: IntervalOutcome[] = [];
  let cursor = await startInterval(c, o.contracts.market);
  let rtCursor = cursor;
  let twinCursor = cursor;
  /** Intervals whose twin this run submitted or tried (a rejected one is not retried). */
  const twinTried = new Set<bigint>();
  const twin = o.twin === undefined ? undefined : { ...o.contracts, twin: o.twin };
  /** Submits interval k's twin unless tried already or computed (by anyone); reports the outcome. */
  const runTwin = async (k: bigint) => {
    if (twin === undefined || twinTried.has(k)) return;
    twinTried.add(k);
    if ((await twinComputed(c, twin.twin, k)) !== 0) return;
    let r: IntervalOutcome;
    try {
      const s = await submitTwin(c, twin, k);
      r = { kind: 'twin', interval: k, deviations: s.deviations, gas: s.gas };
    } catch (e) {
      if (!(e instanceof GridledgerError)) throw e;
      r = { kind: 'error', interval: k, reason: `digital twin: ${e.message}` };
    }
    out.push(r);
    o.onOutcome?.(r);
  };
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
    // The twin before the real-time prices: settlement waits for those, so the metered injections the
    // twin reads (served until the interval settles) are still there.
    if (twin !== undefined) {
      const tw = await dueTwins(c, twin, twinCursor, twinTried);
      for (const k of tw.due) {
        if (o.signal?.aborted) return out;
        await runTwin(k);
      }
      twinCursor = tw.next;
    }
    if (o.realtime !== undefined) {
      const rt = await dueRealtime(c, o.realtime.book, rtCursor);
      for (const k of rt.due) {
        if (o.signal?.aborted) return out;
        // A reading may have completed the interval since the twin's look: its twin first, always.
        await runTwin(k);
        let r: IntervalOutcome;
        try {
          const p = await submitRealtimePrices(c, o.realtime, k);
          r = { kind: 'realtime', interval: k, orders: p.orders, gas: p.gas.total };
        } catch (e) {
          if (!(e instanceof GridledgerError)) throw e;
          r = { kind: 'error', interval: k, reason: `real-time prices: ${e.message}` };
        }
        out.push(r);
        o.onOutcome?.(r);
      }
      rtCursor = rt.next;
    }
    if (o.once || o.signal?.aborted) return out;
    await sleep(o.pollMs ?? 2000, o.signal);
    if (o.signal?.aborted) return out;
  }
}
