// The digital twin of a market configured with `pricing: 'ac'` (docs/market-rules.md §10a, "Digital
// twin"; docs/ac-opf.md): the AC power flow of the metered net injections on the network the interval
// cleared on, the upstream (reference) bus absorbing the losses. Shown here:
// - exact deliveries on case33bw (every meter reads what its order cleared): the stored flows equal the
//   cleared AC flows to a few W and no FlowDeviation is emitted, where a DC power flow of the same metered
//   injections misses the cleared flows by the losses (more than FLOW_DEVIATION_W on the feeder head);
// - a line whose RATE_A the metered state breaks in apparent power while its real power stays below it
//   (a 2-bus feeder with line charging) gives a FlowDeviation with overLimit;
// - bad input: metered injections the feeder cannot carry (no power-flow solution) settle without
//   throwing, write no flows, mark the twin not computed and say why (DigitalTwinFailed).
import { fileURLToPath } from 'node:url';
import { loadMatpower, solveDcPowerFlow } from '@gridledger/grid';
import { decodeEventLog } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  acTwinFlows,
  clearedNetworkOf,
  decodeSigned,
  FLOW_DEVIATION_W,
  INTERVAL_STATUS,
  MARKET_ABI,
  MARKET_ADDRESS,
  METERS_ABI,
  METERS_ADDRESS,
  marketKeys,
  meteredInjectionsMw,
  type NetworkJson,
  networkFromJson,
  networkToJson,
  partyPositions,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
  readingDomain,
} from '../src/index.ts';
import {
  account,
  buildGenesis,
  CHAIN_ID,
  Chain,
  HOUR,
  type TestAccount,
  testMarketConfig,
} from './harness.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const USD = 1_000_000n;
const K = 2n;
const admin = account('twin admin');
const operator = account('twin operator');
const START = 10n ** 12n;

interface Party {
  who: TestAccount;
  meterKey: TestAccount;
  bus: number;
  side: 0 | 1; // 0 buy, 1 sell
  energyWh: bigint;
  priceMicrosPerMWh: bigint;
}

/** An AC market on `network` with one order and one meter (capacity `capacityW`) per party, cleared. */
async function clearedMarket(network: NetworkJson, parties: Party[], capacityW = 10_000_000n) {
  const config = testMarketConfig(operator.addr, { firstInterval: K, pricing: 'ac' });
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: START },
      ...parties.map((p) => ({ who: p.who, roles: ['PARTICIPANT_ROLE' as const], cash: START })),
    ]),
    config,
  );
  const setup = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(network)]),
  ];
  for (const [i, p] of parties.entries()) {
    setup.push(
      await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [
        p.who.addr,
        [BigInt(p.bus)],
      ]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
        BigInt(i + 1),
        p.meterKey.addr,
        BigInt(p.bus),
        p.who.addr,
        capacityW,
      ]),
    );
  }
  const b1 = await chain.block(1_000n, setup);
  expect(b1.outcomes.map((o) => o.reason ?? 'ok')).toEqual(setup.map(() => 'ok'));
  const orders = [];
  for (const p of parties)
    orders.push(
      await chain.tx(p.who, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        BigInt(p.bus),
        p.side,
        [{ energyWh: p.energyWh, priceMicrosPerMWh: p.priceMicrosPerMWh }],
      ]),
    );
  const b2 = await chain.block(2_000n, orders);
  expect(b2.outcomes.map((o) => o.reason ?? 'ok')).toEqual(orders.map(() => 'ok'));
  await chain.block(K * HOUR, []);
  expect(chain.state.get(marketKeys.interval(K).status)).toBe(INTERVAL_STATUS.cleared);
  return { chain, config };
}

/** Submits the meters' readings (net Wh per party: > 0 exported) and settles interval K; the settlement block's market events. */
async function settleWith(chain: Chain, parties: Party[], netWh: bigint[]) {
  const readings: Reading[] = parties.map((_, i) => ({
    meter: BigInt(i + 1),
    interval: K,
    importedWh: netWh[i]! < 0n ? -netWh[i]! : 0n,
    exportedWh: netWh[i]! > 0n ? netWh[i]! : 0n,
  }));
  const sigs = await Promise.all(
    readings.map((r, i) =>
      parties[i]!.meterKey.signTypedData({
        domain: readingDomain(CHAIN_ID),
        types: READING_TYPES,
        primaryType: 'Reading',
        message: r,
      }),
    ),
  );
  const b = await chain.block((K + 1n) * HOUR, [
    await chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'submitReadings', [readings, sigs]),
  ]);
  expect(b.outcomes[0]!.reason ?? 'ok').toBe('ok');
  const s =
    chain.state.get(marketKeys.interval(K).status) === INTERVAL_STATUS.settled
      ? b
      : await chain.block((K + 2n) * HOUR, []);
  expect(chain.state.get(marketKeys.interval(K).status)).toBe(INTERVAL_STATUS.settled);
  expect(chain.invariantFailures).toEqual([]);
  return s
    .record!.logs.filter((l) => l.address === MARKET_ADDRESS)
    .map((l) => decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [`0x${string}`], data: l.data }));
}

