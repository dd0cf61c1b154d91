// Market rules on a 3-bus network, in process: a line limit set by the grid operator applies at the next
// gate; the per-account order limit; settlement before the deadline once every expected reading is in;
// an imbalance payment the grid operator cannot cover fails loudly (event and reason) and creates no
// money; an interval that cannot clear (upstream bus not in the network) fails and releases every escrow.
import { CASH_ADDRESS, CREDITS_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import { clearNetwork } from '@gridledger/market';
import { decodeEventLog } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  checkEnergyInvariants,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  METERS_ABI,
  METERS_ADDRESS,
  marketKeys,
  type NetworkJson,
  networkFromJson,
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
  line,
  TEST_METER_CAPACITY_W,
  testMarketConfig,
} from './harness.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;
const HOUR = 3_600_000n;
const K = 5n;
const GATE = K * HOUR;
const END = (K + 1n) * HOUR;

const NET: NetworkJson = {
  name: 'three',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
    { id: 3, type: 1 },
  ],
  branches: [line(1, 1, 2, 0.1, 0), line(2, 2, 3, 0.1, 0), line(3, 1, 3, 0.1, 0)],
};

const admin = account('r admin');
const operator = account('r operator');
const seller = account('r seller');
const buyer = account('r buyer');
const mSeller = account('r meter seller');
const mBuyer = account('r meter buyer');

function config(upstreamBus: number): MarketConfig {
  return testMarketConfig(operator.addr, {
    firstInterval: K,
    upstream: { bus: upstreamBus, capacityWh: 100n * MWH },
    maxOrdersPerAccount: 1,
  });
}

async function start(upstreamBus: number) {
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
      { who: seller, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
      { who: buyer, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
    ]),
    config(upstreamBus),
  );
  const txs = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
      1n,
      mSeller.addr,
      3n,
      seller.addr,
      TEST_METER_CAPACITY_W,
    ]),
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
      2n,
      mBuyer.addr,
      2n,
      buyer.addr,
      TEST_METER_CAPACITY_W,
    ]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [seller.addr, [3n]]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [buyer.addr, [2n]]),
  ];
  const b = await chain.block(1_000n, txs);
  expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(txs.map(() => 'ok'));
  return chain;
}

const sell = [{ energyWh: 30n * MWH, priceMicrosPerMWh: 10n * USD }];
const buy = [{ energyWh: 30n * MWH, priceMicrosPerMWh: 50n * USD }];

function events(logs: { address: string; topics: `0x${string}`[]; data: `0x${string}` }[]) {
  return logs
    .filter((l) => l.address === MARKET_ADDRESS)
    .map((l) => decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [`0x${string}`], data: l.data }));
}

