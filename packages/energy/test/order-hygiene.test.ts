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

describe('orders capped by the registered meters (ordersCappedByMeters)', () => {
  const meterKey = account('h meter key');
  /** A market whose orders are capped by meters; the trader has a 2 kW and a 3 kW meter at bus 2. */
  async function startCapped() {
    const chain = await Chain.start(
      buildGenesis(admin, [
        { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
        { who: trader, roles: ['PARTICIPANT_ROLE'], cash: 100_000n * USD },
      ]),
      testMarketConfig(operator.addr, {
        firstInterval: K,
        maxOrdersPerAccount: 4,
        maxStepsPerOrder: 3,
        minStepWh: 1n,
        ordersCappedByMeters: true,
      }),
    );
    const txs = [
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
      await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [trader.addr, [1n, 2n]]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
        1n,
        meterKey.addr,
        2n,
        trader.addr,
        2_000n,
      ]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
        2n,
        meterKey.addr,
        2n,
        trader.addr,
        3_000n,
      ]),
    ];
    const b = await chain.block(1_000n, txs);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok']);
    return chain;
  }

  it('refuses an offer its connection cannot deliver (the exploit: sell 50 MWh behind 5 kW), state unchanged', async () => {
    const chain = await startCapped();
    const before = chain.snapshotExceptNonces();
    // One-hour intervals: 2 kW + 3 kW carry 5,000 Wh. 50 MWh is a phantom offer.
    const txs = [
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 1, [step(50n * MWH, 20n)]]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        2n,
        0,
        [step(5n * KWH + 1n, 90n)],
      ]),
      // No meter at bus 1: nothing can be traded there.
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 1n, 0, [step(KWH, 90n)]]),
    ];
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.map((o) => o.reason)).toEqual([
      expect.stringContaining(
        `the order's 50000000 Wh plus 0 Wh already offered by ${trader.addr} at bus 2 in interval 5 exceed its meters' capacity of 5000 Wh per interval`,
      ),
      expect.stringContaining('5001 Wh plus 0 Wh already bid'),
      expect.stringContaining(`${trader.addr} has no meter registered at bus 1`),
    ]);
    expect(chain.snapshotExceptNonces()).toBe(before);
  });

  it("caps the sum of an owner's orders on one side, not each order alone; a cancellation frees its share", async () => {
    const chain = await startCapped();
    const first = [
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 1, [step(3n * KWH, 20n)]]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        2n,
        1,
        [step(KWH, 21n), step(KWH, 22n)],
      ]),
      // The buy side has its own 5 kWh (a battery may buy or sell; it cannot do both past its rating).
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, [step(5n * KWH, 10n)]]),
    ];
    const b = await chain.block(2_000n, first);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    const before = chain.snapshotExceptNonces();
    const more = await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      2n,
      1,
      [step(1n, 23n)],
    ]);
    const b2 = await chain.block(3_000n, [more]);
    expect(b2.outcomes[0]!.reason).toContain("the order's 1 Wh plus 5000 Wh already offered");
    expect(chain.snapshotExceptNonces()).toBe(before);
    // In the next interval the capacity is whole again; after cancelling order 1 its 3 kWh are free.
    const txs = [
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K + 1n,
        2n,
        1,
        [step(5n * KWH, 23n)],
      ]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'cancelOrder', [1n]),
      await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 1, [step(3n * KWH, 23n)]]),
    ];
    const b3 = await chain.block(4_000n, txs);
    expect(b3.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
  });
});
