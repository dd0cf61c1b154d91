// The digital twin on an EVM chain (docs/market-rules.md §10a, docs/evm.md "The digital twin"): the
// operator solves the DC power flow of the metered injections off chain and submits the bus angles; the
// DigitalTwin contract computes the branch flows from them with the verifier's integer network, checks
// every bus but the upstream one balances, stores the flows and emits FlowDeviation. Cross-checked against
// the native TypeScript (@gridledger/energy's meteredInjectionsMw and dcTwinFlows, and its FlowDeviation
// rule): the same flows and the same events. Every bad input reverts with its reason and changes nothing.
// Own anvil: the contract tests' 3-bus world, and case33bw_congested deployed by deployPlatform on the same
// anvil; an off-chain case33bw check of the integer arithmetic against the native float flows.
import { fileURLToPath } from 'node:url';
import {
  dcTwinFlows,
  FLOW_DEVIATION_W,
  type MarketConfig,
  meteredInjectionsMw,
  type PartyPosition,
  READING_TYPES,
  readingDomain,
} from '@gridledger/energy';
import { loadMatpower } from '@gridledger/grid';
import { type Abi, type Address, parseEventLogs } from 'viem';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOLERANCES, type IntegerNetwork, integerNetwork } from '../src/certificate/format.ts';
import { revertName } from '../src/certificate/verifier-client.ts';
import { sendCall } from '../src/deploy.ts';
import { DigitalTwinAbi } from '../src/generated/DigitalTwin.ts';
import { MarketAbi } from '../src/generated/Market.ts';
import { MetersAbi } from '../src/generated/Meters.ts';
import { RegistryAbi } from '../src/generated/Registry.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { deployPlatform, loadDeployConfig } from '../src/operator/deploy-platform.ts';
import { clearIntervalOnChain, readNetwork } from '../src/operator/operator.ts';
import { submitRealtimePrices } from '../src/operator/realtime.ts';
import { runOperator } from '../src/operator/run.ts';
import { deployDigitalTwin, submitTwin, twinAngles } from '../src/operator/twin.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  type Call,
  cashProbe,
  clearForward,
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  mineAt,
  read,
  SETTLEMENT_DELAY_MS,
  send,
  submitReading,
  type World,
} from './world.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));

let w: World;
let twin: Address;

useWorld(
  {},
  {
    setup: async (world) => {
      w = world;
      twin = (await deployDigitalTwin(await w.clients(w.deployer), w.addresses.market, w.verifier)).address;
    },
  },
);

const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
const twinCall = (functionName: string, args: readonly unknown[]): Call => ({
  address: twin,
  abi: DigitalTwinAbi as Abi,
  functionName,
  args,
});
/** A party as native settlement sees it, for meteredInjectionsMw (only bus and metered energy count). */
const party = (owner: Address, bus: number, importedWh: bigint, exportedWh: bigint): PartyPosition => ({
  owner,
  bus,
  soldWh: 0n,
  boughtWh: 0n,
  importedWh,
  exportedWh,
  sellOrders: [],
  buyOrders: [],
  meters: [],
  missing: [],
  capacityWh: 0n,
});

/** The native twin of the world's market for these parties: flows per branch and FlowDeviation events. */
async function nativeTwin(k: bigint, parties: PartyPosition[]) {
  const op = await w.clients(w.operator);
  const { network } = await readNetwork(op, w.addresses.registry);
  // meteredInjectionsMw reads the interval length and the upstream bus of the configuration
  const config = { intervalMs: INTERVAL_MS, upstream: { bus: 1 } } as unknown as MarketConfig;
  const flows = dcTwinFlows(network, meteredInjectionsMw(config, parties));
  if (!flows.ok) throw new Error(flows.reason);
  const cleared = await read<readonly bigint[]>(w, market(w, 'flows', [k]));
  const events = [];
  for (const f of flows.branches) {
    const limitW = BigInt(Math.round(network.branches[f.index - 1]!.rateAMw * 1e6));
    const overLimit = limitW > 0n && f.sMaxVA > limitW;
    const diff = f.pFromW - cleared[f.index - 1]!;
    if (overLimit || diff > FLOW_DEVIATION_W || -diff > FLOW_DEVIATION_W)
      events.push({
        interval: k,
        branch: BigInt(f.index),
        clearedFlowW: cleared[f.index - 1]!,
        actualFlowW: f.pFromW,
        limitW,
        overLimit,
      });
  }
  return { flows: flows.branches.map((b) => b.pFromW), events, network };
}

