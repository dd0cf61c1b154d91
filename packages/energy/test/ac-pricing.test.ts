// A market configured with `pricing: 'ac'` on a real feeder (case33bw with its resistances and voltage
// limits, registered with networkToJson(net, { ac: true })): the interval clears with the AC-OPF inside
// the block; a second app fed the same blocks reaches the same app hash (Chain's mirror); the stored LMPs
// equal the integer certificate's and rise along the feeder (losses); the AC clearing record checks
// against its hashes and its certificate verifies, while a tampered one does not; the rent is the
// merchandising surplus (losses and congestion). Bad input: an AC market whose upstream bus is not the
// reference bus fails the interval with its reason and releases every escrow; a bad `pricing` value is
// refused by the config checks. The second settlement of an AC market prices the metered injections with
// the AC model too: real-time prices rise along the feeder where the DC model's are flat, the energy
// balance against the upstream meter subtracts the model's losses, and an AC real-time solve that cannot
// run says why (the settlement then falls back to the forward prices).
import { fileURLToPath } from 'node:url';
import { CASH_ADDRESS } from '@gridledger/execution';
import { loadMatpower } from '@gridledger/grid';
import { verifyAcCertificate } from '@gridledger/market';
import { describe, expect, it } from 'vitest';
import {
  acNetworkOf,
  acRealtimePrices,
  checkMarketConfig,
  clearedNetworkOf,
  dcRealtimePrices,
  decodeMarketConfigJson,
  decodeSigned,
  encodeMarketConfigJson,
  findAcClearingRecord,
  findClearingRecord,
  INTERVAL_STATUS,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  METERS_ABI,
  METERS_ADDRESS,
  marketKeys,
  networkFromJson,
  networkToJson,
  type RealtimePricingInput,
  readAcBus,
  readAcLossesW,
  readClearingInputs,
  registryView,
} from '../src/index.ts';
import {
  account,
  buildGenesis,
  Chain,
  HOUR,
  signReading,
  testMarketConfig,
  twoBusNetwork,
} from './harness.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const USD = 1_000_000n;
const K = 2n;
const admin = account('ac admin');
const operator = account('ac operator');
const far = account('ac far buyer'); // bus 18, end of the main feeder
const near = account('ac near buyer'); // bus 2
const der = account('ac der'); // seller at bus 33
const START = 10n ** 12n;

/** Meters of the three parties (ids 1..3 at buses 18, 2, 33) and the upstream's (id 1000 at bus 1). */
const meterKeys = [account('ac meter far'), account('ac meter near'), account('ac meter der')];
const upMeterKey = account('ac meter upstream');

async function runMarket(config: MarketConfig, options: { meters?: boolean } = {}) {
  const net = await loadMatpower(`${CASES}case33bw.m`);
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: START },
      { who: far, roles: ['PARTICIPANT_ROLE'], cash: START },
      { who: near, roles: ['PARTICIPANT_ROLE'], cash: START },
      { who: der, roles: ['PARTICIPANT_ROLE'], cash: START },
    ]),
    config,
  );
  const parties = [
    [far, 18n],
    [near, 2n],
    [der, 33n],
  ] as const;
  const reg = await chain.registrationTxs(
    operator,
    admin,
    networkToJson(net, { ac: true }),
    parties.map(([who, bus]) => [who, [bus]] as const),
    options.meters === true
      ? [
          ...parties.map(([owner, bus], i) => ({
            id: BigInt(i + 1),
            key: meterKeys[i]!,
            bus,
            owner,
            capacityW: 10_000_000n,
          })),
          { id: 1000n, key: upMeterKey, bus: 1n, owner: operator, capacityW: 100_000_000n },
        ]
      : [],
  );
  const b1 = await chain.block(1_000n, reg);
  expect(b1.outcomes.map((o) => o.reason ?? (o.ok ? 'ok' : o.error))).toEqual(reg.map(() => 'ok'));
  const orders = [
    await chain.tx(far, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      18n,
      0,
      [{ energyWh: 600_000n, priceMicrosPerMWh: 180n * USD }],
    ]),
    await chain.tx(near, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      2n,
      0,
      [{ energyWh: 400_000n, priceMicrosPerMWh: 180n * USD }],
    ]),
    await chain.tx(der, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      33n,
      1,
      [{ energyWh: 300_000n, priceMicrosPerMWh: 20n * USD }],
    ]),
  ];
  const b2 = await chain.block(2_000n, orders);
  expect(b2.outcomes.every((o) => o.ok)).toBe(true);
  const read = readClearingInputs(chain.state, config, K);
  const gate = await chain.block(K * HOUR, []);
  return { chain, read, gate };
}

