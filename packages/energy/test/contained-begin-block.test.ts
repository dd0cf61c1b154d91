// Contained begin-block work (issue 17, H4), in process. The trigger the attack found: the grid operator
// re-registers a numerically singular network between an interval's clearing and its settlement, and
// settlement (the digital twin) built the model of the network in force then and threw, in every
// validator, on every retry: the chain halted for good. Now (1) registration builds the model and refuses
// a singular network, (2) settlement uses the network the interval cleared on, and (3) a clearing or
// settlement that throws anyway (here: state corrupted by hand) is reverted and fails only its interval,
// releasing escrow and collateral and burning its promises without credits.
import { mwToW } from '@gridledger/base';
import {
  CASH_ADDRESS,
  type CallContext,
  CREDITS_ADDRESS,
  ERC20_ABI,
  PROMISES_ADDRESS,
} from '@gridledger/execution';
import { solveDcPowerFlow } from '@gridledger/grid';
import { decodeEventLog, keccak256, stringToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  clearedNetworkKeys,
  encodeSigned,
  MARKET_ABI,
  MARKET_ADDRESS,
  METERS_ABI,
  METERS_ADDRESS,
  marketKeys,
  meteredInjectionsMw,
  type NetworkJson,
  networkFromJson,
  partyPositions,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
  readingDomain,
  registryKeys,
  writeBlob,
} from '../src/index.ts';
import { account, buildGenesis, CHAIN_ID, Chain, line, testMarketConfig } from './harness.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;
const HOUR = 3_600_000n;
const K = 5n;
const GATE = K * HOUR;
const END = (K + 1n) * HOUR;

const buses = [
  { id: 1, type: 3 },
  { id: 2, type: 1 },
  { id: 3, type: 1 },
];
const NET: NetworkJson = {
  name: 'three',
  baseMVA: 100,
  buses,
  branches: [line(1, 1, 2, 0.1), line(2, 2, 3, 0.1), line(3, 1, 3, 0.1)],
};
/** Bus 3 hangs on two parallel lines whose reactances cancel: the susceptance matrix is singular. */
const SINGULAR: NetworkJson = {
  name: 'singular',
  baseMVA: 100,
  buses,
  branches: [line(1, 1, 2, 0.1), line(2, 2, 3, 1), line(3, 2, 3, -1)],
};
/** A valid network with other reactances and fewer branches. */
const OTHER: NetworkJson = {
  name: 'other',
  baseMVA: 100,
  buses,
  branches: [line(1, 1, 2, 0.3), line(2, 1, 3, 0.05)],
};

/** Each meter's connection capacity, W (far above what the test's readings need). */
const CAPACITY_W = 1_000_000_000_000n;
const admin = account('h4 admin');
const operator = account('h4 operator');
const seller = account('h4 seller');
const buyer = account('h4 buyer');
const mSeller = account('h4 meter seller');
const mBuyer = account('h4 meter buyer');
const config = testMarketConfig(operator.addr, {
  firstInterval: K,
  upstream: { bus: 1, capacityWh: 100n * MWH },
});

/** A chain with NET registered, two metered participants, and a sell and a buy order in interval K. */
async function start(opts: { mirror: boolean }) {
  const chain = await Chain.start(
    buildGenesis(admin, [
      { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
      { who: seller, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
      { who: buyer, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
    ]),
    config,
  );
  if (!opts.mirror) chain.mirror = undefined; // these tests write state by hand, in one app only
  const setup = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
      1n,
      mSeller.addr,
      3n,
      seller.addr,
      CAPACITY_W,
    ]),
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
      2n,
      mBuyer.addr,
      2n,
      buyer.addr,
      CAPACITY_W,
    ]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [seller.addr, [3n]]),
    await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [buyer.addr, [2n]]),
  ];
  expect((await chain.block(1_000n, setup)).outcomes.map((o) => o.reason ?? 'ok')).toEqual(
    setup.map(() => 'ok'),
  );
  const orders = [
    await chain.tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      3n,
      1,
      [{ energyWh: 30n * MWH, priceMicrosPerMWh: 10n * USD }],
    ]),
    await chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      2n,
      0,
      [{ energyWh: 20n * MWH, priceMicrosPerMWh: 50n * USD }],
    ]),
  ];
  expect((await chain.block(2_000n, orders)).outcomes.every((o) => o.ok)).toBe(true);
  return chain;
}