/**
 * Expects `call` (the operator's) to revert with the contract error `reason` (its name and the start of its
 * arguments: `BusImbalance(2, ` ) by eth_call, mined as reverted when sent anyway, changing nothing.
 */
async function rejects(call: Call, reason: string, probe: () => Promise<unknown>): Promise<void> {
  const c = await w.clients(w.operator);
  const err = await c.public
    .simulateContract({ ...call, account: w.operator } as Parameters<typeof c.public.simulateContract>[0])
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err === undefined ? 'no revert' : revertName(err)).toContain(reason);
  await expectRevert(w, w.operator, call, reason.split('(')[0]!, probe);
}

const twinProbe = (k: bigint) => async () => ({
  cash: await cashProbe(w)(),
  computed: await read(w, twinCall('twinComputed', [k])),
  flows: await read(w, twinCall('actualFlows', [k])),
  state: await read(w, market(w, 'intervalState', [k])),
});

describe('the digital twin on the contracts', () => {
  it('checks the operator’s angles and records the native twin’s flows and FlowDeviation events', async () => {
    const k = await clearForward(w);
    expect(await read(w, market(w, 'flows', [k]))).toEqual([0n, -300_000n]);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // bob exports 30,000 Wh (360 kW over line 2-3, limit 300 kW), alice imports 24,000 Wh
    await submitReading(w, 2n, k, 0n, 30_000n);
    const op = await w.clients(w.operator);
    const { network } = await readNetwork(op, w.addresses.registry);
    const honest = twinAngles(
      network,
      new Map([
        [2, -24_000n],
        [3, 30_000n],
      ]),
      1,
      5,
    );
    // alice's reading is awaited: the readings are not final
    await rejects(twinCall('submitAngles', [k, honest]), 'ReadingsNotFinal', twinProbe(k));
    await expect(
      submitTwin(op, { market: w.addresses.market, verifier: w.verifier, twin }, k),
    ).rejects.toThrow(/readings are not final/);
    await submitReading(w, 1n, k, 24_000n, 0n);

    // perturbed angles: bus 2 moved by 10^6 prad (B = 10^9 W/rad: 1 kW on each of its lines)
    const perturbed = honest.map((a, i) => (i === 1 ? a + 1_000_000n : a));
    await rejects(twinCall('submitAngles', [k, perturbed]), 'BusImbalance(2, ', twinProbe(k));
    // every angle moved by the same amount is the same flow: accepted later (checked below, the honest ones)
    // bus 3 moved by 51 W worth of angle (beyond τ_f = 50 W)
    const off = honest.map((a, i) => (i === 2 ? a + 51_000n : a));
    await rejects(twinCall('submitAngles', [k, off]), 'BusImbalance(2, -5', twinProbe(k));
    await rejects(twinCall('submitAngles', [k, honest.slice(0, 2)]), 'ShapeMismatch(3, 2)', twinProbe(k));
    await rejects(twinCall('submitAngles', [k, [0n, 2n ** 101n, 0n]]), 'AngleOutOfRange(2)', twinProbe(k));
    // an interval never cleared
    await rejects(
      twinCall('submitAngles', [k + 50n, honest]),
      `IntervalNotCleared(${k + 50n}, 0)`,
      twinProbe(k + 50n),
    );

    // the honest angles, by the operator's submitTwin: the native twin's flows and events
    const native = await nativeTwin(k, [
      party(w.alice.address, 2, 24_000n, 0n),
      party(w.bob.address, 3, 0n, 30_000n),
    ]);
    expect(native.flows).toEqual([-72_000n, -360_000n]);
    const s = await submitTwin(op, { market: w.addresses.market, verifier: w.verifier, twin }, k);
    expect(await read(w, twinCall('twinComputed', [k]))).toBe(1);
    expect(await read(w, twinCall('actualFlows', [k]))).toEqual(native.flows);
    const logs = await (await w.clients(w.deployer)).public.getContractEvents({
      address: twin,
      abi: DigitalTwinAbi as Abi,
      eventName: 'FlowDeviation',
      fromBlock: 0n,
    });
    expect(logs.map((l) => (l as unknown as { args: unknown }).args)).toEqual(native.events);
    expect(native.events.map((e) => [e.branch, e.overLimit])).toEqual([
      [1n, false],
      [2n, true],
    ]);
    expect(s.deviations).toBe(2);

    // a second submission is refused
    await rejects(twinCall('submitAngles', [k, honest]), `AlreadyComputed(${k})`, twinProbe(k));
    // settlement is not held up by the twin (it waits only for the real-time prices), and goes on as before
    await submitRealtimePrices(await w.clients(w.operator), w.realtime, k);
    await send(w, w.carol, market(w, 'settle', [k]));
  });

  it('accepts angles within the flow tolerance, and angles all shifted alike (the same flows)', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // delivered as cleared, bob 600 Wh more (7.2 kW: branch 1 carries it, within its 10 MW limit)
    await submitReading(w, 2n, k, 0n, 25_600n);
    await submitReading(w, 1n, k, 25_000n, 0n);
    const op = await w.clients(w.operator);
    const { network } = await readNetwork(op, w.addresses.registry);
    const honest = twinAngles(
      network,
      new Map([
        [2, -25_000n],
        [3, 25_600n],
      ]),
      1,
      5,
    );
    // shifted by 1 mrad everywhere and bus 3 off by 40 W worth of angle (within τ_f = 50 W)
    const shifted = honest.map((a, i) => a + 1_000_000_000n + (i === 2 ? 40_000n : 0n));
    const r = await (await w.clients(w.operator)).wallet.writeContract({
      address: twin,
      abi: DigitalTwinAbi as Abi,
      functionName: 'submitAngles',
      args: [k, shifted],
    } as never);
    const receipt = await (await w.clients(w.operator)).public.waitForTransactionReceipt({ hash: r });
    expect(receipt.status).toBe('success');
    const native = await nativeTwin(k, [
      party(w.alice.address, 2, 25_000n, 0n),
      party(w.bob.address, 3, 0n, 25_600n),
    ]);
    expect(native.flows).toEqual([-7_200n, -307_200n]);
    expect(await read(w, twinCall('actualFlows', [k]))).toEqual([-7_200n, -307_240n]);
    const events = parseEventLogs({
      abi: DigitalTwinAbi as Abi,
      logs: receipt.logs,
      eventName: 'FlowDeviation',
    });
    // branch 1 deviates by 7.2 kW; branch 2 is over its 300 kW limit
    expect(events.map((e) => (e as unknown as { args: { branch: bigint } }).args.branch)).toEqual([1n, 2n]);
  });

  it('the operator submits each interval’s twin once its readings are final, once, before settlement', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    await submitReading(w, 2n, k, 0n, 25_000n);
    const op = await w.clients(w.operator);
    const contracts = { market: w.addresses.market, verifier: w.verifier };
    let outcomes = await runOperator(op, { contracts, twin, once: true });
    expect(outcomes.filter((x) => x.kind === 'twin')).toEqual([]);
    await submitReading(w, 1n, k, 25_000n, 0n);
    outcomes = await runOperator(op, { contracts, twin, once: true });
    expect(
      outcomes.filter((x) => x.kind === 'twin').map((x) => [x.interval, 'deviations' in x && x.deviations]),
    ).toEqual([[k, 0]]);
    expect(await read(w, twinCall('actualFlows', [k]))).toEqual([0n, -300_000n]);
    outcomes = await runOperator(op, { contracts, twin, once: true });
    expect(outcomes.filter((x) => x.kind !== 'empty')).toEqual([]);
    await submitRealtimePrices(await w.clients(w.operator), w.realtime, k);
    await send(w, w.carol, market(w, 'settle', [k]));
    // a settled interval no longer serves its metered injections: the twin is not computed after it
    const k2 = k + 2n;
    await send(w, w.alice, market(w, 'placeOrder', [k2, 2n, 0, [step(1_000n, 80_000_000n)]]));
    await mineAt(w, k2 * INTERVAL_MS - GATE_LEAD_MS);
    await clearIntervalOnChain(op, contracts, k2);
    await mineAt(w, (k2 + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS);
    await submitRealtimePrices(await w.clients(w.operator), w.realtime, k2);
    await send(w, w.carol, market(w, 'settle', [k2]));
    await rejects(
      twinCall('submitAngles', [k2, [0n, 0n, 0n]]),
      `IntervalNotCleared(${k2}, 3)`,
      twinProbe(k2),
    );
  });
});

