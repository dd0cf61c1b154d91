// Order hygiene (issue 13 item 5, docs/market-rules.md §10 "Orders"): self-trade prevention (an owner's
// buy and sell that would cross at one bus and interval: the later one is rejected), a minimum step size
// and a per-order cap from the market configuration. Each rejection carries its reason and leaves the
// state as it was (but the nonce).
import { describe, expect, it } from 'vitest';
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  type NetworkJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
} from '../src/index.ts';
import { account, buildGenesis, Chain, line, testMarketConfig } from './harness.ts';

const KWH = 1_000n;
const MWH = 1_000_000n;
const USD = 1_000_000n;
const K = 5n;

const NET: NetworkJson = {
  name: 'two',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
  ],
  branches: [line(1, 1, 2, 0.1, 0)],
};
const admin = account('h admin');
const operator = account('h operator');
const trader = account('h trader');

async function start() {
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
      { who: trader, roles: ['PARTICIPANT_ROLE'], cash: 100_000n * USD },
    ]),
    testMarketConfig(operator.addr, {
      firstInterval: K,
      maxOrdersPerAccount: 4,
      maxStepsPerOrder: 3,
      minStepWh: KWH,
      maxOrderWh: 50n * MWH,
    }),
  );
  const txs = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [trader.addr, [1n, 2n]]),
  ];
  const b = await chain.block(1_000n, txs);
  expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok']);
  return chain;
}

const step = (energyWh: bigint, usd: bigint) => ({ energyWh, priceMicrosPerMWh: usd * USD });

describe('order hygiene', () => {
  it('rejects a step below the minimum and an order above the cap, state unchanged', async () => {
    const chain = await start();
    const before = chain.snapshotExceptNonces();
    const txs = [
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, [step(KWH - 1n, 40n)]]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        2n,
        1,
        [step(30n * MWH, 20n), step(20n * MWH + 1n, 25n)],
      ]),
    ];
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.map((o) => o.reason)).toEqual([
      expect.stringContaining('step 1: energyWh must be in 1000..'),
      expect.stringContaining("the order's 50000001 Wh exceed the cap of 50000000 Wh per order"),
    ]);
    expect(chain.snapshotExceptNonces()).toBe(before);
    // At the limits both are accepted.
    const ok = [
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, [step(KWH, 40n)]]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        1n,
        1,
        [step(30n * MWH, 50n), step(20n * MWH, 55n)],
      ]),
    ];
    const b2 = await chain.block(3_000n, ok);
    expect(b2.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok']);
  });

  it('rejects the later of an owner buy and sell that would cross at one bus and interval', async () => {
    const chain = await start();
    const sell = await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      2n,
      1,
      [step(2n * MWH, 30n), step(MWH, 45n)],
    ]);
    expect((await chain.block(2_000n, [sell])).outcomes[0]!.ok).toBe(true);
    const before = chain.snapshotExceptNonces();
    // A buy at 30 (= the sell's cheapest step) crosses: rejected, nothing changes.
    const cross = await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      2n,
      0,
      [step(MWH, 10n), step(MWH, 30n)],
    ]);
    const b = await chain.block(3_000n, [cross]);
    expect(b.outcomes[0]!.reason).toContain(
      'self-trade: ' +
        trader.addr +
        "'s order 1 at bus 2 in interval 5 would cross this buy (bid 30000000 >= offer 30000000)",
    );
    expect(chain.snapshotExceptNonces()).toBe(before);
    // Below the sell, at another bus, or in another interval: accepted.
    const fine = [
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, [step(MWH, 29n)]]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 1n, 0, [step(MWH, 90n)]]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K + 1n, 2n, 0, [step(MWH, 90n)]]),
    ];
    const b2 = await chain.block(4_000n, fine);
    expect(b2.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    // A sell below that buy (29) now crosses it, from the other side.
    const cross2 = await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      2n,
      1,
      [step(MWH, 29n)],
    ]);
    const b3 = await chain.block(5_000n, [cross2]);
    expect(b3.outcomes[0]!.reason).toContain('would cross this sell (bid 29000000 >= offer 29000000)');
    // Once the sell is cancelled, the crossing buy is accepted.
    const txs = [
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'cancelOrder', [1n]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, [step(MWH, 30n)]]),
    ];
    const b4 = await chain.block(6_000n, txs);
    expect(b4.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok']);
  });
});
