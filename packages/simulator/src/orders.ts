// The devices' orders: for each interval, once at most `orderAheadIntervals` earlier gates are open,
// every device plans its orders from its state and what it expects from undelivered intervals, signs
// them and sends them (each sender through its own node); with sealed bids it sends their commitments
// and sealed.ts reveals them after the gate.
import { MARKET_ADDRESS } from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import type { Hex } from 'viem';
import type { MarketClockView } from './chain.ts';
import type { IntervalContext, PlannedOrder } from './devices.ts';
import { planOrders } from './devices.ts';
import { encodePlaceOrder } from './encode.ts';
import type { SealedOrderEntry } from './interval-run.ts';
import { pendingOf } from './interval-run.ts';
import { COMMIT_GAS, commitCall, sealedEntry } from './sealed.ts';
import type { KeyPair } from './signer.ts';
import type { Simulation } from './simulation.ts';
import { strategicOrders } from './strategies.ts';

/** Gas limits: generous over the measured use (placeOrder ~103k-114k, ~28k per reading). */
const ORDER_GAS = (steps: number) => 120_000n + 20_000n * BigInt(steps);

/** Places the devices' orders for the open interval, once its predecessor has cleared. */
export async function placeOrders(sim: Simulation, clock: MarketClockView): Promise<void> {
  const target = sim.opts.intervals;
  if (target !== undefined && sim.ordered >= target) return;
  const L = sim.config.intervalMs;
  const open = clock.openInterval;
  if (sim.nextOrder < 0n) {
    // The first interval: the one after the next gate, so that its orders have at least a full
    // interval to reach a block (the next gate may be moments away).
    sim.nextOrder = open + 1n;
    sim.emit({ type: 'ready', devices: sim.devices.length, firstInterval: sim.nextOrder.toString() });
  }
  if (open > sim.nextOrder) {
    sim.emit({
      type: 'warning',
      message: `intervals ${sim.nextOrder}..${open - 1n} passed their gate before the devices could order`,
    });
    sim.nextOrder = open;
  }
  const k = sim.nextOrder;
  // Orders for k go out while up to `orderAheadIntervals` earlier gates are still open: the window to
  // reach a block before k's gate is then that many intervals longer than one.
  if (k > open + BigInt(sim.opts.orderAheadIntervals ?? 1)) return;
  // Intervals cleared or ordered but not yet delivered: what the devices expect to happen first.
  const undelivered = [...sim.runs.values()].filter((r) => !r.delivered && r.k < k);
  const t0 = performance.now();
  const ctx: IntervalContext = {
    seed: sim.opts.scenario.seed,
    interval: k,
    startMs: Number(k * L),
    minutes: Number(L / 60_000n),
  };
  const planned = new Map<number, PlannedOrder[]>();
  const txs: { key: KeyPair; call: { to: Address; data: Hex }; gas: bigint }[] = [];
  // With sealed bids each order goes out as its commitment; its salt waits for the reveal (sealed.ts).
  const sealing = sim.config.sealed !== undefined;
  const sealedOrders: {
    device: number;
    order: Pick<SealedOrderEntry, 'bus' | 'side' | 'steps'>;
    salt: Hex;
  }[] = [];
  sim.devices.forEach((d, i) => {
    const pending = pendingOf(undelivered, i, d.spec.kind);
    const orders = strategicOrders(
      d,
      planOrders(d.spec, sim.states[i]!, ctx, pending),
      sim.ranAway.has(i),
      ctx.minutes,
    );
    if (orders.length === 0) return;
    planned.set(i, orders);
    for (const o of orders) {
      const side = o.side === 'buy' ? 0 : 1;
      if (sealing) {
        const order = { bus: d.spec.bus, side, steps: o.steps } as const;
        const c = commitCall(sim.config, d.account.address, k, order);
        sealedOrders.push({ device: i, order, salt: c.salt });
        txs.push({ key: d.account, call: { to: MARKET_ADDRESS, data: c.data }, gas: COMMIT_GAS });
        continue;
      }
      txs.push({
        key: d.account,
        call: {
          to: MARKET_ADDRESS,
          data: encodePlaceOrder(k, d.spec.bus, side, o.steps),
        },
        gas: ORDER_GAS(o.steps.length),
      });
    }
  });
  const sent = await sim.chain.send(txs, (a) => sim.byAddress.get(a) ?? 0);
  const rejected = sent.filter((s) => s.rejected !== undefined);
  if (rejected.length > 0)
    sim.emit({
      type: 'warning',
      message: `interval ${k}: ${rejected.length} orders rejected at submission (${rejected[0]!.rejected})`,
    });
  sim.runs.set(k, {
    k,
    planned,
    orderTxs: sent,
    ordersSent: txs.length,
    ordersRejectedAtSubmit: rejected.length,
    ...(sealing
      ? {
          sealed: sealedOrders.map((x, j) => sealedEntry(x.device, x.order, x.salt, sent[j]!)),
          revealed: false,
        }
      : {}),
    delivered: false,
    metered: new Map(),
    late: [],
    lateSent: false,
    readingTxs: [],
    reported: false,
  });
  sim.ordered++;
  sim.nextOrder = k + 1n;
  sim.emit({
    type: 'orders',
    interval: k.toString(),
    orders: txs.length,
    rejected: rejected.length,
    ms: Math.round(performance.now() - t0),
  });
}