/** The contract's arithmetic in TypeScript: flows from angles (W, half away from zero) and the bus mismatches. */
function flowsFromAngles(net: IntegerNetwork, angles: readonly bigint[], netW: readonly bigint[]) {
  const P = 1_000_000_000_000n;
  const mismatch = netW.map((x) => -x * P);
  const flows = net.branches.map((br) => {
    if (!br.inService) return 0n;
    const p = br.susceptanceWPerRad * (angles[br.from]! - angles[br.to]! - br.shiftPrad);
    mismatch[br.from]! += p;
    mismatch[br.to]! -= p;
    return p >= 0n ? (p + P / 2n) / P : -((-p + P / 2n) / P);
  });
  return { flows, mismatch: mismatch.map((m) => m / P) };
}

describe('the twin on case33bw_congested, deployed by deployPlatform', () => {
  it('records the native twin’s flows and events for metered injections at 12 buses', async () => {
    const d = await w.clients(w.deployer);
    const cfg = await loadDeployConfig(undefined, w.deployer.address, CASES);
    const now = BigInt((await d.public.getBlock()).timestamp) * 1000n;
    const k = now / INTERVAL_MS + 2n;
    cfg.market.firstInterval = k;
    const { addresses: a } = await deployPlatform(d, cfg);
    expect(a.digitalTwin).toBeDefined();
    const call = (address: Address, abi: Abi, functionName: string, args: readonly unknown[]) =>
      sendCall(d, address, abi, functionName, args);
    // alice buys at bus 18 behind the congested line, bob sells at 33; carol has meters at ten more buses
    await call(a.registry, RegistryAbi as Abi, 'registerParticipant', [w.alice.address, [18n]]);
    await call(a.registry, RegistryAbi as Abi, 'registerParticipant', [w.bob.address, [33n]]);
    const carolBuses = [3n, 6n, 9n, 12n, 15n, 21n, 24n, 27n, 30n, 32n];
    const meterList: [bigint, bigint, Address][] = [
      [1n, 18n, w.alice.address],
      [2n, 33n, w.bob.address],
      ...carolBuses.map((b, i): [bigint, bigint, Address] => [BigInt(i + 3), b, w.carol.address]),
    ];
    for (const [id, bus, owner] of meterList)
      await call(a.registry, RegistryAbi as Abi, 'registerMeter', [
        id,
        w.meterKey.address,
        bus,
        owner,
        10n ** 9n,
      ]);
    for (const who of [w.alice, w.bob]) {
      await call(a.cash, TestStablecoinAbi as Abi, 'mint', [who.address, 10n ** 9n]);
      await sendCall(await w.clients(who), a.cash, TestStablecoinAbi as Abi, 'approve', [
        a.market,
        10n ** 9n,
      ]);
    }
    await sendCall(await w.clients(w.alice), a.market, MarketAbi as Abi, 'placeOrder', [
      k,
      18n,
      0,
      [step(40_000n, 90_000_000n)],
    ]);
    await sendCall(await w.clients(w.bob), a.market, MarketAbi as Abi, 'placeOrder', [
      k,
      33n,
      1,
      [step(30_000n, 10_000_000n)],
    ]);
    await mineAt(w, k * INTERVAL_MS - cfg.market.gateLeadMs);
    const op = await w.clients(w.deployer);
    await clearIntervalOnChain(op, { market: a.market, verifier: a.verifier }, k);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // readings: alice and bob off their positions, carol's buses alternately importing and exporting
    const metered = new Map<bigint, [bigint, bigint]>([
      [1n, [41_500n, 0n]],
      [2n, [0n, 27_000n]],
      ...carolBuses.map((_, i): [bigint, [bigint, bigint]] => [
        BigInt(i + 3),
        i % 2 === 0 ? [BigInt(2_000 + 700 * i), 0n] : [0n, BigInt(1_500 + 400 * i)],
      ]),
    ]);
    const rs = [...metered].map(([meter, [importedWh, exportedWh]]) => ({
      meter,
      interval: k,
      importedWh,
      exportedWh,
    }));
    const sigs = await Promise.all(
      rs.map((r) =>
        w.meterKey.signTypedData({
          domain: { ...readingDomain(31337n), verifyingContract: a.meters },
          types: READING_TYPES,
          primaryType: 'Reading',
          message: r,
        }),
      ),
    );
    await call(a.meters, MetersAbi as Abi, 'submitReadings', [rs, sigs]);
    const s = await submitTwin(op, { market: a.market, verifier: a.verifier, twin: a.digitalTwin! }, k);
    // 1,666,540 gas on anvil 1.7.1 (docs/evm.md "The digital twin"): well within a block
    expect(s.gas).toBeLessThan(3_000_000n);

    const { network } = await readNetwork(op, a.registry);
    const config = { intervalMs: INTERVAL_MS, upstream: { bus: 1 } } as unknown as MarketConfig;
    const parties = meterList.map(([id, bus, owner]) => party(owner, Number(bus), ...metered.get(id)!));
    const native = dcTwinFlows(network, meteredInjectionsMw(config, parties));
    if (!native.ok) throw new Error(native.reason);
    const twinRead = (functionName: string, args: readonly unknown[]) =>
      read(w, { address: a.digitalTwin!, abi: DigitalTwinAbi as Abi, functionName, args });
    expect(await twinRead('twinComputed', [k])).toBe(1);
    expect(await twinRead('actualFlows', [k])).toEqual(native.branches.map((b) => b.pFromW));
    const cleared = await read<readonly bigint[]>(w, {
      address: a.market,
      abi: MarketAbi as Abi,
      functionName: 'flows',
      args: [k],
    });
    const expected = native.branches.flatMap((f) => {
      const limitW = BigInt(Math.round(network.branches[f.index - 1]!.rateAMw * 1e6));
      const overLimit = limitW > 0n && f.sMaxVA > limitW;
      const diff = f.pFromW - cleared[f.index - 1]!;
      return overLimit || diff > FLOW_DEVIATION_W || -diff > FLOW_DEVIATION_W
        ? [
            {
              interval: k,
              branch: BigInt(f.index),
              clearedFlowW: cleared[f.index - 1]!,
              actualFlowW: f.pFromW,
              limitW,
              overLimit,
            },
          ]
        : [];
    });
    const logs = await d.public.getContractEvents({
      address: a.digitalTwin!,
      abi: DigitalTwinAbi as Abi,
      eventName: 'FlowDeviation',
      fromBlock: 0n,
    });
    expect(logs.map((l) => (l as unknown as { args: unknown }).args)).toEqual(expected);
    expect(expected.length).toBe(s.deviations);
    expect(expected.length).toBeGreaterThan(5);
  });
});

