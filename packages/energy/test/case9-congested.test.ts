// End to end in process on ../shared/grid-cases/case9_congested.m: registration, orders with escrow,
// in-block clearing equal to the off-chain engine, ERC-721 promises, EIP-712 meter readings (one short,
// one missing, one surplus), settlement into credits and imbalance cash, the bad inputs of issue 5 item 9
// each rejected with its reason and the state unchanged, and the invariants after every block.

import { fileURLToPath } from 'node:url';
import {
  CASH_ADDRESS,
  CREDITS_ADDRESS,
  ERC20_ABI,
  ERC721_ABI,
  PROMISES_ADDRESS,
} from '@gridledger/execution';
import { loadMatpower, solveDcPowerFlow } from '@gridledger/grid';
import { clearNetwork, settleClearing, verifyCertificate } from '@gridledger/market';
import { decodeEventLog } from 'viem';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clearedStepPrice,
  decodeSigned,
  decomposeTradesOnGrid,
  findClearingRecord,
  MARKET_ABI,
  MARKET_ADDRESS,
  MARKET_EVENTS,
  type MarketConfig,
  METERS_ABI,
  METERS_ADDRESS,
  marketKeys,
  networkToJson,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  RENT_FUND_ADDRESS,
  type Reading,
  readingDomain,
} from '../src/index.ts';
import {
  account,
  buildGenesis,
  CHAIN_ID,
  Chain,
  TEST_METER_CAPACITY_W,
  type TestAccount,
} from './harness.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const MWH = 1_000_000n; // Wh
const USD = 1_000_000n; // cash units
const K = 10n; // the interval traded
const HOUR = 3_600_000n;

const admin = account('admin');
const issuer = account('issuer');
const operator = account('grid operator');
const upstream = account('upstream');
const alice = account('alice'); // seller at bus 2: short
const carol = account('carol'); // seller at bus 3: missing reading
const erin = account('erin'); // seller at bus 3: surplus
const bob = account('bob'); // buyer at bus 9: exact
const dave = account('dave'); // buyer at bus 5: imports less
const frank = account('frank'); // receives a promise
const pat = account('pat'); // poor
const meterKeys: Record<string, TestAccount> = Object.fromEntries(
  ['alice', 'carol', 'erin', 'bob', 'dave'].map((n) => [n, account(`meter ${n}`)]),
);
const METER_ID: Record<string, bigint> = { alice: 101n, carol: 102n, erin: 103n, bob: 104n, dave: 105n };
const BUS: Record<string, number> = { alice: 2, carol: 3, erin: 3, bob: 9, dave: 5 };
const START = 100_000n * USD;

const config: MarketConfig = {
  chainId: CHAIN_ID,
  gridOperator: operator.addr,
  intervalMs: HOUR,
  gateLeadMs: 600_000n,
  settlementDelayMs: 1_800_000n,
  firstInterval: K,
  upstream: {
    bus: 1,
    account: upstream.addr,
    importPriceMicrosPerMWh: 80n * USD,
    exportPriceMicrosPerMWh: 5n * USD,
    capacityWh: 500n * MWH,
  },
  imbalance: { shortfallPriceMicrosPerMWh: 150n * USD, surplusPriceMicrosPerMWh: 10n * USD },
  maxOrdersPerAccount: 3,
  maxStepsPerOrder: 4,
};
const GATE = K * HOUR - config.gateLeadMs;
const END = (K + 1n) * HOUR;
const DEADLINE = END + config.settlementDelayMs;

type Step = { energyWh: bigint; priceMicrosPerMWh: bigint };
const ORDERS: { who: TestAccount; name: string; side: 0 | 1; steps: Step[] }[] = [
  {
    who: alice,
    name: 'alice',
    side: 1,
    steps: [
      { energyWh: 60n * MWH, priceMicrosPerMWh: 20n * USD },
      { energyWh: 40n * MWH, priceMicrosPerMWh: 21n * USD },
    ],
  },
  { who: carol, name: 'carol', side: 1, steps: [{ energyWh: 50n * MWH, priceMicrosPerMWh: 25n * USD }] },
  { who: erin, name: 'erin', side: 1, steps: [{ energyWh: 10n * MWH, priceMicrosPerMWh: 22n * USD }] },
  { who: bob, name: 'bob', side: 0, steps: [{ energyWh: 120n * MWH, priceMicrosPerMWh: 100n * USD }] },
  { who: dave, name: 'dave', side: 0, steps: [{ energyWh: 30n * MWH, priceMicrosPerMWh: 90n * USD }] },
];

