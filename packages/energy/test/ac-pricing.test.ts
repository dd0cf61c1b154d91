// A market configured with `pricing: 'ac'` on a real feeder (case33bw with its resistances and voltage
// limits, registered with networkToJson(net, { ac: true })): the interval clears with the AC-OPF inside
// the block; a second app fed the same blocks reaches the same app hash (Chain's mirror); the stored LMPs
// equal the integer certificate's and rise along the feeder (losses); the AC clearing record checks
// against its hashes and its certificate verifies, while a tampered one does not; the rent is the
// merchandising surplus (losses and congestion). Bad input: an AC market whose upstream bus is not the
// reference bus fails the interval with its reason and releases every escrow; a bad `pricing` value is
// refused by the config checks.
import { fileURLToPath } from 'node:url';
import { CASH_ADDRESS } from '@gridledger/execution';
import { loadMatpower } from '@gridledger/grid';
import { verifyAcCertificate } from '@gridledger/market';
import { describe, expect, it } from 'vitest';
import {
  acNetworkOf,
  checkMarketConfig,
  decodeMarketConfigJson,
  decodeSigned,
  encodeMarketConfigJson,
  findAcClearingRecord,
  findClearingRecord,
  INTERVAL_STATUS,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  marketKeys,
  networkFromJson,
  networkToJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  readAcBus,
  readAcLossesW,
  readClearingInputs,
  registryView,
} from '../src/index.ts';
import { account, buildGenesis, Chain, HOUR, testMarketConfig } from './harness.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const USD = 1_000_000n;
const K = 2n;
const admin = account('ac admin');
const operator = account('ac operator');
const far = account('ac far buyer'); // bus 18, end of the main feeder
const near = account('ac near buyer'); // bus 2
const der = account('ac der'); // seller at bus 33
const START = 10n ** 12n;

async function runMarket(config: MarketConfig) {
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
  const reg = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [
      JSON.stringify(networkToJson(net, { ac: true })),
    ]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [far.addr, [18n]]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [near.addr, [2n]]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [der.addr, [33n]]),
  ];
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