describe('the twin’s integer arithmetic on case33bw', () => {
  it('angles rounded to prad give the native flows to the W and balance every bus to under 1 W', async () => {
    const network = await loadMatpower(`${CASES}case33bw.m`);
    const net = integerNetwork(network, 5);
    // a metered feeder: every bus a pseudo-random net injection of −40..+20 kWh over 5 minutes
    const netWh = new Map<number, bigint>();
    let seed = 7;
    for (const b of network.buses.slice(1)) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      netWh.set(b.id, BigInt((seed % 60_000) - 40_000));
    }
    const angles = twinAngles(network, netWh, 1, 5);
    const netW = network.buses.map((b) => (netWh.get(b.id) ?? 0n) * net.wattsPerWh);
    const { flows, mismatch } = flowsFromAngles(net, angles, netW);
    const config = { intervalMs: INTERVAL_MS, upstream: { bus: 1 } } as unknown as MarketConfig;
    const parties = [...netWh].map(([bus, x]) =>
      party(w.alice.address, bus, x < 0n ? -x : 0n, x > 0n ? x : 0n),
    );
    const native = dcTwinFlows(network, meteredInjectionsMw(config, parties));
    if (!native.ok) throw new Error(native.reason);
    const diffs = native.branches.map((b, i) => b.pFromW - flows[i]!);
    expect(diffs.every((d) => d >= -1n && d <= 1n)).toBe(true);
    expect(diffs.filter((d) => d !== 0n).length).toBe(0);
    // every bus but the upstream one balances to under 1 W (whole W truncated toward 0), τ_f being 50 W
    expect(DEFAULT_TOLERANCES.flowW).toBe(50n);
    for (let i = 1; i < mismatch.length; i++) expect(mismatch[i], `bus ${i + 1}`).toBe(0n);
  });
});
