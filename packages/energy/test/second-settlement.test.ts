// The exploits of the old second settlement (issue 12 "Why"), each written first as a test that failed on
// the old code, now shown not to pay, in process on a 2-bus feeder (bus 1: upstream at 100 / 1 $/MWh;
// bus 2: the participants; hour intervals, so MW = MWh): free rider, phantom buyer, PV over-delivering
// behind a congested line, a seller that never delivers at a forward price above any fixed shortfall
// price, a withheld reading, an unbounded reading, gross-export credits, forgotten debts (default and run).
// Then the energy-balance check against the upstream meter and the operator's resolution.
import { CASH_ADDRESS, CREDITS_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import { describe, expect, it } from 'vitest';
import {
  type ImbalanceConfig,
  MARKET_ABI,
  MARKET_ADDRESS,
  METERS_ABI,
  METERS_ADDRESS,
  marketKeys,
  type NetworkJson,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
  readingDomain,
} from '../src/index.ts';
import { decodeSigned } from '../src/words.ts';
import {
  account,
  buildGenesis,
  CHAIN_ID,
  Chain,
  HOUR,
  line,
  type TestAccount,
  testMarketConfig,
} from './harness.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;
const K = 3n;
const GATE = K * HOUR;
const END = (K + 1n) * HOUR;
const DEADLINE = END + HOUR;

const admin = account('s2 admin');
const operator = account('s2 operator');

/** One participant of a scenario. */
interface Party {
  name: string;
  bus?: number;
  cash?: bigint;
  capacityW?: bigint;
  /** Its order: side 0 buy / 1 sell, steps of (MWh, $/MWh). */
  order?: { side: 0 | 1; steps: [bigint, bigint][] };
  /** Its reading (MWh imported, exported), or missing. */
  reading?: { imp: bigint; exp: bigint } | 'missing';
}

interface Options {
  lineLimitMw?: number;
  imbalance?: Partial<ImbalanceConfig>;
  /** The upstream connection's meter reading (imported, exported Wh), registered as meter 1000. */
  upstreamReading?: { imp: bigint; exp: bigint };
  /** Run before the settlement block (after clearing). */
  afterClearing?: (ctx: Ctx) => Promise<void>;
}

interface Ctx {
  chain: Chain;
  who: Map<string, TestAccount>;
}

function net(limitMw: number): NetworkJson {
  return {
    name: 'feeder',
    baseMVA: 100,
    buses: [
      { id: 1, type: 3 },
      { id: 2, type: 1 },
    ],
    branches: [line(1, 1, 2, 0.1, limitMw)],
  };
}

async function sign(key: TestAccount, r: Reading) {
  return key.signTypedData({
    domain: readingDomain(CHAIN_ID),
    types: READING_TYPES,
    primaryType: 'Reading',
    message: r,
  });
}

/** Runs one interval: registration, orders, clearing, readings, settlement. */
async function run(parties: Party[], o: Options = {}) {
  const who = new Map(parties.map((p) => [p.name, account(`s2 ${p.name}`)]));
  const meterKey = new Map(parties.map((p) => [p.name, account(`s2 meter ${p.name}`)]));
  const upMeter = account('s2 upstream meter');
  const config = testMarketConfig(operator.addr, {
    firstInterval: K,
    imbalance: o.imbalance ?? {},
    ...(o.upstreamReading === undefined ? {} : { upstream: { meter: 1000n } }),
  });
  const genesis = buildGenesis(admin, [
    { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: 1_000_000n * USD },
    ...parties.map((p) => ({
      who: who.get(p.name)!,
      roles: ['PARTICIPANT_ROLE' as const],
      cash: p.cash ?? 10_000n * USD,
    })),
  ]);
  const chain = await Chain.start(genesis, config);
  const setup = [
    await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [
      JSON.stringify(net(o.lineLimitMw ?? 0)),
    ]),
  ];
  let id = 1n;
  for (const p of parties) {
    const a = who.get(p.name)!;
    setup.push(
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
        id++,
        meterKey.get(p.name)!.addr,
        BigInt(p.bus ?? 2),
        a.addr,
        p.capacityW ?? 10_000_000n,
      ]),
      await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [
        a.addr,
        [BigInt(p.bus ?? 2)],
      ]),
    );
  }
  if (o.upstreamReading !== undefined) {
    setup.push(
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
        1000n,
        upMeter.addr,
        1n,
        operator.addr,
        100_000_000n,
      ]),
    );
  }
  const s = await chain.block(1_000n, setup);
  expect(s.outcomes.map((x) => x.reason ?? 'ok')).toEqual(s.outcomes.map(() => 'ok'));
  const orders = [];
  for (const p of parties) {
    if (p.order === undefined) continue;
    orders.push(
      await chain.tx(who.get(p.name)!, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K,
        BigInt(p.bus ?? 2),
        p.order.side,
        p.order.steps.map(([e, pr]) => ({ energyWh: e * MWH, priceMicrosPerMWh: pr * USD })),
      ]),
    );
  }
  const cash = (n: string) =>
    chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [
      n === 'operator' ? operator.addr : who.get(n)!.addr,
    ]);
  const before = new Map([
    ...parties.map((p) => [p.name, cash(p.name)] as const),
    ['operator', cash('operator')],
  ]);
  const ob = await chain.block(2_000n, orders);
  expect(ob.outcomes.map((x) => x.reason ?? 'ok')).toEqual(ob.outcomes.map(() => 'ok'));
  await chain.block(GATE, []);
  expect(chain.state.get(marketKeys.interval(K).status)).toBe(1n);
  const ctx = { chain, who };
  await o.afterClearing?.(ctx);
  const readings: Reading[] = [];
  const sigs = [];
  id = 1n;
  for (const p of parties) {
    const m = id++;
    if (p.reading === undefined || p.reading === 'missing') continue;
    const r = { meter: m, interval: K, importedWh: p.reading.imp, exportedWh: p.reading.exp };
    readings.push(r);
    sigs.push(await sign(meterKey.get(p.name)!, r));
  }
  if (o.upstreamReading !== undefined) {
    const r = {
      meter: 1000n,
      interval: K,
      importedWh: o.upstreamReading.imp,
      exportedWh: o.upstreamReading.exp,
    };
    readings.push(r);
    sigs.push(await sign(upMeter, r));
  }
  if (readings.length > 0) {
    const b = await chain.block(END, [
      await chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'submitReadings', [readings, sigs]),
    ]);
    expect(b.outcomes[0]!.reason ?? 'ok').toBe('ok');
  }
  await chain.block(DEADLINE, []);
  expect(chain.state.get(marketKeys.interval(K).status)).toBe(3n);
  expect(chain.invariantFailures).toEqual([]);
  const debt = (n: string) =>
    chain.view<[bigint, bigint]>(MARKET_ADDRESS, MARKET_ABI, 'debtOf', [
      n === 'operator' ? operator.addr : who.get(n)!.addr,
    ]);
  /** Change in money (cash + owed to it − owed by it) since before the orders, µ$. */
  const gain = (n: string) => {
    const [d, due] = debt(n);
    return cash(n) + due - d - before.get(n)!;
  };
  const iv = marketKeys.interval(K);
  return {
    chain,
    who,
    gain,
    debt,
    cash,
    forward: (bus: number) => decodeSigned(chain.state.get(iv.lmp(bus))),
    realtime: (bus: number) => decodeSigned(chain.state.get(iv.rtLmp(bus))),
    credits: (n: string) => chain.view<bigint>(CREDITS_ADDRESS, ERC20_ABI, 'balanceOf', [who.get(n)!.addr]),
  };
}