const status = (chain: Chain, k: bigint) =>
  chain.view<[number]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [k])[0];
const cashOf = (chain: Chain, a: { addr: `0x${string}` }) =>
  chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [a.addr]);

function marketEvents(logs: { address: string; topics: `0x${string}`[]; data: `0x${string}` }[]) {
  return logs
    .filter((l) => l.address === MARKET_ADDRESS)
    .map((l) => decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [`0x${string}`], data: l.data }));
}

/** Both meters report for interval K (the seller exported what it sold, the buyer imported what it bought). */
async function readingsTx(chain: Chain) {
  const sold = chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [1n]).clearedWh;
  const bought = chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [2n]).clearedWh;
  const sign = (key: typeof mSeller, r: Reading) =>
    key.signTypedData({
      domain: readingDomain(CHAIN_ID),
      types: READING_TYPES,
      primaryType: 'Reading',
      message: r,
    });
  const rs: Reading = { meter: 1n, interval: K, importedWh: 0n, exportedWh: sold };
  const rb: Reading = { meter: 2n, interval: K, importedWh: bought, exportedWh: 0n };
  return chain.tx(buyer, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
    [rs, rb],
    [await sign(mSeller, rs), await sign(mBuyer, rb)],
  ]);
}

/** Writes a blob by hand (no transaction), as a corrupted or legacy state would hold it. */
function writeBlobByHand(chain: Chain, prefix: string, bytes: Uint8Array) {
  const s = chain.state;
  writeBlob(
    { read: (k: string) => s.get(k), write: (k: string, v: bigint) => s.set(k, v) } as CallContext,
    prefix,
    bytes,
  );
}