describe("pricing: 'ac' on chain", () => {
  it('clears with the AC-OPF in the block: same app hash on a second app, certified integer prices rising along the feeder', async () => {
    const config = testMarketConfig(operator.addr, { firstInterval: K, pricing: 'ac' });
    const { chain, read, gate } = await runMarket(config);
    expect(chain.invariantFailures).toEqual([]);
    const iv = marketKeys.interval(K);
    expect(chain.state.get(iv.status)).toBe(INTERVAL_STATUS.cleared);
    const lmp = (bus: number) => chain.view<bigint>(MARKET_ADDRESS, MARKET_ABI, 'lmp', [K, BigInt(bus)]);
    // The upstream's import price at the substation; losses raise prices with distance along the feeder.
    expect(lmp(1)).toBe(100n * USD);
    expect(lmp(2)).toBeGreaterThan(lmp(1));
    expect(lmp(6)).toBeGreaterThan(lmp(2));
    expect(lmp(18)).toBeGreaterThan(lmp(6));
    // The record: AC result and integer certificate, checked against their hashes in state.
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    const rec = findAcClearingRecord(gate.record!.logs, chain.state, K)!;
    expect(rec).toBeDefined();
    expect(() => findClearingRecord(gate.record!.logs, chain.state, K)).toThrow(/AC clearing/);
    const acNet = acNetworkOf(networkFromJson(registryView.network(chain.state)!), config);
    expect(typeof acNet).not.toBe('string');
    if (typeof acNet === 'string') return;
    const check = verifyAcCertificate(acNet, read.inputs.engineOrders, rec.certificate);
    expect(check.failures).toEqual([]);
    expect(check.powerFlowResidualPu).toBeLessThan(1e-7);
    for (const b of rec.certificate.buses) {
      expect(lmp(b.id)).toBe(b.lmp);
      // The AC words beside the LMP (served by gl_prices): the certificate's components and |V|.
      const a = readAcBus(chain.state, K, b.id)!;
      expect(a.loss).toBe(b.lmpLoss);
      expect(a.congestion).toBe(b.lmpCongestion);
      expect(a.vmMicroPu).toBe(b.vmPicoPu / 1_000_000n);
    }
    expect(readAcLossesW(chain.state, K)).toBe(rec.certificate.lossesW);
    expect(readAcBus(chain.state, K + 1n, 1)).toBeUndefined();
    const result = rec.result as {
      pricing: string;
      lossesMw: number;
      merchandisingSurplus: number;
      surplusSplit: { energy: number; loss: number; congestion: number; voltage: number };
      buses: { id: number; vm: number }[];
    };
    // The surplus split: all loss surplus here (no limit binds), the parts summing to the surplus.
    const sp = result.surplusSplit;
    expect(sp.energy + sp.loss + sp.congestion + sp.voltage).toBeCloseTo(result.merchandisingSurplus, 9);
    expect(sp.energy + sp.loss).toBeGreaterThan(0);
    expect(Math.abs(sp.congestion)).toBeLessThan(1e-9);
    expect(result.pricing).toBe('ac');
    expect(result.lossesMw).toBeGreaterThan(0);
    const vm18 = result.buses.find((b) => b.id === 18)!.vm;
    expect(vm18).toBeLessThan(0.99);
    // Tampered: a voltage moved by 1e-4 p.u. breaks the power flow; a price moved breaks the sum.
    const badV = structuredClone(rec.certificate);
    badV.buses[17]!.vmPicoPu += 100_000_000n;
    expect(verifyAcCertificate(acNet, read.inputs.engineOrders, badV).failures.join()).toMatch(/power-flow/);
    const badP = structuredClone(rec.certificate);
    badP.buses[5]!.lmp += 1000n;
    expect(verifyAcCertificate(acNet, read.inputs.engineOrders, badP).ok).toBe(false);
    // Rent = buyers' payments - sellers' receipts (the upstream's sale included): the merchandising
    // surplus, > 0 with losses, to the grid operator.
    const amount = (id: bigint) =>
      chain.view<{ amount: bigint; clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [id]);
    const [o1, o2, o3] = [amount(1n), amount(2n), amount(3n)];
    expect(o1.clearedWh).toBe(600_000n);
    expect(o3.clearedWh).toBe(300_000n);
    const upReceived = decodeSigned(chain.state.get(iv.upReceived));
    const rent = decodeSigned(chain.state.get(iv.rent));
    expect(rent).toBe(o1.amount + o2.amount - o3.amount - upReceived);
    expect(rent).toBeGreaterThan(0n);
    // Sold (the DER and the upstream) exceeds bought by the losses.
    const soldWh = o3.clearedWh + chain.state.get(iv.upSoldWh);
    const lossWh = soldWh - o1.clearedWh - o2.clearedWh;
    expect(Math.abs(Number(lossWh) - result.lossesMw * 1e6)).toBeLessThanOrEqual(2);
  });

  it('fails the interval with its reason when the upstream bus is not the reference bus', async () => {
    const config = testMarketConfig(operator.addr, {
      firstInterval: K,
      pricing: 'ac',
      upstream: { bus: 2 },
    });
    const { chain } = await runMarket(config);
    expect(chain.invariantFailures).toEqual([]);
    expect(chain.state.get(marketKeys.interval(K).status)).toBe(INTERVAL_STATUS.failed);
    // Every escrow released: the participants hold their starting cash.
    for (const who of [far, near, der])
      expect(chain.state.get(`${CASH_ADDRESS}:bal:${who.addr}`)).toBe(START);
  });

  it('checks the pricing field: JSON round trip, default dc, bad values refused', () => {
    const base = testMarketConfig(operator.addr);
    expect(decodeMarketConfigJson(encodeMarketConfigJson(base)).pricing).toBeUndefined();
    const ac = { ...base, pricing: 'ac' as const };
    expect(decodeMarketConfigJson(encodeMarketConfigJson(ac)).pricing).toBe('ac');
    expect(() => checkMarketConfig({ ...base, pricing: 'acdc' as 'ac' })).toThrow(/pricing/);
    expect(() => decodeMarketConfigJson({ ...encodeMarketConfigJson(base), pricing: 'AC' })).toThrow(
      /energy\.pricing: expected "dc" or "ac"/,
    );
  });
});

