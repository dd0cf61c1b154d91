// The upstream connection and the congestion rent, in process: the grid operator, who sets the line
// limits, does not gain the rent its limits create (it goes to the published rent fund); the upstream bid
// is not capped by its account's cash (the grid settles or owes a debt); tariffs follow their schedule.
import { CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import { describe, expect, it } from 'vitest';
import {
  debtView,
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  type NetworkJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  RENT_FUND_ADDRESS,
  TARIFFS_ABI,
  TARIFFS_ADDRESS,
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

describe('the upstream bid is not capped by its cash', () => {
  it('an upstream account without cash still buys; what it cannot pay is its debt, paid from its next receipts', async () => {
    const chain = await start({}, 0n);
    const sellerCash0 = cashOf(chain, seller.addr);
    // The seller offers 30 MWh at 0.5 $/MWh; the upstream bids 1 $/MWh but holds no cash.
    const sell = await chain.tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      3n,
      1,
      [{ energyWh: 30n * MWH, priceMicrosPerMWh: USD / 2n }],
    ]);
    expect((await chain.block(2_000n, [sell])).outcomes[0]!.ok).toBe(true);
    const collateral = sellerCash0 - cashOf(chain, seller.addr);
    await chain.block(K * HOUR);
    // The old code capped the bid at 0 Wh: the seller's energy was curtailed.
    const o = chain.view<{ clearedWh: bigint; amount: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [1n]);
    expect(o.clearedWh).toBe(30n * MWH);
    expect(o.amount).toBe(30n * USD); // at the upstream bus's price, 1 $/MWh
    expect(debtView.debtOf(chain.state, upstream.addr)).toBe(30n * USD);
    expect(debtView.claimsOf(chain.state, upstream.addr)).toEqual([
      { creditor: seller.addr, amount: 30n * USD },
    ]);
    // Paid 0 now: the seller's cash is its start minus the collateral still held.
    const held = chain.state.get(`${MARKET_ADDRESS}:o:1:esc`);
    expect(cashOf(chain, seller.addr)).toBe(sellerCash0 - held);
    expect(held).toBeLessThanOrEqual(collateral);
    // Next interval the upstream sells 30 MWh at 100 $/MWh: the seller is paid first from that receipt.
    const buy = await place(chain, buyer, K + 1n, 2n, 0, 30n * MWH, 150n);
    await chain.block(K * HOUR + 1n, [buy]);
    await chain.block((K + 1n) * HOUR);
    expect(debtView.debtOf(chain.state, upstream.addr)).toBe(0n);
    expect(cashOf(chain, upstream.addr)).toBe(3_000n * USD - 30n * USD);
    expect(cashOf(chain, seller.addr)).toBe(sellerCash0 - held + 30n * USD);
    expect(chain.invariantFailures).toEqual([]);
  });
});