async function signReading(key: TestAccount, r: Reading) {
  return key.signTypedData({
    domain: readingDomain(CHAIN_ID),
    types: READING_TYPES,
    primaryType: 'Reading',
    message: r,
  });
}

describe('energy market on chain, case9_congested', () => {
  let chain: Chain;
  const cash = (a: TestAccount) => chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [a.addr]);
  const credits = (a: TestAccount) => chain.view<bigint>(CREDITS_ADDRESS, ERC20_ABI, 'balanceOf', [a.addr]);
  const startCash = new Map<string, bigint>();
  let offChain: Awaited<ReturnType<typeof clearNetwork>>;
  let settledOff: ReturnType<typeof settleClearing>;
  const orderIds = new Map<string, bigint>();

  beforeAll(async () => {
    const people = [alice, carol, erin, bob, dave];
    chain = await Chain.start(
      buildGenesis(admin, [
        { who: issuer, roles: ['CASH_ISSUER_ROLE'] },
        { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: START },
        { who: upstream, roles: [], cash: START },
        ...people.map((who) => ({ who, roles: ['PARTICIPANT_ROLE' as const], cash: START })),
        { who: frank, roles: ['PARTICIPANT_ROLE'] },
        { who: pat, roles: ['PARTICIPANT_ROLE'], cash: 1_000n },
      ]),
      config,
    );
    for (const a of [operator, upstream, alice, carol, erin, bob, dave, frank, pat])
      startCash.set(a.addr, cash(a));
    const net = await loadMatpower(`${CASES}case9_congested.m`);
    // Off-chain reference: the same case without its generators and loads, the same orders in MW, upstream last.
    const bare = { ...net, generators: [], buses: net.buses.map((b) => ({ ...b, pdMw: 0, gsMw: 0 })) };
    offChain = await clearNetwork(bare, [
      ...ORDERS.map((o, i) => ({
        id: `o${i + 1}`,
        bus: BUS[o.name]!,
        side: o.side === 0 ? ('buy' as const) : ('sell' as const),
        steps: o.steps.map((s) => ({
          price: Number(s.priceMicrosPerMWh) / 1e6,
          quantity: Number(s.energyWh) / 1e6,
        })),
      })),
      { id: 'up-sell', bus: 1, side: 'sell', steps: [{ price: 80, quantity: 500 }] },
      { id: 'up-buy', bus: 1, side: 'buy', steps: [{ price: 5, quantity: 500 }] },
    ]);
    settledOff = settleClearing(offChain, { intervalMinutes: 60 });

    // Block 1: the operator registers the network and meters; the admin registers participants.
    const reg = [
      await chain.tx(
        operator,
        REGISTRY_ADDRESS,
        REGISTRY_ABI,
        'registerNetwork',
        [JSON.stringify(networkToJson(net))],
        10_000_000n,
      ),
      ...(await Promise.all(
        Object.keys(METER_ID).map((n, i) =>
          chain
            .tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
              METER_ID[n]!,
              meterKeys[n]!.addr,
              BigInt(BUS[n]!),
              account(n).addr,
              TEST_METER_CAPACITY_W,
            ])
            .then((r) => ({ r, i })),
        ),
      ).then((xs) => xs.sort((a, b) => a.i - b.i).map((x) => x.r))),
    ];
    for (const n of Object.keys(BUS))
      reg.push(
        await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [
          account(n).addr,
          [BigInt(BUS[n]!)],
        ]),
      );
    reg.push(await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [pat.addr, [9n]]));
    const b1 = await chain.block(1_000n, reg);
    expect(b1.outcomes.map((o) => o.reason ?? (o.ok ? 'ok' : o.error))).toEqual(reg.map(() => 'ok'));
  });

  it('places orders with escrow (buy: max cost; sell: collateral at the shortfall price)', async () => {
    const txs = [];
    for (const o of ORDERS)
      txs.push(
        await chain.tx(o.who, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
          K,
          BigInt(BUS[o.name]!),
          o.side,
          o.steps,
        ]),
      );
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.every((o) => o.ok)).toBe(true);
    for (const [i, o] of ORDERS.entries()) orderIds.set(o.name, BigInt(i + 1));
    expect(cash(bob)).toBe(START - 120n * 100n * USD);
    expect(cash(alice)).toBe(START - 100n * 150n * USD);
    expect(chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [MARKET_ADDRESS])).toBe(
      (120n * 100n + 30n * 90n + 100n * 150n + 50n * 150n + 10n * 150n) * USD,
    );
  });

  it('rejects bad orders with their reasons and leaves the state unchanged', async () => {
    const before = chain.snapshotExceptNonces();
    const one = [{ energyWh: MWH, priceMicrosPerMWh: 50n * USD }];
    const cases: [Uint8Array, string][] = [
      [
        await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, one]),
        'may not trade at bus 2',
      ],
      [
        await chain.tx(pat, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 9n, 0, one]),
        'exceeds the cash balance 1000',
      ],
      [
        await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 9n, 0, []]),
        'expected 1..4 steps, got 0',
      ],
      [
        await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
          K,
          9n,
          0,
          [{ energyWh: 0n, priceMicrosPerMWh: 1n }],
        ]),
        'step 1: energyWh must be',
      ],
      [
        await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 9n, 0, Array(5).fill(one[0])]),
        'expected 1..4 steps, got 5',
      ],
      [
        await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 9n, 2, one]),
        'side must be 0 (buy) or 1 (sell)',
      ],
      [
        await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K - 1n, 9n, 0, one]),
        'interval 9 is before the market',
      ],
      [await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'cancelOrder', [orderIds.get('alice')!]), 'is not 0x'],
      [
        await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
          999n,
          frank.addr,
          42n,
          frank.addr,
          TEST_METER_CAPACITY_W,
        ]),
        'unknown bus 42',
      ],
      [
        await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
          999n,
          frank.addr,
          1n,
          frank.addr,
          0n,
        ]),
        'meter capacity must be 1..',
      ],
      [
        await chain.tx(bob, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [8n, 1n]),
        'needs GRID_OPERATOR_ROLE',
      ],
    ];
    const b = await chain.block(
      3_000n,
      cases.map(([t]) => t),
    );
    b.outcomes.forEach((o, i) => {
      expect(o.ok).toBe(false);
      expect(o.reason).toContain(cases[i]![1]);
    });
    expect(chain.snapshotExceptNonces()).toBe(before);
  });

  it('cancels an order before the gate and releases its escrow', async () => {
    const before = cash(dave);
    const place = await chain.tx(dave, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
      K,
      5n,
      0,
      [{ energyWh: MWH, priceMicrosPerMWh: 7n * USD }],
    ]);
    await chain.block(4_000n, [place]);
    expect(cash(dave)).toBe(before - 7n * USD);
    const cancel = await chain.tx(dave, MARKET_ADDRESS, MARKET_ABI, 'cancelOrder', [6n]);
    const b = await chain.block(5_000n, [cancel]);
    expect(b.outcomes[0]!.ok).toBe(true);
    expect(cash(dave)).toBe(before);
  });

  it('clears at the gate: prices differ by bus and equal the off-chain engine; cash moves by the integer rule', async () => {
    expect(offChain.status).toBe('optimal');
    const b = await chain.block(GATE, []);
    expect(chain.invariantFailures).toEqual([]);
    const [status, rent, , promises] = chain.view<[number, bigint, bigint, bigint]>(
      MARKET_ADDRESS,
      MARKET_ABI,
      'intervalState',
      [K],
    );
    expect(status).toBe(1);
    const lmps = new Map<number, bigint>();
    for (const bus of offChain.buses) {
      const onChain = chain.view<bigint>(MARKET_ADDRESS, MARKET_ABI, 'lmp', [K, BigInt(bus.id)]);
      expect(onChain).toBe(BigInt(Math.round(bus.lmp * 1e6)));
      lmps.set(bus.id, onChain);
      // Its range (market-rules §6a) beside it, in state for gl_prices.
      const iv = marketKeys.interval(K);
      expect(decodeSigned(chain.state.get(iv.lmpLow(bus.id)))).toBe(BigInt(Math.round(bus.lmpLow! * 1e6)));
      expect(decodeSigned(chain.state.get(iv.lmpHigh(bus.id)))).toBe(BigInt(Math.round(bus.lmpHigh! * 1e6)));
    }
    expect(new Set(lmps.values()).size).toBeGreaterThan(1);
    const line8 = offChain.branches.find((br) => br.index === 8)!;
    expect(Math.abs(line8.flowMw)).toBeCloseTo(40, 6);
    // Cash: each party's settled amount from the off-chain settlement.
    const party = (id: string) => settledOff.parties.find((p) => p.id === id)!;
    ORDERS.forEach((o, i) => {
      const p = party(`o${i + 1}`);
      expect(p.energyWh).toBeGreaterThan(0n);
      const view = chain.view<{ clearedWh: bigint; amount: bigint; priceMicrosPerMWh: bigint }>(
        MARKET_ADDRESS,
        MARKET_ABI,
        'order',
        [BigInt(i + 1)],
      );
      expect(view.clearedWh).toBe(p.energyWh);
      expect(view.amount).toBe(p.amountMicros);
      const collateral = o.side === 1 ? (p.energyWh * 150n * USD + MWH - 1n) / MWH : 0n;
      expect(cash(o.who)).toBe(START + (o.side === 1 ? p.amountMicros - collateral : -p.amountMicros));
    });
    const up = (id: string) => settledOff.parties.find((p) => p.id === id)!.amountMicros;
    expect(cash(upstream)).toBe(START + up('up-sell') - up('up-buy'));
    expect(rent).toBe(settledOff.congestionRentMicros);
    expect(rent).toBeGreaterThan(0n);
    // The rent goes to the rent fund, not to the grid operator who sets the limits.
    expect(cash(operator)).toBe(START);
    expect(chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [RENT_FUND_ADDRESS])).toBe(rent);
    // The certificate recorded in the clearing block's log matches its hash in state and verifies on its
    // own; a tampered text is rejected against that hash.
    expect(chain.state.get(marketKeys.interval(K).clearedAtHeight)).toBe(chain.height);
    const rec = findClearingRecord(b.record!.logs, chain.state, K)!;
    expect(rec).toBeDefined();
    expect(verifyCertificate(rec.certificate).ok).toBe(true);
    expect(BigInt(rec.certificateHash)).toBe(chain.state.get(marketKeys.interval(K).certificateHash));
    expect((rec.result as { buses: { id: number; lmp: number }[] }).buses.length).toBe(offChain.buses.length);
    const recLog = b.record!.logs.find((l) => l.topics[0] === MARKET_EVENTS.clearingRecorded.topic0)!;
    const tampered = { ...recLog, data: recLog.data.replace(/3a/, '3b') as typeof recLog.data };
    expect(() => findClearingRecord([tampered], chain.state, K)).toThrow(/does not match its hash/);
    expect(promises).toBeGreaterThan(0n);
    expect(b.record!.logs.length).toBeGreaterThan(0);
  });

  // The promise bob transfers to frank before settlement (one of alice's: she delivers, so it earns credits).
  let transferId = 0n;
  it('mints one promise per trade of the grid-respecting decomposition to the buyer, with its attributes', async () => {
    const n = chain.view<[number, bigint, bigint, bigint]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [
      K,
    ])[3];
    type P = {
      seller: string;
      buyer: string;
      sellerOrder: bigint;
      buyerOrder: bigint;
      energyWh: bigint;
      sellerBus: bigint;
      buyerBus: bigint;
    };
    const minted: P[] = [];
    for (let id = 1n; id <= n; id++) {
      const p = chain.view<P>(MARKET_ADDRESS, MARKET_ABI, 'promiseOf', [id]);
      expect(chain.view<string>(PROMISES_ADDRESS, ERC721_ABI, 'ownerOf', [id])).toBe(p.buyer);
      minted.push(p);
      if (transferId === 0n && p.buyer === bob.address && p.seller === alice.address) transferId = id;
    }
    expect(transferId).toBeGreaterThan(0n);
    // The same trades as decomposeTradesOnGrid of the off-chain clearing (orders 1..5, upstream as 0).
    const party = (id: string) => settledOff.parties.find((p) => p.id === id)!;
    const orderOf = (id: string) => (id.startsWith('up-') ? 0n : BigInt(id.slice(1)));
    const busOfOrder = (id: string) => offChain.orders.find((o) => o.id === id)!.bus;
    const parties = offChain.orders
      .map((o) => ({ o, p: party(o.id) }))
      .filter(({ p }) => p.energyWh > 0n)
      .map(({ o, p }) => ({
        side: o.side,
        party: {
          orderId: orderOf(o.id),
          meritPrice: o.id.startsWith('up-')
            ? (o.side === 'sell' ? 80n : 5n) * USD
            : clearedStepPrice(
                { side: o.side, steps: ORDERS[Number(orderOf(o.id)) - 1]!.steps } as never,
                o.clearedSteps,
              ),
          energyWh: p.energyWh,
          bus: busOfOrder(o.id),
        },
      }));
    const expected = decomposeTradesOnGrid(
      parties.filter((x) => x.side === 'sell').map((x) => x.party),
      parties.filter((x) => x.side === 'buy').map((x) => x.party),
      offChain.branches.map((b) => ({ ...b, inService: true, flowWh: b.flowMw * 1e6 })),
    );
    expect(minted.map((p) => [p.sellerOrder, p.buyerOrder, p.energyWh])).toEqual(
      expected.trades.map((t) => [t.sellerOrder, t.buyerOrder, t.energyWh]),
    );
    // Per party, the promised Wh are its cleared Wh.
    for (const { party: q, side } of parties) {
      const promised = minted
        .filter((p) => (side === 'sell' ? p.sellerOrder : p.buyerOrder) === q.orderId)
        .reduce((a, p) => a + p.energyWh, 0n);
      expect(promised).toBe(q.energyWh);
    }
    // Routes follow the cleared flows: none is residue on this network.
    expect(expected.routes.every((r) => !r.residue)).toBe(true);
  });

  it('rejects an order after the gate and an early reading; transfers a promise', async () => {
    const before = chain.snapshotExceptNonces();
    const r: Reading = { meter: METER_ID.bob!, interval: K, importedWh: 1n, exportedWh: 0n };
    const bad = [
      await chain.tx(bob, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        9n,
        0,
        [{ energyWh: MWH, priceMicrosPerMWh: 1n }],
      ]),
      await chain.tx(frank, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
        [r],
        [await signReading(meterKeys.bob!, r)],
      ]),
    ];
    const b = await chain.block(GATE + 1n, bad);
    expect(b.outcomes[0]!.reason).toContain('gate of interval 10 closed');
    expect(b.outcomes[1]!.reason).toContain('the interval ends at');
    expect(chain.snapshotExceptNonces()).toBe(before);
    const t = await chain.tx(bob, PROMISES_ADDRESS, ERC721_ABI, 'transferFrom', [
      bob.addr,
      frank.addr,
      transferId,
    ]);
    const b2 = await chain.block(GATE + 2n, [t]);
    expect(b2.outcomes[0]!.ok).toBe(true);
  });

  const readings = new Map<string, Reading>();
  it('accepts signed readings (short, surplus, exact, under) and rejects forged, unknown, replayed ones', async () => {
    const wh = (name: string) =>
      settledOff.parties.find((p) => p.id === `o${ORDERS.findIndex((o) => o.name === name) + 1}`)!.energyWh;
    readings.set('alice', {
      meter: METER_ID.alice!,
      interval: K,
      importedWh: 0n,
      exportedWh: (wh('alice') * 8n) / 10n,
    });
    readings.set('erin', {
      meter: METER_ID.erin!,
      interval: K,
      importedWh: 0n,
      exportedWh: wh('erin') + 2n * MWH,
    });
    readings.set('bob', { meter: METER_ID.bob!, interval: K, importedWh: wh('bob'), exportedWh: 0n });
    readings.set('dave', {
      meter: METER_ID.dave!,
      interval: K,
      importedWh: wh('dave') - 5n * MWH,
      exportedWh: 0n,
    });
    const names = ['alice', 'erin', 'bob', 'dave'];
    const sigs = await Promise.all(names.map((n) => signReading(meterKeys[n]!, readings.get(n)!)));
    const ok = await chain.tx(frank, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
      names.map((n) => readings.get(n)!),
      sigs,
    ]);
    const b = await chain.block(END, [ok]);
    expect(b.outcomes[0]!.reason ?? 'ok').toBe('ok');
    expect(
      chain.view<[boolean, bigint, bigint]>(METERS_ADDRESS, METERS_ABI, 'readingOf', [METER_ID.alice!, K])[0],
    ).toBe(true);

    const before = chain.snapshotExceptNonces();
    const carolR: Reading = { meter: METER_ID.carol!, interval: K, importedWh: 0n, exportedWh: 50n * MWH };
    const unknown: Reading = { meter: 999n, interval: K, importedWh: 0n, exportedWh: 1n };
    const bad = [
      // forged: carol's reading signed by alice's meter key
      await chain.tx(carol, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
        [carolR],
        [await signReading(meterKeys.alice!, carolR)],
      ]),
      // replayed
      await chain.tx(frank, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
        [readings.get('bob')!],
        [sigs[2]!],
      ]),
      // unknown meter
      await chain.tx(frank, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
        [unknown],
        [await signReading(meterKeys.bob!, unknown)],
      ]),
      // tampered value under a valid signature
      await chain.tx(frank, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
        [{ ...carolR, exportedWh: 1n }],
        [await signReading(meterKeys.carol!, carolR)],
      ]),
    ];
    const b2 = await chain.block(END + 1n, bad);
    expect(b2.outcomes.map((o) => o.reason)).toEqual([
      expect.stringContaining("not signed by the meter's key"),
      expect.stringContaining('already reported'),
      expect.stringContaining('unknown meter'),
      expect.stringContaining("not signed by the meter's key"),
    ]);
    expect(chain.snapshotExceptNonces()).toBe(before);
  });

  it('settles at the deadline (carol missing): exact credits, imbalances, promises burned once', async () => {
    const beforeCash = new Map([alice, carol, erin, bob, dave, operator].map((a) => [a.addr, cash(a)]));
    const b = await chain.block(DEADLINE, []);
    expect(chain.invariantFailures).toEqual([]);
    expect(chain.view<[number]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [K])[0]).toBe(3);
    const sold = (n: string) =>
      settledOff.parties.find((p) => p.id === `o${ORDERS.findIndex((o) => o.name === n) + 1}`)!.energyWh;
    // Credits: alice delivers 80% of her sale, erin all of hers (not the surplus), carol nothing.
    const delivered = readings.get('alice')!.exportedWh + sold('erin');
    const supply = chain.view<bigint>(CREDITS_ADDRESS, ERC20_ABI, 'totalSupply');
    expect(supply).toBe(delivered);
    // Credits go to the holders: bob's promise from alice now belongs to frank.
    const n = chain.view<[number, bigint, bigint, bigint]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [
      K,
    ])[3];
    const byHolder = new Map<string, bigint>();
    let sumDelivered = 0n;
    for (let id = 1n; id <= n; id++) {
      const p = chain.view<{
        buyer: string;
        deliveredWh: bigint;
        energyWh: bigint;
        settled: boolean;
        seller: string;
      }>(MARKET_ADDRESS, MARKET_ABI, 'promiseOf', [id]);
      expect(p.settled).toBe(true);
      expect(p.deliveredWh).toBeLessThanOrEqual(p.energyWh);
      const holder = id === transferId ? frank.address : p.buyer;
      byHolder.set(holder, (byHolder.get(holder) ?? 0n) + p.deliveredWh);
      sumDelivered += p.deliveredWh;
    }
    expect(sumDelivered).toBe(delivered);
    expect(credits(frank)).toBe(byHolder.get(frank.address) ?? 0n);
    expect(credits(frank)).toBeGreaterThan(0n);
    expect(credits(bob) + credits(dave) + credits(upstream) + credits(frank)).toBe(delivered);
    // Imbalance cash: shortfalls pay 150 $/MWh (ceil), surpluses get 10 $/MWh (floor); collateral released.
    const collateral = (n: string) => (sold(n) * 150n * USD + MWH - 1n) / MWH;
    const owe = (wh: bigint) => (wh * 150n * USD + MWH - 1n) / MWH;
    const get = (wh: bigint) => (wh * 10n * USD) / MWH;
    const aliceOwe = owe(sold('alice') - readings.get('alice')!.exportedWh);
    const carolOwe = owe(sold('carol'));
    const erinGet = get(2n * MWH);
    const daveGet = get(5n * MWH);
    expect(cash(alice)).toBe(beforeCash.get(alice.addr)! + collateral('alice') - aliceOwe);
    expect(cash(carol)).toBe(beforeCash.get(carol.addr)! + collateral('carol') - carolOwe);
    expect(cash(erin)).toBe(beforeCash.get(erin.addr)! + collateral('erin') + erinGet);
    expect(cash(bob)).toBe(beforeCash.get(bob.addr)!);
    expect(cash(dave)).toBe(beforeCash.get(dave.addr)! + daveGet);
    expect(cash(operator)).toBe(beforeCash.get(operator.addr)! + aliceOwe + carolOwe - erinGet - daveGet);
    expect(chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [MARKET_ADDRESS])).toBe(0n);
    expect(b.record!.logs.some((l) => l.address === MARKET_ADDRESS)).toBe(true);
    // Digital twin: the flows of the metered injections (upstream balancing at bus 1), recomputed here.
    const net = await loadMatpower(`${CASES}case9_congested.m`);
    const inj = new Map<number, number>();
    let total = 0;
    for (const name of ['alice', 'carol', 'erin', 'bob', 'dave']) {
      const r = readings.get(name);
      const x = r === undefined ? 0 : Number(r.exportedWh - r.importedWh) / 1e6;
      inj.set(BUS[name]!, (inj.get(BUS[name]!) ?? 0) + x);
      total += x;
    }
    inj.set(1, (inj.get(1) ?? 0) - total);
    const twin = solveDcPowerFlow(
      {
        ...net,
        generators: [],
        buses: net.buses.map((x) => ({ ...x, pdMw: -(inj.get(x.id) ?? 0), gsMw: 0 })),
      },
      [],
    );
    const deviations = b
      .record!.logs.filter((l) => l.address === MARKET_ADDRESS)
      .map((l) => decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [`0x${string}`], data: l.data }))
      .filter((e) => e.eventName === 'FlowDeviation');
    expect(deviations.length).toBeGreaterThan(0);
    for (const br of net.branches) {
      const stored = decodeSigned(chain.state.get(marketKeys.interval(K).actualFlowW(br.index)));
      expect(Number(stored) / 1e6).toBeCloseTo(twin.flowMw[br.index - 1]!, 5);
    }
  });

  it('after settlement: a late reading and a second settlement of a promise are rejected, nothing changes', async () => {
    const before = chain.snapshotExceptNonces();
    const carolR: Reading = { meter: METER_ID.carol!, interval: K, importedWh: 0n, exportedWh: 50n * MWH };
    const bad = [
      await chain.tx(carol, METERS_ADDRESS, METERS_ABI, 'submitReadings', [
        [carolR],
        [await signReading(meterKeys.carol!, carolR)],
      ]),
      await chain.tx(frank, PROMISES_ADDRESS, ERC721_ABI, 'transferFrom', [frank.addr, bob.addr, 1n]),
    ];
    const b = await chain.block(DEADLINE + 1_000n, bad);
    expect(b.outcomes[0]!.reason).toContain('settlement deadline');
    expect(b.outcomes[1]!.ok).toBe(false); // ERC721NonexistentToken: burned at settlement
    // More blocks: the settled interval is never settled again.
    await chain.block(DEADLINE + 2_000n, []);
    if (process.env.GL_PRINT_GAS) {
      for (const [sel, g] of chain.gasBySelector) console.log(`gas ${sel}: ${g.join(', ')}`);
    }
    expect(chain.snapshotExceptNonces()).toBe(before);
    expect(chain.invariantFailures).toEqual([]);
  });
});