describe("pricing: 'ac': real-time prices of the second settlement", () => {
  it('prices the metered injections with the AC model: prices rise along the feeder where DC is flat', async () => {
    const config = testMarketConfig(operator.addr, {
      firstInterval: K,
      pricing: 'ac',
      upstream: { meter: 1000n },
    });
    const { chain } = await runMarket(config, { meters: true });
    const iv = marketKeys.interval(K);
    expect(chain.state.get(iv.status)).toBe(INTERVAL_STATUS.cleared);
    // Metered: the far buyer consumed 0.8 MWh (bought 0.6: short 0.2), the near one its 0.4, the DER
    // exported its 0.3. Hour intervals: MWh = MW.
    const metered = [
      { meter: 1n, interval: K, importedWh: 800_000n, exportedWh: 0n },
      { meter: 2n, interval: K, importedWh: 400_000n, exportedWh: 0n },
      { meter: 3n, interval: K, importedWh: 0n, exportedWh: 300_000n },
    ];
    // The same metered state priced outside the chain, by both models, on the network the interval cleared on.
    const network = clearedNetworkOf(chain.state, K)!;
    expect(network.branches[0]!.rPu).toBeGreaterThan(0); // the cleared network keeps its AC data
    const input: RealtimePricingInput = {
      network,
      injectionMw: new Map([
        [18, -0.8],
        [2, -0.4],
        [33, 0.3],
      ]),
      upstream: { bus: 1, importPriceMicrosPerMWh: 100n * USD, exportPriceMicrosPerMWh: 1n * USD },
      priceCapMicrosPerMWh: config.imbalance.priceCapMicrosPerMWh,
      priceFloorMicrosPerMWh: config.imbalance.priceFloorMicrosPerMWh,
    };
    const ac = await acRealtimePrices(input);
    const dc = await dcRealtimePrices(input);
    expect(ac.ok && dc.ok).toBe(true);
    if (!ac.ok || !dc.ok) return;
    // Pure function of its input: the same bytes twice.
    const again = await acRealtimePrices(input);
    expect(again.ok && [...again.pricesMicrosPerMWh]).toEqual([...ac.pricesMicrosPerMWh]);
    const lossesWh = ac.lossesW!; // hour interval: W = Wh
    expect(lossesWh).toBeGreaterThan(1_000n);
    // The upstream meter sees the net consumption plus the losses.
    const upstream = { meter: 1000n, interval: K, importedWh: 0n, exportedWh: 900_000n + lossesWh };
    const sigs = [
      ...(await Promise.all(metered.map((r, i) => signReading(meterKeys[i]!, r)))),
      await signReading(upMeterKey, upstream),
    ];
    const b = await chain.block((K + 1n) * HOUR, [
      await chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'submitReadings', [[...metered, upstream], sigs]),
    ]);
    expect(b.outcomes[0]!.reason ?? 'ok').toBe('ok');
    await chain.block((K + 2n) * HOUR, []);
    expect(chain.state.get(iv.status)).toBe(INTERVAL_STATUS.settled);
    expect(chain.invariantFailures).toEqual([]);
    expect(chain.state.get(iv.rtPriced)).toBe(1n);
    const rt = (bus: number) => decodeSigned(chain.state.get(iv.rtLmp(bus)));
    // Stored prices are the AC pricer's, bit for bit; they rise with distance from the substation.
    for (const [bus, p] of ac.pricesMicrosPerMWh) expect(rt(bus)).toBe(p);
    expect(rt(1)).toBe(100n * USD);
    expect(rt(2)).toBeGreaterThan(rt(1));
    expect(rt(6)).toBeGreaterThan(rt(2));
    expect(rt(18)).toBeGreaterThan(rt(6));
    expect(rt(18)).toBeGreaterThan(101n * USD);
    // The DC model on the same injections is flat at the import price (no limit binds, no losses).
    for (const p of dc.pricesMicrosPerMWh.values()) expect(p).toBe(100n * USD);
    // The far buyer's 0.2 MWh short is charged at max(λ_fwd, λ_rt) + δ at bus 18.
    expect(decodeSigned(chain.state.get(iv.deviationWh(far.addr, 18)))).toBe(-200_000n);
    // Energy balance: the upstream meter's surplus over the readings is the modelled losses, not a flag.
    expect(decodeSigned(chain.state.get(iv.balanceMismatchWh))).toBe(0n);
    expect(chain.state.get(iv.flagged)).toBe(0n);
  });

  it('says why it cannot price: upstream bus not the reference, bad metered state', async () => {
    const net = await loadMatpower(`${CASES}case33bw.m`);
    const base: RealtimePricingInput = {
      network: net,
      injectionMw: new Map([[18, -0.5]]),
      upstream: { bus: 2, importPriceMicrosPerMWh: 100n * USD, exportPriceMicrosPerMWh: 1n * USD },
      priceCapMicrosPerMWh: 200n * USD,
      priceFloorMicrosPerMWh: 0n,
    };
    const r = await acRealtimePrices(base);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/upstream bus 2 .*reference bus \(1\)/) });
    const nan = await acRealtimePrices({
      ...base,
      upstream: { ...base.upstream, bus: 1 },
      injectionMw: new Map([[18, Number.NaN]]),
    });
    expect(nan.ok).toBe(false);
  });
});

