// The driver's bookkeeping of one market interval while it runs (IntervalRun): the orders planned and
// sent, what cleared, the meters' readings and their transactions; and what the devices expect from the
// intervals that are ordered or cleared but not yet delivered (pendingOf, which the EVM driver uses too).
import type { Reading } from '@gridledger/energy';
import type { Hex } from 'viem';
import type { SentTx, TxReceipt } from './chain.ts';
import type { Cleared, Metered, PlannedOrder } from './devices.ts';
import type { IntervalReport } from './report.ts';

/** One submitReadings transaction and the readings in it. */
export interface ReadingTx {
  sent: SentTx;
  readings: { device: number; reading: Reading }[];
  kind: 'normal' | 'faulty' | 'late';
  receipt?: TxReceipt;
}

/** A sealed order (docs/market-rules.md §6b) between its commitment and its reveal. */
export interface SealedOrderEntry {
  device: number;
  bus: number;
  side: 0 | 1;
  steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[];
  salt: Hex;
  /** The commitOrder transaction. */
  commit: SentTx;
}

/** What the driver keeps of one interval, from its orders to its report. */
export interface IntervalRun {
  k: bigint;
  /** Metered only (before the devices' first orders, meter-only.ts): no orders, no report. */
  meterOnly?: boolean;
  planned: Map<number, PlannedOrder[]>;
  /** The order transactions sent (to explain orders missing on chain). */
  orderTxs: SentTx[];
  ordersSent: number;
  ordersRejectedAtSubmit: number;
  /** With sealed bids: the committed orders, and whether their reveals were sent. */
  sealed?: SealedOrderEntry[];
  revealed?: boolean;
  cleared?: Map<number, Cleared>;
  lmpMicros?: Map<number, bigint>;
  clearedBlock?: bigint;
  status?: string;
  failReason?: string;
  settleLookups?: number;
  partial?: Omit<
    IntervalReport,
    'readingsAccepted' | 'readingsRejected' | 'creditsMintedWh' | 'meteredDeliveredWh' | 'invariantFailures'
  >;
  delivered: boolean;
  metered: Map<number, Metered>;
  late: { device: number; reading: Reading; signature: Hex }[];
  lateSent: boolean;
  readingTxs: ReadingTx[];
  reported: boolean;
}

/**
 * What device i expects from intervals cleared or ordered but not delivered: what cleared, or for an
 * interval not yet cleared, an EV's or flexible load's bids as if they clear (it asks less for later
 * intervals and catches up by urgency if they do not) and nothing for the others.
 */
export function pendingOf(
  runs: readonly Pick<IntervalRun, 'cleared' | 'planned'>[],
  i: number,
  kind: string,
): Cleared {
  const p = { boughtWh: 0n, soldWh: 0n };
  for (const r of runs) {
    if (r.cleared !== undefined) {
      const c = r.cleared.get(i);
      if (c) {
        p.boughtWh += c.boughtWh;
        p.soldWh += c.soldWh;
      }
    } else if (kind === 'ev' || kind === 'flex') {
      for (const o of r.planned.get(i) ?? [])
        if (o.side === 'buy') for (const s of o.steps) p.boughtWh += s.energyWh;
    }
  }
  return p;
}

/** How many orders the devices planned for the interval. */
export const plannedCountOf = (run: IntervalRun) =>
  [...run.planned.values()].reduce((a, os) => a + os.length, 0);
