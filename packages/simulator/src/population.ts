import type { DeviceSpec } from './devices.ts';
import { rng } from './prng.ts';
import type { DeviceKind, Scenario } from './scenario.ts';
import { type KeyPair, keyFromLabel } from './signer.ts';
import type { StrategySpec } from './strategy-schema.ts';

/** How a device's meter misbehaves. */
export type MeterFault = 'none' | 'late' | 'missing' | 'faulty';

/** First meter id of simulated devices (device i has meter METER_ID_BASE + i). */
export const METER_ID_BASE = 1_000_000n;

/** One simulated device agent. */
export interface SimDevice {
  spec: DeviceSpec;
  /** Household number, or undefined for a device of a device group. */
  household: number | undefined;
  /** Device group name, or undefined for a household device. */
  group: string | undefined;
  account: KeyPair;
  meterId: bigint;
  meterKey: KeyPair;
  fault: MeterFault;
  /** The key a faulty meter signs with (not the registered one). */
  wrongKey: KeyPair | undefined;
  /** A strategic participant or its truthful twin (scenario `strategies:`); undefined for the others. */
  strategy?: { spec: StrategySpec; role: 'strategic' | 'truthful' };
}

/**
 * Physical index of strategy j's device pair: the strategic device and its twin share it, so their
 * weather, sizes and noise (every draw keyed by seed and index) are the same.
 */
const STRATEGY_INDEX_BASE = 100_000_000;

/** Device kinds of household `h` (every household has a load), from the composition shares. */
export function householdKinds(s: Scenario, h: number): DeviceKind[] {
  const r = rng(`${s.seed}/household/${h}`);
  const c = s.prosumers.composition;
  const kinds: DeviceKind[] = ['load'];
  if (r.chance(c.pv)) kinds.push('pv');
  if (r.chance(c.ev)) kinds.push('ev');
  if (r.chance(c.battery)) kinds.push('battery');
  if (r.chance(c.flex)) kinds.push('flex');
  return kinds;
}

/** The devices, in a fixed order (groups, then households), with keys, meters and meter faults. */
export function buildPopulation(s: Scenario): SimDevice[] {
  const out: Omit<SimDevice, 'account' | 'meterId' | 'meterKey' | 'fault' | 'wrongKey'>[] = [];
  const limit = s.devices ?? Number.POSITIVE_INFINITY;
  const push = (kind: DeviceKind, bus: number, params: unknown, household?: number, group?: string) => {
    out.push({
      spec: { index: out.length, kind, bus, params } as DeviceSpec,
      household,
      group,
    });
  };
  for (const g of s.deviceGroups) {
    for (let j = 0; j < g.count && out.length < limit; j++)
      push(g.kind, g.buses[j % g.buses.length]!, g.params, undefined, g.name);
  }
  const households = s.devices === undefined ? s.prosumers.count : Number.POSITIVE_INFINITY;
  const buses = s.prosumers.buses;
  for (let h = 0; h < households && out.length < limit; h++) {
    const bus = buses[h % buses.length]!;
    for (const kind of householdKinds(s, h)) {
      if (out.length >= limit) break;
      push(kind, bus, s.deviceDefaults[kind], h);
    }
  }
  // Meter faults: exact counts from the shares, over a seeded shuffle of the devices.
  const n = out.length;
  const order = out
    .map((_, i) => ({ i, u: rng(`${s.seed}/meter-fault/${i}`).next() }))
    .sort((a, b) => a.u - b.u);
  const nLate = Math.round(s.meters.lateShare * n);
  const nMissing = Math.round(s.meters.missingShare * n);
  const nFaulty = Math.min(n - nLate - nMissing, Math.round(s.meters.faultyShare * n));
  const fault = new Map<number, MeterFault>();
  order.forEach((o, rank) => {
    fault.set(
      o.i,
      rank < nLate
        ? 'late'
        : rank < nLate + nMissing
          ? 'missing'
          : rank < nLate + nMissing + nFaulty
            ? 'faulty'
            : 'none',
    );
  });
  const devices: SimDevice[] = out.map((d, i) => {
    const f = fault.get(i) ?? 'none';
    return {
      ...d,
      account: keyFromLabel(`gridledger sim/${s.seed}/device/${i}`),
      meterId: METER_ID_BASE + BigInt(i),
      meterKey: keyFromLabel(`gridledger sim/${s.seed}/meter/${i}`),
      fault: f,
      wrongKey: f === 'faulty' ? keyFromLabel(`gridledger sim/${s.seed}/wrong-meter/${i}`) : undefined,
    };
  });
  // Strategic participants and their twins, after the devices (honest, on-time meters).
  for (const st of s.strategies) {
    for (const role of ['strategic', 'truthful'] as const) {
      const i = devices.length;
      devices.push({
        spec: {
          index: STRATEGY_INDEX_BASE + st.no,
          kind: st.deviceKind,
          bus: st.bus,
          params: st.params,
        } as DeviceSpec,
        household: undefined,
        group: `${st.name} (${role})`,
        account: keyFromLabel(`gridledger sim/${s.seed}/strategy/${st.no}/${role}`),
        meterId: METER_ID_BASE + BigInt(i),
        meterKey: keyFromLabel(`gridledger sim/${s.seed}/strategy/${st.no}/${role}/meter`),
        fault: 'none',
        wrongKey: undefined,
        strategy: { spec: st, role },
      });
    }
  }
  return devices;
}

/** Counts of devices by kind. */
export function countByKind(devices: readonly SimDevice[]): Record<DeviceKind, number> {
  const c: Record<DeviceKind, number> = { pv: 0, load: 0, ev: 0, battery: 0, flex: 0 };
  for (const d of devices) c[d.spec.kind]++;
  return c;
}
