// What the strategic participants of a scenario do differently from their truthful twins (the twin plays
// its device exactly as any other device does): the orders they place, what their meters report, and
// the second account default-and-run controls (its move of cash there: run-away.ts); and how each meter's
// report goes to the chain (meterReport: its strategy and its fault). Both drivers (orders.ts, readings.ts;
// evm-run.ts) play them through these functions.
// The strategies and their knobs: strategy-schema.ts; profit and gains: profit.ts; docs/scenarios.md.
import type { Metered, PlannedOrder } from './devices.ts';
import { connectionCapacityW, connectionCapacityWh } from './meter-capacity.ts';
import type { SimDevice } from './population.ts';
import { type KeyPair, keyFromLabel } from './signer.ts';

/** The device's strategy when it is the strategic one of its pair (undefined for twins and others). */
const strategicSpec = (d: SimDevice) => (d.strategy?.role === 'strategic' ? d.strategy.spec : undefined);

/** The second account a strategic participant controls (default-and-run moves its cash there). */
export function stashOf(seed: string, d: SimDevice): KeyPair | undefined {
  const st = strategicSpec(d);
  return st?.kind === 'default-and-run'
    ? keyFromLabel(`gridledger sim/${seed}/strategy/${st.no}/stash`)
    : undefined;
}

function scaled(steps: PlannedOrder['steps'], share: number): PlannedOrder['steps'] {
  return steps
    .map((s) => ({ ...s, energyWh: BigInt(Math.floor(Number(s.energyWh) * share)) }))
    .filter((s) => s.energyWh >= 1n);
}

/** Wh of `orders` on `side`, over all their steps. */
const sideWh = (orders: PlannedOrder[], side: 'buy' | 'sell') =>
  orders
    .filter((o) => o.side === side)
    .reduce((a, o) => a + o.steps.reduce((b, s) => b + s.energyWh, 0n), 0n);

/**
 * The orders device `d` places for an interval of `minutes`, given what its device would plan truthfully
 * (`planned`) and whether it has already moved its cash away (`ranAway`, default-and-run: it places no
 * more orders). A phantom's extra step is at most the headroom its connection leaves on its side (the
 * market refuses an owner's orders beyond its meters' capacity × the interval, the whole order with it),
 * and left out where there is none.
 * @example strategicOrders(d, planOrders(d.spec, state, ctx), false, ctx.minutes)
 */
export function strategicOrders(
  d: SimDevice,
  planned: PlannedOrder[],
  ranAway: boolean,
  minutes: number,
): PlannedOrder[] {
  const st = strategicSpec(d);
  if (st === undefined) return planned;
  const params = st.params as { bidPricePerMWh?: number; offerPricePerMWh?: number };
  const onSide = (side: 'buy' | 'sell', add: PlannedOrder['steps'][number]): PlannedOrder[] => {
    const headroomWh = connectionCapacityWh(d.spec, minutes) - sideWh(planned, side);
    const energyWh = add.energyWh < headroomWh ? add.energyWh : headroomWh;
    if (energyWh < 1n) return planned;
    const step = { ...add, energyWh };
    const has = planned.some((o) => o.side === side);
    if (!has) return [...planned, { side, steps: [step] }];
    return planned.map((o) => (o.side === side ? { ...o, steps: [...o.steps, step] } : o));
  };
  switch (st.kind) {
    case 'free-rider':
      return [];
    case 'phantom-buyer': {
      const price =
        planned.find((o) => o.side === 'buy')?.steps[0]?.priceMicrosPerMWh ??
        BigInt(Math.round((params.bidPricePerMWh ?? 0) * 1e6));
      return onSide('buy', { energyWh: BigInt(st.phantomWh), priceMicrosPerMWh: price });
    }
    case 'phantom-seller': {
      const price =
        planned.find((o) => o.side === 'sell')?.steps[0]?.priceMicrosPerMWh ??
        BigInt(Math.round((params.offerPricePerMWh ?? 0) * 1e6));
      return onSide('sell', { energyWh: BigInt(st.phantomWh), priceMicrosPerMWh: price });
    }
    case 'over-deliver':
      return planned
        .map((o) => (o.side === 'sell' ? { ...o, steps: scaled(o.steps, st.soldShare) } : o))
        .filter((o) => o.steps.length > 0);
    case 'default-and-run':
      if (ranAway) return [];
      return planned
        .map((o) => (o.side === 'buy' ? { ...o, steps: scaled(o.steps, st.boughtShare) } : o))
        .filter((o) => o.steps.length > 0);
    case 'withhold-reading':
    case 'inflate-reading':
      return planned;
  }
}

/**
 * What device `d`'s meter reports for an interval of `minutes` in which it metered `metered`: the same,
 * nothing (withhold-reading), or an export `inflateFactor` times what its registered connection capacity
 * allows over the interval (inflate-reading).
 */
export function reportedReading(d: SimDevice, metered: Metered, minutes: number): Metered | undefined {
  const st = strategicSpec(d);
  if (st?.kind === 'withhold-reading') return undefined;
  if (st?.kind === 'inflate-reading') {
    const capacityWh = Number(connectionCapacityW(d.spec)) * (minutes / 60);
    return { importedWh: metered.importedWh, exportedWh: BigInt(Math.floor(st.inflateFactor * capacityWh)) };
  }
  return metered;
}

/** True when `d`'s readings go in a transaction of their own (so a rejection does not take others along). */
export const readsAlone = (d: SimDevice) => strategicSpec(d)?.kind === 'inflate-reading';

/**
 * How a meter's report goes to the chain: with the others in a batch, in a transaction of its own (a
 * forged signature or an inflated reading: the chain refuses it, and it must not take a batch with it),
 * or after the interval's deadline (a late meter).
 */
export type ReadingRoute = 'batch' | 'alone' | 'late';

/**
 * What device `d`'s meter sends for an interval of `minutes` in which it metered `metered`: the report
 * (reportedReading), the key that signs it (a faulty meter's wrong one) and its route; undefined when it
 * sends nothing (a missing meter, withhold-reading).
 * @example meterReport(d, { importedWh: 500n, exportedWh: 0n }, 5)?.route // 'batch' for a truthful meter
 */
export function meterReport(
  d: SimDevice,
  metered: Metered,
  minutes: number,
): { metered: Metered; key: KeyPair; route: ReadingRoute } | undefined {
  const reported = reportedReading(d, metered, minutes);
  if (d.fault === 'missing' || reported === undefined) return undefined;
  const key = d.fault === 'faulty' ? d.wrongKey! : d.meterKey;
  const route: ReadingRoute =
    d.fault === 'late' ? 'late' : d.fault === 'faulty' || readsAlone(d) ? 'alone' : 'batch';
  return { metered: reported, key, route };
}