describe('contained begin-block work (issue 17, H4)', () => {
  it('a singular network cannot be registered, and settlement uses the network its interval cleared on', async () => {
    const chain = await start({ mirror: true });
    await chain.block(GATE, []);
    expect(status(chain, K)).toBe(1);
    const reg = [
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(SINGULAR)]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(OTHER)]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [1n, 1_000n]),
    ];
    const r = await chain.block(GATE + 1_000n, reg);
    expect(r.outcomes.map((o) => o.reason ?? 'ok')).toEqual([
      expect.stringContaining('susceptance matrix is singular'),
      'ok',
      'ok',
    ]);
    expect(chain.view<bigint>(REGISTRY_ADDRESS, REGISTRY_ABI, 'networkVersion')).toBe(2n);

    await chain.block(END, [await readingsTx(chain)]);
    const settle = await chain.block(END + 1n, []);
    expect(status(chain, K)).toBe(3);
    expect(marketEvents(settle.record!.logs).some((e) => e.eventName === 'IntervalSettled')).toBe(true);
    // The twin ran on NET (three branches, its limits), not on OTHER (two branches, a 1 kW limit).
    const net = networkFromJson(NET);
    const inj = meteredInjectionsMw(config, partyPositions(chain.state, config, K));
    for (const b of net.buses) b.pdMw = -(inj.get(b.id) ?? 0);
    const pf = solveDcPowerFlow(net, []);
    const iv = marketKeys.interval(K);
    const actual = [1, 2, 3].map((br) => chain.state.get(iv.actualFlowW(br)));
    expect(actual[2]).not.toBe(0n);
    expect(actual).toEqual(pf.flowMw.map((mw) => encodeSigned(mwToW(mw))));
    expect(marketEvents(settle.record!.logs).some((e) => e.eventName === 'FlowDeviation')).toBe(false);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('a settlement that throws fails its interval only: collateral released, promises burned without credits', async () => {
    const chain = await start({ mirror: false });
    await chain.block(GATE, []);
    expect(status(chain, K)).toBe(1);
    const promises = chain.view<[number, bigint, bigint, bigint]>(
      MARKET_ADDRESS,
      MARKET_ABI,
      'intervalState',
      [K],
    )[3];
    expect(promises).toBeGreaterThan(0n);
    // The registered network and the record of the network interval K cleared on now hold a singular
    // network (written by hand: registration refuses it).
    const bytes = stringToBytes(JSON.stringify(SINGULAR));
    const hash = BigInt(keccak256(bytes));
    writeBlobByHand(chain, clearedNetworkKeys.blob(hash), bytes);
    chain.state.set(clearedNetworkKeys.hash(K), hash);
    writeBlobByHand(chain, registryKeys.net, bytes);

    await chain.block(END, [await readingsTx(chain)]);
    const sellerBefore = cashOf(chain, seller);
    const collateral = chain.view<{ escrow: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [1n]).escrow;
    expect(collateral).toBeGreaterThan(0n);
    const settle = await chain.block(END + 1n, []);
    expect(status(chain, K)).toBe(2);
    const ev = marketEvents(settle.record!.logs);
    const failed = ev.find((e) => e.eventName === 'SettlementFailed');
    expect(failed?.args).toMatchObject({ interval: K, released: collateral, promises });
    expect((failed!.args as { reason: string }).reason).toMatch(/^settlement error: .*singular/);
    expect(
      ev
        .filter((e) => e.eventName === 'PromiseSettled')
        .map((e) => (e.args as { deliveredWh: bigint }).deliveredWh),
    ).toEqual(Array.from({ length: Number(promises) }, () => 0n));
    expect(ev.some((e) => e.eventName === 'IntervalSettled' || e.eventName === 'ImbalanceSettled')).toBe(
      false,
    );
    expect(cashOf(chain, seller)).toBe(sellerBefore + collateral);
    expect(chain.state.get(`${PROMISES_ADDRESS}:owner:1`)).toBe(0n);
    expect(chain.view<bigint>(CREDITS_ADDRESS, ERC20_ABI, 'totalSupply')).toBe(0n);
    // Nothing of the failed settlement is left half-written: no actual flows were stored.
    expect(chain.state.get(marketKeys.interval(K).actualFlowW(1))).toBe(0n);
    // The chain goes on.
    await chain.block(END + 2n, []);
    expect(chain.invariantFailures).toEqual([]);
  });

  it('a clearing that throws fails its interval only and releases every escrow', async () => {
    const chain = await start({ mirror: false });
    const before = [cashOf(chain, seller), cashOf(chain, buyer)];
    const escrows = [1n, 2n].map(
      (id) => chain.view<{ escrow: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [id]).escrow,
    );
    // The registered network's stored JSON is corrupted: reading it throws.
    chain.state.set(`${registryKeys.net}:0`, (1n << 256n) - 1n);
    const b = await chain.block(GATE, []);
    expect(status(chain, K)).toBe(2);
    const cleared = marketEvents(b.record!.logs).find((e) => e.eventName === 'IntervalCleared');
    expect(cleared?.args).toMatchObject({ interval: K, status: 2 });
    expect((cleared!.args as { reason: string }).reason).toMatch(/^clearing error: /);
    expect([cashOf(chain, seller), cashOf(chain, buyer)]).toEqual([
      before[0]! + escrows[0]!,
      before[1]! + escrows[1]!,
    ]);
    expect(chain.state.get(marketKeys.interval(K).resultHash)).toBe(0n);
    await chain.block(END + HOUR, []);
    expect(chain.invariantFailures).toEqual([]);
  });
});