describe('market rules on a 3-bus network', () => {
  it('line limit applies at the next gate; order limit; early settlement; uncovered imbalance payment fails loudly', async () => {
    const chain = await start(1);
    const cash = (a: { addr: `0x${string}` }) =>
      chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [a.addr]);
    const supply0 = chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'totalSupply');
    const txs = [
      await chain.tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 3n, 1, sell]),
      await chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, buy]),
      await chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, buy]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [2n, 5n * MWH]),
    ];
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual([
      'ok',
      'ok',
      expect.stringContaining('already has 1 orders in interval 5 (limit 1)'),
      'ok',
    ]);

    await chain.block(GATE, []);
    // Off-chain: the same network with branch 2 limited to 5 MW.
    const ref = await clearNetwork(networkFromJson(NET, new Map([[2, 5]])), [
      { id: 'o1', bus: 3, side: 'sell', steps: [{ price: 10, quantity: 30 }] },
      { id: 'o2', bus: 2, side: 'buy', steps: [{ price: 50, quantity: 30 }] },
      { id: 'up-sell', bus: 1, side: 'sell', steps: [{ price: 100, quantity: 100 }] },
      { id: 'up-buy', bus: 1, side: 'buy', steps: [{ price: 1, quantity: 0 }] },
    ]);
    for (const bus of ref.buses) {
      expect(chain.view<bigint>(MARKET_ADDRESS, MARKET_ABI, 'lmp', [K, BigInt(bus.id)])).toBe(
        BigInt(Math.round(bus.lmp * 1e6)),
      );
    }
    expect(Math.abs(ref.branches[1]!.flowMw)).toBeCloseTo(5, 6);
    expect(new Set(ref.buses.map((x) => x.lmp.toFixed(6))).size).toBeGreaterThan(1);
    // The JSON-RPC views of this interval: packages/rpc/src/methods/gl-market.test.ts.

    const soldWh = chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [1n]).clearedWh;
    const boughtWh = chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [2n]).clearedWh;
    expect(soldWh).toBeGreaterThan(0n);

    // Both expected readings arrive at the interval's end: settlement runs in the next block, before the deadline.
    const sign = (key: typeof mSeller, r: Reading) =>
      key.signTypedData({
        domain: readingDomain(CHAIN_ID),
        types: READING_TYPES,
        primaryType: 'Reading',
        message: r,
      });
    const rs: Reading = { meter: 1n, interval: K, importedWh: 0n, exportedWh: soldWh + 1_000n * MWH };
    const rb: Reading = { meter: 2n, interval: K, importedWh: boughtWh, exportedWh: 0n };
    const submit = await chain.tx(buyer, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
      [rs, rb],
      [await sign(mSeller, rs), await sign(mBuyer, rb)],
    ]);
    const r1 = await chain.block(END, [submit]);
    expect(r1.outcomes[0]!.ok).toBe(true);
    const opBefore = cash(operator);
    const sellerBefore = cash(seller);
    const settle = await chain.block(END + 1n, []);
    expect(chain.view<[number]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [K])[0]).toBe(3);
    const ev = events(settle.record!.logs);
    const failed = ev.find((e) => e.eventName === 'PaymentFailed');
    expect(failed?.args).toMatchObject({
      interval: K,
      from: operator.address,
      to: seller.address,
      amount: 10_000n * USD, // 1,000 MWh surplus at 10 $/MWh
    });
    expect((failed!.args as { reason: string }).reason).toContain('cannot cover the imbalance payment');
    expect(cash(operator)).toBe(opBefore);
    expect(cash(seller)).toBe(sellerBefore + (soldWh * 200n * USD + MWH - 1n) / MWH); // collateral back, no payment
    expect(chain.view<bigint>(CREDITS_ADDRESS, ERC20_ABI, 'totalSupply')).toBe(soldWh);
    expect(chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'totalSupply')).toBe(supply0);
    expect(chain.invariantFailures).toEqual([]);
    // The invariants can fail: corrupt credits, escrow and a promise, and each is reported.
    const scope = { firstInterval: K };
    const s = chain.state;
    const snap = s.snapshot();
    s.set(`${CREDITS_ADDRESS}:supply`, s.get(`${CREDITS_ADDRESS}:supply`) + 1n);
    expect(checkEnergyInvariants(s, scope).join()).toContain('credits: supply');
    s.revert(snap);
    s.set(marketKeys.order(2n).escrow, 5n);
    expect(checkEnergyInvariants(s, scope).join()).toContain('records escrow');
    s.revert(snap);
    s.set(marketKeys.promise(1n).settled, 0n);
    expect(checkEnergyInvariants(s, scope).join()).toContain('is settled but the promise is not');
    s.revert(snap);
    expect(checkEnergyInvariants(s, scope)).toEqual([]);
  });

  it('an interval that cannot clear fails with its reason and releases every escrow', async () => {
    const chain = await start(99);
    const cash = (a: { addr: `0x${string}` }) =>
      chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [a.addr]);
    const before = [cash(seller), cash(buyer)];
    await chain.block(2_000n, [
      await chain.tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 3n, 1, sell]),
      await chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, buy]),
    ]);
    expect(cash(buyer)).toBe(before[1]! - 1_500n * USD);
    const b = await chain.block(GATE, []);
    const cleared = events(b.record!.logs).find((e) => e.eventName === 'IntervalCleared');
    expect(cleared?.args).toMatchObject({
      interval: K,
      status: 2,
      reason: 'upstream bus 99 is not in the network',
    });
    expect([cash(seller), cash(buyer)]).toEqual(before);
    expect(chain.view<[number]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [K])[0]).toBe(2);
    await chain.block(END + HOUR, []);
    expect(chain.invariantFailures).toEqual([]);
  });
});