describe('upstream tariffs', () => {
  const usd = (x: bigint) => x * USD;
  const tariff = [
    { fromMinute: 0, importPriceMicrosPerMWh: usd(100n), exportPriceMicrosPerMWh: usd(1n) },
    { fromMinute: 300, importPriceMicrosPerMWh: usd(120n), exportPriceMicrosPerMWh: usd(2n) },
  ];
  const at = (chain: Chain, k: bigint) =>
    chain.view<[bigint, bigint]>(TARIFFS_ADDRESS, TARIFFS_ABI, 'tariffAt', [k]);

  it('the genesis schedule by time of day; a change applies only after its lead time, with an event', async () => {
    const chain = await start({ upstream: { tariff, tariffLeadMs: 2n * HOUR } });
    expect(at(chain, 4n)).toEqual([usd(100n), usd(1n)]); // 04:00
    expect(at(chain, K)).toEqual([usd(120n), usd(2n)]); // 05:00
    expect(at(chain, 24n + 4n)).toEqual([usd(100n), usd(1n)]); // 04:00 the next day
    // At 03:30 the operator sets one flat period: interval 5's gate (05:00) is less than 2 h away, so it
    // applies from interval 6.
    const t = K * HOUR - (3n * HOUR) / 2n;
    const set = await chain.tx(operator, TARIFFS_ADDRESS, TARIFFS_ABI, 'setTariff', [
      [0n],
      [usd(90n)],
      [usd(3n)],
    ]);
    const b = await chain.block(t, [set, await place(chain, buyer, K, 2n, 0, 30n * MWH, 150n)]);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual(['ok', 'ok']);
    const ev = b.record!.logs.filter((l) => l.address === TARIFFS_ADDRESS);
    expect(ev).toHaveLength(1);
    expect(chain.view<[bigint, bigint]>(TARIFFS_ADDRESS, TARIFFS_ABI, 'tariffLead')).toEqual([
      2n * HOUR,
      K + 1n,
    ]);
    expect(at(chain, K)).toEqual([usd(120n), usd(2n)]);
    expect(at(chain, K + 1n)).toEqual([usd(90n), usd(3n)]);
    const sched = chain.view<readonly [bigint, bigint, bigint[], bigint[], bigint[]]>(
      TARIFFS_ADDRESS,
      TARIFFS_ABI,
      'tariffSchedule',
      [K + 1n],
    );
    expect(sched).toEqual([1n, K + 1n, [0n], [usd(90n)], [usd(3n)]]);
    await chain.block(K * HOUR, [await place(chain, buyer, K + 1n, 2n, 0, 30n * MWH, 150n)]);
    await chain.block((K + 1n) * HOUR);
    const price = (id: bigint) =>
      chain.view<{ priceMicrosPerMWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [id]).priceMicrosPerMWh;
    expect(price(1n)).toBe(usd(120n));
    expect(price(2n)).toBe(usd(90n));
    expect(chain.invariantFailures).toEqual([]);
  });

  it('bad schedules and callers revert with a reason and change nothing; at most 8 wait to apply', async () => {
    const chain = await start({ upstream: { tariffLeadMs: 2n * HOUR } });
    const before = chain.snapshotExceptNonces();
    const bad = [
      [seller, [0n], [usd(90n)], [usd(3n)]],
      [operator, [0n, 60n], [usd(90n)], [usd(3n)]],
      [operator, [60n], [usd(90n)], [usd(3n)]],
      [operator, [0n, 0n], [usd(90n), usd(80n)], [usd(3n), usd(3n)]],
      [operator, [0n], [usd(3n)], [usd(3n)]],
      [operator, [0n, 1440n], [usd(90n), usd(80n)], [usd(3n), usd(3n)]],
      [operator, [0n], [10n ** 13n], [usd(3n)]],
      [operator, [], [], []],
    ] as const;
    const txs = [];
    for (const [who, f, i, e] of bad)
      txs.push(await chain.tx(who, TARIFFS_ADDRESS, TARIFFS_ABI, 'setTariff', [f, i, e]));
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.map((o) => o.reason)).toEqual([
      expect.stringContaining('setTariff needs GRID_OPERATOR_ROLE'),
      'tariffs: expected as many import and export prices as periods, got 2, 1, 1',
      'tariffs: period 1 must start at minute 0 (00:00), got 60',
      'tariffs: period 2: expected a start minute above 0 and below 1440, got 0',
      'tariffs: period 1: expected the export price below the import price',
      'tariffs: a period starts at minute 1440, expected below 1440',
      expect.stringContaining('period 1: expected prices in 0..1000000000000'),
      'tariffs: expected 1..48 periods, got 0',
    ]);
    expect(chain.snapshotExceptNonces()).toBe(before);
    const ok = [];
    for (let j = 0n; j < 9n; j++)
      ok.push(
        await chain.tx(operator, TARIFFS_ADDRESS, TARIFFS_ABI, 'setTariff', [
          [0n],
          [usd(90n + j)],
          [usd(3n)],
        ]),
      );
    const c = await chain.block(3_000n, ok);
    expect(c.outcomes.slice(0, 8).every((o) => o.ok)).toBe(true);
    expect(c.outcomes[8]!.reason).toContain('8 schedules are already waiting to apply');
    expect(at(chain, K)).toEqual([usd(97n), usd(3n)]); // the last of the same block wins
  });
});
