// The upstream connection and the congestion rent, in process: the grid operator, who sets the line
// limits, does not gain the rent its limits create (it goes to the published rent fund); the upstream bid
// is not capped by its account's cash (the grid settles or owes a debt); tariffs follow their schedule.
import { CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import { describe, expect, it } from 'vitest';
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  type NetworkJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  RENT_FUND_ADDRESS,
} from '../src/index.ts';
import { account, buildGenesis, Chain, HOUR, line, testMarketConfig } from './harness.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;
const K = 5n;

const NET: NetworkJson = {
  name: 'three',
  baseMVA: 100,
  buses: [
    { id: 1, type: 3 },
    { id: 2, type: 1 },
    { id: 3, type: 1 },
  ],
  branches: [line(1, 1, 2, 0.1), line(2, 2, 3, 0.1), line(3, 1, 3, 0.1)],
};

const admin = account('u admin');
const operator = account('u operator');
const upstream = account('u upstream');
const seller = account('u seller');
const buyer = account('u buyer');

async function start(over: Parameters<typeof testMarketConfig>[1] = {}, upstreamCash = 100_000n * USD) {
  const config: MarketConfig = testMarketConfig(operator.addr, {
    firstInterval: K,
    ...over,
    upstream: { account: upstream.addr, capacityWh: 100n * MWH, ...over.upstream },
  });
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: 100_000n * USD },
      { who: upstream, roles: [], cash: upstreamCash },
      { who: seller, roles: ['PARTICIPANT_ROLE'], cash: 100_000n * USD },
      { who: buyer, roles: ['PARTICIPANT_ROLE'], cash: 100_000n * USD },
    ]),
    config,
  );
  const txs = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [seller.addr, [2n, 3n]]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [buyer.addr, [2n, 3n]]),
  ];
  const b = await chain.block(1_000n, txs);
  expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(txs.map(() => 'ok'));
  return chain;
}

const cashOf = (chain: Chain, who: `0x${string}`) =>
  chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [who]);
const place = (
  chain: Chain,
  who: typeof buyer,
  k: bigint,
  bus: bigint,
  side: 0 | 1,
  wh: bigint,
  usd: bigint,
) =>
  chain.tx(who, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
    k,
    bus,
    side,
    [{ energyWh: wh, priceMicrosPerMWh: usd * USD }],
  ]);

describe('congestion rent', () => {
  it('the grid operator who tightens a line does not gain the rent: it goes to the published fund', async () => {
    const chain = await start();
    const op0 = cashOf(chain, operator.addr);
    const txs = [
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [2n, 5_000_000n]),
      await place(chain, seller, K, 3n, 1, 30n * MWH, 10n),
      await place(chain, buyer, K, 2n, 0, 30n * MWH, 50n),
    ];
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    await chain.block(K * HOUR);
    const [status, rent] = chain.view<[number, bigint]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [K]);
    expect(status).toBe(1);
    expect(rent).toBeGreaterThan((1_000n * USD) / 10n);
    // The old code paid the rent to the grid operator.
    expect(cashOf(chain, operator.addr)).toBe(op0);
    expect(cashOf(chain, RENT_FUND_ADDRESS)).toBe(rent);
    expect(chain.invariantFailures).toEqual([]);
  });
});