describe("pricing: 'ac': credits with losses", () => {
  // A 2-bus feeder with resistance (10 MVA base, r = 0.05 p.u.): a local seller at bus 2 offers 1 MWh, a
  // buyer at the substation (bus 1) buys 0.5 MWh; the seller clears 0.5 MWh plus the losses on the line.
  // Its promises hold only what reached bus 1 (no one holds a promise for the losses): it delivers all it
  // sold and must not be credited beyond its promises.
  it('credits no promise beyond its energy when the seller delivers what it sold, losses included', async () => {
    const seller = account('ac loss seller');
    const buyer = account('ac loss buyer');
    const keys = [account('ac loss meter s'), account('ac loss meter b')];
    const config = testMarketConfig(operator.addr, { firstInterval: K, pricing: 'ac' });
    const chain = await Chain.start(
      buildGenesis(admin, [
        { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: START },
        { who: seller, roles: ['PARTICIPANT_ROLE'], cash: START },
        { who: buyer, roles: ['PARTICIPANT_ROLE'], cash: START },
      ]),
      config,
    );
    const feeder = twoBusNetwork('lossy feeder', { baseMVA: 10, rPu: 0.05 });
    const setup = await chain.registrationTxs(
      operator,
      admin,
      feeder,
      [
        [seller, [2n]],
        [buyer, [1n]],
      ],
      [
        { id: 1n, key: keys[0]!, bus: 2n, owner: seller, capacityW: 10_000_000n },
        { id: 2n, key: keys[1]!, bus: 1n, owner: buyer, capacityW: 10_000_000n },
      ],
    );
    const b1 = await chain.block(1_000n, setup);
    expect(b1.outcomes.map((o) => o.reason ?? 'ok')).toEqual(setup.map(() => 'ok'));
    const orders = [
      await chain.tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        2n,
        1,
        [{ energyWh: 1_000_000n, priceMicrosPerMWh: 10n * USD }],
      ]),
      await chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        1n,
        0,
        [{ energyWh: 500_000n, priceMicrosPerMWh: 180n * USD }],
      ]),
    ];
    const b2 = await chain.block(2_000n, orders);
    expect(b2.outcomes.map((o) => o.reason ?? 'ok')).toEqual(orders.map(() => 'ok'));
    await chain.block(K * HOUR, []);
    const iv = marketKeys.interval(K);
    expect(chain.state.get(iv.status)).toBe(INTERVAL_STATUS.cleared);
    const sold = chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [1n]).clearedWh;
    // It clears what the buyer takes plus the losses on the way (the upstream bid, 1 $/MWh, is below its offer).
    expect(sold).toBeGreaterThan(500_000n);
    type PromiseView = { seller: string; energyWh: bigint; deliveredWh: bigint; settled: boolean };
    const promiseIds = (() => {
      const first = chain.state.get(iv.firstPromise);
      const n = chain.state.get(iv.promises);
      return Array.from({ length: Number(n) }, (_, i) => first + BigInt(i));
    })();
    const promise = (id: bigint) => chain.view<PromiseView>(MARKET_ADDRESS, MARKET_ABI, 'promiseOf', [id]);
    const mine = promiseIds.filter((id) => promise(id).seller.toLowerCase() === seller.addr.toLowerCase());
    const promised = mine.reduce((a, id) => a + promise(id).energyWh, 0n);
    // Losses: the seller's promises hold less than it sold.
    expect(promised).toBe(500_000n);
    expect(sold - promised).toBeGreaterThan(500n);
    const readings = [
      { meter: 1n, interval: K, importedWh: 0n, exportedWh: sold },
      { meter: 2n, interval: K, importedWh: 500_000n, exportedWh: 0n },
    ];
    const b3 = await chain.block((K + 1n) * HOUR, [
      await chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
        readings,
        [await signReading(keys[0]!, readings[0]!), await signReading(keys[1]!, readings[1]!)],
      ]),
    ]);
    expect(b3.outcomes[0]!.reason ?? 'ok').toBe('ok');
    await chain.block((K + 2n) * HOUR, []);
    expect(chain.state.get(iv.status)).toBe(INTERVAL_STATUS.settled);
    expect(chain.invariantFailures).toEqual([]);
    for (const id of promiseIds) {
      const p = promise(id);
      expect(p.settled).toBe(true);
      expect(p.deliveredWh).toBeLessThanOrEqual(p.energyWh);
    }
    // Every promise of the seller is delivered in full; the loss energy it sold is credited to no one.
    expect(mine.reduce((a, id) => a + promise(id).deliveredWh, 0n)).toBe(promised);
    // It delivered what it sold: no deviation.
    expect(decodeSigned(chain.state.get(iv.deviationWh(seller.addr, 2)))).toBe(0n);
  });
});