describe('second settlement: the exploits do not pay', () => {
  it('free rider: consuming without a trade pays at least what the truthful buyer pays', async () => {
    const r = await run([
      { name: 'rider', reading: { imp: 4n * MWH, exp: 0n } },
      { name: 'twin', order: { side: 0, steps: [[4n, 150n]] }, reading: { imp: 4n * MWH, exp: 0n } },
    ]);
    expect(r.forward(2)).toBe(100n * USD);
    expect(r.gain('twin')).toBe(-400n * USD);
    // Short 4 MWh at max(100, λ_rt = 100) + 5.
    expect(r.gain('rider')).toBe(-420n * USD);
  });

  it('phantom buyer: buying and not consuming loses money', async () => {
    const r = await run([
      { name: 'seller', order: { side: 1, steps: [[20n, 6n]] }, reading: { imp: 0n, exp: 10n * MWH } },
      { name: 'phantom', order: { side: 0, steps: [[5n, 50n]] }, reading: { imp: 0n, exp: 0n } },
      { name: 'twin', order: { side: 0, steps: [[5n, 50n]] }, reading: { imp: 5n * MWH, exp: 0n } },
    ]);
    expect(r.forward(2)).toBe(6n * USD);
    // 5 MWh surplus flows upstream at its 1 $/MWh bid: λ_rt = 1; the phantom is paid min(6, 1) − 5 < 0.
    expect(r.realtime(2)).toBe(1n * USD);
    expect(r.gain('phantom')).toBe(-30n * USD - 20n * USD);
    expect(r.gain('phantom')).toBeLessThan(0n);
  });

  it('PV over-delivering behind a congested line earns less than delivering what it sold', async () => {
    const scenario = (exportMwh: bigint) =>
      run(
        [
          { name: 'pv', order: { side: 1, steps: [[10n, 5n]] }, reading: { imp: 0n, exp: exportMwh * MWH } },
          { name: 'load', order: { side: 0, steps: [[3n, 50n]] }, reading: { imp: 3n * MWH, exp: 0n } },
        ],
        { lineLimitMw: 2 },
      );
    const exact = await scenario(5n);
    const over = await scenario(9n);
    expect(exact.forward(2)).toBe(5n * USD);
    // 9 − 3 = 6 MW on a 2 MW line: the injection the line could not carry is priced at the floor (0).
    expect(over.realtime(2)).toBe(0n);
    expect(over.gain('pv')).toBeLessThan(exact.gain('pv'));
  });

  it('a seller that never delivers at a forward price above the cap pays more than it was paid', async () => {
    const r = await run(
      [
        { name: 'seller', order: { side: 1, steps: [[2n, 360n]] }, reading: { imp: 0n, exp: 0n } },
        { name: 'buyer', order: { side: 0, steps: [[3n, 400n]] }, reading: { imp: 3n * MWH, exp: 0n } },
      ],
      { lineLimitMw: 1 },
    );
    expect(r.forward(2)).toBeGreaterThan(200n * USD);
    expect(r.gain('seller')).toBeLessThan(0n);
  });

  it('a withheld reading is estimated against the non-reporter: withholding loses', async () => {
    const r = await run([
      { name: 'withholder', order: { side: 0, steps: [[3n, 150n]] }, reading: 'missing' },
      { name: 'twin', order: { side: 0, steps: [[3n, 150n]] }, reading: { imp: 3n * MWH, exp: 0n } },
    ]);
    expect(r.gain('twin')).toBe(-300n * USD);
    // Estimated import = capacity × interval = 10 MWh: short 7 MWh at 105, plus the 1 $ penalty.
    expect(r.gain('withholder')).toBe(-300n * USD - 735n * USD - 1n * USD);
  });

  it('credits count net delivery only: energy imported and re-exported is not local', async () => {
    const r = await run([
      { name: 'seller', order: { side: 1, steps: [[3n, 6n]] }, reading: { imp: 3n * MWH, exp: 3n * MWH } },
      { name: 'buyer', order: { side: 0, steps: [[3n, 50n]] }, reading: { imp: 3n * MWH, exp: 0n } },
    ]);
    expect(r.credits('buyer')).toBe(0n);
  });

  it('default and run: the unpaid charge is a debt, the defaulter cannot trade, later receipts pay it', async () => {
    let accomplice: TestAccount | undefined;
    const r = await run(
      [
        {
          name: 'runner',
          cash: 500n * USD,
          order: { side: 1, steps: [[2n, 360n]] },
          reading: { imp: 0n, exp: 0n },
        },
        { name: 'buyer', order: { side: 0, steps: [[3n, 400n]] }, reading: { imp: 3n * MWH, exp: 0n } },
        { name: 'accomplice', cash: 0n, reading: { imp: 0n, exp: 0n } },
      ],
      {
        lineLimitMw: 1,
        afterClearing: async ({ chain, who }) => {
          // The runner moves all its cash to an account it controls before settlement.
          const runner = who.get('runner')!;
          accomplice = who.get('accomplice')!;
          const bal = chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [runner.addr]);
          const b = await chain.block(GATE + 1_000n, [
            await chain.tx(runner, CASH_ADDRESS, ERC20_ABI, 'transfer', [accomplice.addr, bal]),
          ]);
          expect(b.outcomes[0]!.ok).toBe(true);
        },
      },
    );
    const [owed] = r.debt('runner');
    expect(owed).toBeGreaterThan(0n);
    expect(r.debt('operator')[1]).toBe(owed);
    const runner = r.who.get('runner')!;
    const again = await r.chain.block(DEADLINE + 1_000n, [
      await r.chain.tx(runner, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
        K + 5n,
        2n,
        0,
        [{ energyWh: MWH, priceMicrosPerMWh: USD }],
      ]),
    ]);
    expect(again.outcomes[0]!.reason).toContain('is in default');
    // Money coming back is taken for the debt first.
    const opBefore = r.cash('operator');
    const back = await r.chain.block(DEADLINE + 2_000n, [
      await r.chain.tx(accomplice!, CASH_ADDRESS, ERC20_ABI, 'transfer', [runner.addr, owed + 7n]),
      await r.chain.tx(runner, MARKET_ADDRESS, MARKET_ABI, 'payDebts', []),
    ]);
    expect(back.outcomes.map((x) => x.ok)).toEqual([true, true]);
    expect(r.debt('runner')).toEqual([0n, 0n]);
    expect(r.cash('runner')).toBe(7n);
    expect(r.cash('operator')).toBe(opBefore + owed);
    expect(r.chain.invariantFailures).toEqual([]);
  });

  it('a reading above the meter capacity × interval is refused with the reason', async () => {
    const r = await run([{ name: 'x', capacityW: 1_000_000n, reading: { imp: 0n, exp: 0n } }]);
    const m = account('s2 meter x');
    const bad = { meter: 1n, interval: K + 1n, importedWh: 0n, exportedWh: 1_000_001n };
    const b = await r.chain.block(END + HOUR, [
      await r.chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'submitReadings', [[bad], [await sign(m, bad)]]),
    ]);
    expect(b.outcomes[0]!.reason).toContain(
      "exceeds the meter's capacity of 1000000 W × the interval = 1000000 Wh",
    );
  });
});

