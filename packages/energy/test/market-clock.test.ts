// The market clock (config `clock`: market time = marketOrigin + (blockTime − blockOrigin) · scale) and
// the configuration's JSON form: gates, clearing and reading windows follow market time, so a scaled
// chain clears a 5-minute interval every 10 s of block time; bad JSON names the field (gl_marketConfig's
// report of the clock is tested in packages/rpc/src/methods/gl-market.test.ts).
import { describe, expect, it } from 'vitest';
import {
  blockTimeAtMs,
  decodeMarketConfigJson,
  encodeMarketConfigJson,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  marketKeys,
  marketTimeMs,
  type NetworkJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
} from '../src/index.ts';
import { account, buildGenesis, Chain, line, testMarketConfig } from './harness.ts';

const USD = 1_000_000n;
const MIN5 = 300_000n;
const admin = account('c admin');
const operator = account('c operator');
const trader = account('c trader');

/** Block time 1,000,000 ms is market time 10 intervals in; 10 s of block time is one 5-minute interval. */
const config: MarketConfig = testMarketConfig(operator.addr, {
  intervalMs: MIN5,
  gateLeadMs: MIN5,
  settlementDelayMs: 2n * MIN5,
  clock: { blockOriginMs: 1_000_000n, marketOriginMs: 10n * MIN5, scale: 30n },
});

const NET: NetworkJson = {
  name: 'two',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
  ],
  branches: [line(1, 1, 2, 0.1, 0)],
};

describe('market clock', () => {
  it('maps block time to market time and back', () => {
    expect(marketTimeMs(config, 1_000_000n)).toBe(10n * MIN5);
    expect(marketTimeMs(config, 1_010_000n)).toBe(11n * MIN5);
    expect(marketTimeMs({ ...config, clock: undefined }, 123n)).toBe(123n);
    for (const m of [10n * MIN5, 10n * MIN5 + 1n, 11n * MIN5 + 29n, 0n]) {
      const b = blockTimeAtMs(config, m);
      expect(marketTimeMs(config, b)).toBeGreaterThanOrEqual(m);
      expect(marketTimeMs(config, b - 1n) < m || m === 0n).toBe(true);
    }
  });

  it('round-trips its JSON form and rejects bad fields by name', () => {
    const json = JSON.parse(JSON.stringify(encodeMarketConfigJson(config)));
    expect(decodeMarketConfigJson(json)).toEqual(config);
    expect(() => decodeMarketConfigJson({ ...json, intervalMs: 5 })).toThrow(
      /energy\.intervalMs: expected an integer as a decimal string/,
    );
    expect(() => decodeMarketConfigJson({ ...json, clock: { ...json.clock, scale: '0' } })).toThrow(
      /clock\.scale > 0/,
    );
    expect(() =>
      decodeMarketConfigJson({ ...json, upstream: { ...json.upstream, account: 'nope' } }, 'genesis energy'),
    ).toThrow(/genesis energy\.upstream\.account: expected a 0x address/);
    expect(() => decodeMarketConfigJson(null)).toThrow(/energy: expected an object/);
  });

  it('closes gates and clears by market time', async () => {
    const chain = await Chain.start(
      buildGenesis(admin, [
        { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
        { who: trader, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
      ]),
      config,
    );
    const setup = [
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
      await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [trader.addr, [2n]]),
    ];
    // Block time 1,000,000 = market interval 10 start: the gates of 10 and 11 have closed (lead 1 interval).
    const b1 = await chain.block(1_000_000n, setup);
    expect(b1.outcomes.every((o) => o.ok)).toBe(true);
    expect(chain.state.get(marketKeys.clearNext)).toBe(12n);
    const steps = [{ energyWh: 1_000n, priceMicrosPerMWh: 50n * USD }];
    const late = await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [11n, 2n, 0, steps]);
    const ok = await chain.tx(trader, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [12n, 2n, 0, steps]);
    const b2 = await chain.block(1_000_100n, [late, ok]);
    expect(b2.outcomes[0]?.reason).toMatch(/gate of interval 11 closed at .* market time is 3003000/);
    expect(b2.outcomes[1]?.ok).toBe(true);
    // 10 s of block time later the market is at interval 11's start: interval 12's gate has closed.
    await chain.block(1_010_000n);
    expect(chain.state.get(marketKeys.clearNext)).toBe(13n);
    expect(chain.invariantFailures).toEqual([]);

    // gl_marketConfig's clock at this block: packages/rpc/src/methods/gl-market.test.ts.
  });
});