const clearedWh = (chain: Chain, id: bigint) =>
  chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [id]).clearedWh;
const abs = (x: bigint) => (x < 0n ? -x : x);

/** A 2-bus feeder (10 MVA base): substation bus 1, bus 2 behind a line with resistance and charging. */
const twoBus = (rateAMw: number, bPu: number): NetworkJson => ({
  name: 'charged feeder',
  baseMVA: 10,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
  ],
  branches: [
    {
      index: 1,
      from: 1,
      to: 2,
      xPu: 0.1,
      rPu: 0.05,
      bPu,
      rateAMw,
      tap: 0,
      shiftDeg: 0,
      status: 1,
      angminDeg: -360,
      angmaxDeg: 360,
    },
  ],
});

describe("pricing: 'ac': the digital twin is an AC power flow", () => {
  it('exact deliveries on case33bw: the twin reproduces the cleared AC flows, no FlowDeviation (a DC twin misses them by the losses)', async () => {
    const net = await loadMatpower(`${CASES}case33bw.m`);
    const parties: Party[] = [
      {
        who: account('twin far'),
        meterKey: account('twin m far'),
        bus: 18,
        side: 0,
        energyWh: 600_000n,
        priceMicrosPerMWh: 180n * USD,
      },
      {
        who: account('twin near'),
        meterKey: account('twin m near'),
        bus: 2,
        side: 0,
        energyWh: 400_000n,
        priceMicrosPerMWh: 180n * USD,
      },
      {
        who: account('twin der'),
        meterKey: account('twin m der'),
        bus: 33,
        side: 1,
        energyWh: 300_000n,
        priceMicrosPerMWh: 20n * USD,
      },
    ];
    const { chain, config } = await clearedMarket(networkToJson(net, { ac: true }), parties);
    const sides = [-1n, -1n, 1n];
    const cleared = parties.map((_, i) => sides[i]! * clearedWh(chain, BigInt(i + 1)));
    expect(cleared).toEqual([-600_000n, -400_000n, 300_000n]);
    const events = await settleWith(chain, parties, cleared);
    const iv = marketKeys.interval(K);
    expect(chain.state.get(iv.twinComputed)).toBe(1n);
    expect(events.filter((e) => e.eventName === 'FlowDeviation')).toEqual([]);
    expect(events.filter((e) => e.eventName === 'DigitalTwinFailed')).toEqual([]);
    let worst = 0n;
    for (const br of net.branches) {
      const flow = decodeSigned(chain.state.get(iv.flowW(br.index)));
      const actual = decodeSigned(chain.state.get(iv.actualFlowW(br.index)));
      if (abs(actual - flow) > worst) worst = abs(actual - flow);
    }
    // Hour intervals: Wh = W; the orders' integer Wh and the stored |V| at the substation (µp.u.) are the
    // only differences from the clearing's own solution (measured: 0 W on every branch).
    expect(worst).toBeLessThanOrEqual(1n);
    // The feeder head carries the losses of the whole feeder: 0.7 MW net plus the losses (25.9 kW).
    const head = decodeSigned(chain.state.get(iv.actualFlowW(1)));
    expect(head).toBeGreaterThan(700_000n + FLOW_DEVIATION_W);
    // The DC power flow of the same metered injections (what the twin computed before): lossless, so it
    // misses the cleared AC flow on the feeder head by the losses, beyond the deviation threshold.
    const dcNet = clearedNetworkOf(chain.state, K)!;
    const inj = meteredInjectionsMw(config, partyPositions(chain.state, config, K));
    for (const b of dcNet.buses) b.pdMw = -(inj.get(b.id) ?? 0);
    const dc = solveDcPowerFlow(dcNet, []);
    const dcHeadW = BigInt(Math.round(dc.flowMw[0]! * 1e6));
    expect(dcHeadW).toBe(700_000n);
    expect(head - dcHeadW).toBeGreaterThan(FLOW_DEVIATION_W);
  });

  it('flags a line the metered state overloads in apparent power (MVA) while its real power is below RATE_A', async () => {
    // Charging b = 0.06 p.u. (about 0.6 MVAr at 1 p.u.), RATE_A 1 MVA. Cleared: 0.5 MW to bus 2 (|S| about
    // 0.8 MVA, within the limit). Metered: 0.9 MW, below 1 MW but |S| about 1.1 MVA.
    const buyer: Party = {
      who: account('twin mva buyer'),
      meterKey: account('twin mva meter'),
      bus: 2,
      side: 0,
      energyWh: 500_000n,
      priceMicrosPerMWh: 180n * USD,
    };
    const { chain } = await clearedMarket(twoBus(1, 0.06), [buyer]);
    expect(clearedWh(chain, 1n)).toBe(500_000n);
    const events = await settleWith(chain, [buyer], [-900_000n]);
    const iv = marketKeys.interval(K);
    expect(chain.state.get(iv.twinComputed)).toBe(1n);
    const actual = decodeSigned(chain.state.get(iv.actualFlowW(1)));
    expect(actual).toBeGreaterThan(900_000n); // the load and the losses
    expect(actual).toBeLessThan(1_000_000n); // real power within RATE_A
    const dev = events.filter((e) => e.eventName === 'FlowDeviation');
    expect(dev).toHaveLength(1);
    expect(dev[0]!.args).toMatchObject({
      interval: K,
      branch: 1n,
      actualFlowW: actual,
      clearedFlowW: decodeSigned(chain.state.get(iv.flowW(1))),
      limitW: 1_000_000n,
      overLimit: true,
    });
  });

  it('bad input: metered injections the feeder cannot carry settle without throwing, no flows stored, and say why', async () => {
    const buyer: Party = {
      who: account('twin huge buyer'),
      meterKey: account('twin huge meter'),
      bus: 2,
      side: 0,
      energyWh: 500_000n,
      priceMicrosPerMWh: 180n * USD,
    };
    // 0 = unlimited; no charging. 100 MW through 0.05 + j0.1 p.u. on 10 MVA: far past the nose of the curve.
    const { chain } = await clearedMarket(twoBus(0, 0), [buyer], 200_000_000n);
    const events = await settleWith(chain, [buyer], [-100_000_000n]);
    const iv = marketKeys.interval(K);
    expect(chain.state.get(iv.twinComputed)).toBe(0n);
    expect(chain.state.get(iv.actualFlowW(1))).toBe(0n);
    const failed = events.filter((e) => e.eventName === 'DigitalTwinFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.args).toMatchObject({ interval: K, reason: expect.stringMatching(/power flow/) });
    expect(events.some((e) => e.eventName === 'IntervalSettled')).toBe(true);
    // The deviation is still settled (at the forward prices when the real-time AC-OPF cannot price it).
    expect(decodeSigned(chain.state.get(iv.deviationWh(buyer.who.addr, 2)))).toBe(-99_500_000n);
  });

  it('acTwinFlows: a pure function of its input; bad input is a reason, never a throw', async () => {
    const net = networkFromJson(networkToJson(await loadMatpower(`${CASES}case33bw.m`), { ac: true }));
    const inj = new Map([
      [18, -0.6],
      [33, 0.3],
      [1, 0.3],
    ]);
    const a = acTwinFlows(net, 1, 1.02, inj);
    expect(a.ok).toBe(true);
    expect(acTwinFlows(net, 1, 1.02, inj)).toEqual(a);
    // The input network is not changed (no loads written into it).
    expect(net.buses.every((b) => b.pdMw === 0)).toBe(true);
    // A higher substation voltage: less current, lower losses on the feeder head.
    const b = acTwinFlows(net, 1, 1.05, inj);
    if (!a.ok || !b.ok) return;
    expect(b.branches[0]!.pFromW).toBeLessThan(a.branches[0]!.pFromW);
    expect(acTwinFlows(net, 2, 1, inj)).toEqual({
      ok: false,
      reason: expect.stringMatching(/upstream bus 2 .*reference bus \(1\)/),
    });
    expect(acTwinFlows(net, 1, 1, new Map([[18, Number.NaN]]))).toEqual({
      ok: false,
      reason: 'non-finite injection at bus 18',
    });
    // An island (the line into bus 18 out of service): AC needs one connected network.
    const cut = { ...net, branches: net.branches.map((br) => (br.index === 17 ? { ...br, status: 0 } : br)) };
    const island = acTwinFlows(cut, 1, 1, inj);
    expect(island.ok).toBe(false);
    expect(!island.ok && island.reason).toMatch(/AC power flow invalid-network/);
  });
});