describe('energy-balance check', () => {
  it('an export inflated within capacity flags the interval and holds the surplus payments until the operator resolves', async () => {
    // Truth: the seller exported 2 MWh, the buyer imported 2 MWh: the upstream meter saw nothing.
    // The seller's compromised meter reports 5 MWh: the readings claim 3 MWh more than the connection saw.
    const r = await run(
      [
        { name: 'seller', order: { side: 1, steps: [[2n, 6n]] }, reading: { imp: 0n, exp: 5n * MWH } },
        { name: 'buyer', order: { side: 0, steps: [[2n, 50n]] }, reading: { imp: 2n * MWH, exp: 0n } },
      ],
      { upstreamReading: { imp: 0n, exp: 0n }, imbalance: { penaltyMicrosPerMWh: USD / 2n } },
    );
    const iv = marketKeys.interval(K);
    expect(decodeSigned(r.chain.state.get(iv.balanceMismatchWh))).toBe(3n * MWH);
    expect(r.chain.state.get(iv.flagged)).toBe(1n);
    // The seller's 3 MWh surplus at min(6, λ_rt = 1) − 0.5 $/MWh is held, not paid.
    const held = r.chain.state.get(iv.heldAmount(0n));
    expect(held).toBe(1_500_000n);
    // Only the grid operator resolves, once.
    const seller = r.who.get('seller')!;
    const before = r.cash('seller');
    const b = await r.chain.block(DEADLINE + 1_000n, [
      await r.chain.tx(seller, METERS_ADDRESS, METERS_ABI, 'resolveEnergyBalance', [K, true]),
      await r.chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'resolveEnergyBalance', [K, true]),
      await r.chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'resolveEnergyBalance', [K, false]),
    ]);
    expect(b.outcomes[0]!.reason).toContain('GRID_OPERATOR_ROLE');
    expect(b.outcomes[1]!.ok).toBe(true);
    expect(b.outcomes[2]!.reason).toContain('not held');
    expect(r.chain.state.get(iv.flagged)).toBe(2n);
    expect(r.cash('seller')).toBe(before + held);
  });

  it('a balanced interval is not flagged and pays as usual', async () => {
    const r = await run(
      [
        { name: 'seller', order: { side: 1, steps: [[2n, 6n]] }, reading: { imp: 0n, exp: 3n * MWH } },
        { name: 'buyer', order: { side: 0, steps: [[2n, 50n]] }, reading: { imp: 2n * MWH, exp: 0n } },
      ],
      { upstreamReading: { imp: 1n * MWH, exp: 0n } },
    );
    const iv = marketKeys.interval(K);
    expect(decodeSigned(r.chain.state.get(iv.balanceMismatchWh))).toBe(0n);
    expect(r.chain.state.get(iv.flagged)).toBe(0n);
  });
});
