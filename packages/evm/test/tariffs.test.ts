// The upstream's tariff by time of day and a negative real-time price floor on the EVM contracts
// (docs/market-rules.md §10b "Tariffs by time of day", §10a; docs/evm.md "Tariffs by time of day"). Exploit
// (written first, against contracts that priced the upstream at the configured flat prices and had no
// setTariff): the grid operator changes the upstream's prices while an interval is trading. Natively a
// change applies only from the first interval whose gate is at least the notice after it; here the same
// Tariffs contract: an interval already trading keeps its prices, the clearing's verifier prices the
// upstream at the interval's tariff (a certificate at the configured flat price is refused), and the
// real-time book too. A negative price floor prices injections the line cannot carry below zero, and a
// long party behind it pays, as the native engine computes. Every bad input reverts with its reason and
// changes nothing. One anvil for the file, each test isolated by evm_snapshot / evm_revert.

import { whToMw } from '@gridledger/base';
import {
  bandPrices,
  dcRealtimePrices,
  deviationAmount,
  firstTariffInterval,
  type MarketConfig,
  TARIFFS_ABI,
} from '@gridledger/energy';
import { type Abi, type AbiEvent, type AbiFunction, decodeEventLog } from 'viem';
import { describe, expect, it } from 'vitest';
import { integerNetwork } from '../src/certificate/format.ts';
import { produceDcCertificate } from '../src/certificate/produce.ts';
import { networkPartArgs } from '../src/certificate/submission.ts';
import { deployContract, deployMarket, type EvmTariffPeriod } from '../src/deploy.ts';
import { ClearingVerifierAbi } from '../src/generated/ClearingVerifier.ts';
import { RealtimeBookAbi } from '../src/generated/RealtimeBook.ts';
import { TariffsAbi, TariffsBytecode } from '../src/generated/Tariffs.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain, readBook, readNetwork } from '../src/operator/operator.ts';
import { type RealtimeContracts, submitRealtimePrices } from '../src/operator/realtime.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  type Call,
  cashProbe,
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  mineAt,
  read,
  realtimePrices,
  send,
  submitReading,
  type World,
} from './world.ts';

const M = 1_000_000n; // µ$/MWh per $/MWh
/** The notice a change needs in this market: 20 minutes (four intervals). */
const LEAD_MS = 1_200_000n;
const REALTIME = {
  penaltyMicrosPerMWh: 5n * M,
  priceCapMicrosPerMWh: 195n * M,
  priceFloorMicrosPerMWh: -10n * M,
  nonReportingPenaltyMicros: 1n * M,
  liquidatedDamagesMicrosPerMWh: 0n,
};
/** The prices of interval k0's period (A) and k0 + 1's (B); the market's flat configured ones are 100 / 20. */
const A = { importPriceMicrosPerMWh: 80n * M, exportPriceMicrosPerMWh: 15n * M };
const B = { importPriceMicrosPerMWh: 60n * M, exportPriceMicrosPerMWh: 10n * M };

let w: World;
let rt: RealtimeContracts;
let tariffs: `0x${string}`;

const minuteOf = (k: bigint) => Number(((k * INTERVAL_MS) / 60_000n) % 1440n);

// the first interval k0 (its start minute depends on the wall clock) falls in period A, k0 + 1 in period B
const firstK = (BigInt(Math.floor(Date.now() / 1000)) * 1000n) / INTERVAL_MS + 10n;
const m1 = minuteOf(firstK + 1n);
const genesis: EvmTariffPeriod[] =
  m1 === 0
    ? [
        { fromMinute: 0, ...B },
        { fromMinute: 1435, ...A },
      ]
    : [
        { fromMinute: 0, ...A },
        { fromMinute: m1, ...B },
      ];
useWorld(
  { realtime: REALTIME, tariff: genesis, tariffLeadMs: LEAD_MS },
  {
    setup: async (world) => {
      w = world;
      if (w.k0 !== firstK)
        throw new Error('the wall clock crossed an interval while the world was set up: run again');
      rt = w.realtime;
      tariffs = w.addresses.tariffs;
    },
    timeoutMs: 120_000,
  },
);

const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
const t = (functionName: string, args: readonly unknown[]): Call => ({
  address: tariffs,
  abi: TariffsAbi as Abi,
  functionName,
  args,
});
const tariffAt = async (k: bigint) => {
  const [importPriceMicrosPerMWh, exportPriceMicrosPerMWh] = await read<[bigint, bigint]>(
    w,
    t('tariffAt', [k]),
  );
  return { importPriceMicrosPerMWh, exportPriceMicrosPerMWh };
};
const setTariffArgs = (periods: readonly EvmTariffPeriod[]) => [
  periods.map((p) => BigInt(p.fromMinute)),
  periods.map((p) => p.importPriceMicrosPerMWh),
  periods.map((p) => p.exportPriceMicrosPerMWh),
];
const flat = (importDollars: bigint, exportDollars: bigint): EvmTariffPeriod[] => [
  { fromMinute: 0, importPriceMicrosPerMWh: importDollars * M, exportPriceMicrosPerMWh: exportDollars * M },
];
const gate = (k: bigint) => k * INTERVAL_MS - GATE_LEAD_MS;
/** The native first interval a change made at market time `nowMs` reaches (tariffs.ts firstTariffInterval). */
const nativeFirst = (nowMs: bigint) =>
  firstTariffInterval(
    {
      intervalMs: INTERVAL_MS,
      gateLeadMs: GATE_LEAD_MS,
      upstream: { tariffLeadMs: LEAD_MS },
    } as unknown as MarketConfig,
    nowMs,
  );
const marketTime = () => read<bigint>(w, market(w, 'marketTimeMs', []));

/** Everything the tariffs hold, read through their views. */
const tariffProbe = async () => {
  const k0 = w.k0;
  return {
    count: await read(w, t('scheduleCount', [])),
    prices: await Promise.all([0n, 1n, 2n, 5n, 10n, 300n].map((d) => tariffAt(k0 + d))),
    latest: await read(w, t('tariffSchedule', [k0 + 100_000n])),
    market: await read(w, market(w, 'tariffs', [])),
  };
};

/** Alice buys 25,000 Wh at bus 2 at 150 $/MWh in interval k (the upstream serves her). */
const buy = (k: bigint) => send(w, w.alice, market(w, 'placeOrder', [k, 2n, 0, [step(25_000n, 150n * M)]]));
const lmp = (k: bigint, bus: bigint) => read<bigint>(w, market(w, 'lmp', [k, bus]));

describe('the upstream tariff by time of day on the contracts', () => {
  it('has the native tariff module’s functions, views and event', () => {
    // name, type and indexed of each parameter (solc adds internalType)
    const strip = (ps: readonly { name?: string; type: string; indexed?: boolean }[]) =>
      ps.map((x) => ({ name: x.name, type: x.type, indexed: x.indexed ?? false }));
    for (const item of TARIFFS_ABI) {
      const mine = (TariffsAbi as Abi).find(
        (x) => x.type === item.type && 'name' in x && x.name === item.name,
      ) as AbiFunction | AbiEvent | undefined;
      expect(mine, `${item.type} ${item.name}`).toBeDefined();
      expect(strip(mine!.inputs)).toEqual(strip(item.inputs));
      if (item.type === 'function') expect(strip((mine as AbiFunction).outputs)).toEqual(strip(item.outputs));
    }
  });

  it('keeps the prices of an interval already trading when the grid operator changes the tariff, and clears each interval at its own', async () => {
    const k0 = w.k0;
    expect((await read<string>(w, market(w, 'tariffs', []))).toLowerCase()).toBe(tariffs.toLowerCase());
    expect(await tariffAt(k0)).toEqual(A);
    expect(await tariffAt(k0 + 1n)).toEqual(B);
    // the market serves the same prices to its verifier
    expect(await read(w, market(w, 'tariffAt', [k0 + 1n]))).toEqual([
      B.importPriceMicrosPerMWh,
      B.exportPriceMicrosPerMWh,
    ]);
    const [version0, from0, minutes] = await read<[bigint, bigint, readonly bigint[]]>(
      w,
      t('tariffSchedule', [k0]),
    );
    expect([version0, from0, minutes]).toEqual([0n, k0, genesis.map((p) => BigInt(p.fromMinute))]);
    await buy(k0);
    await buy(k0 + 1n);

    // ten minutes before k0's gate the grid operator raises the upstream's prices: the notice (20
    // minutes) keeps k0 and k0 + 1 at the prices their traders bid against
    const now = gate(k0) - 600_000n;
    await mineAt(w, now);
    const first = nativeFirst(await marketTime());
    expect(first).toBe(k0 + 2n);
    expect(await read(w, t('tariffLead', []))).toEqual([LEAD_MS, first]);
    const c = await w.clients(w.operator);
    const hash = await c.wallet.writeContract({
      address: tariffs,
      abi: TariffsAbi as Abi,
      functionName: 'setTariff',
      args: setTariffArgs(flat(200n, 5n)),
    });
    const receipt = await c.public.waitForTransactionReceipt({ hash });
    const ev = decodeEventLog({ abi: TariffsAbi as Abi, ...receipt.logs[0]! });
    expect(ev.eventName).toBe('TariffScheduled');
    expect(ev.args).toEqual({
      version: 1n,
      fromInterval: first,
      fromMinute: [0n],
      importPriceMicrosPerMWh: [200n * M],
      exportPriceMicrosPerMWh: [5n * M],
    });
    expect(await tariffAt(k0)).toEqual(A);
    expect(await tariffAt(k0 + 1n)).toEqual(B);
    expect(await tariffAt(first)).toEqual({
      importPriceMicrosPerMWh: 200n * M,
      exportPriceMicrosPerMWh: 5n * M,
    });
    expect((await read<[bigint, bigint]>(w, t('tariffSchedule', [first]))).slice(0, 2)).toEqual([1n, first]);

    // k0's gate: the upstream's offer is priced at A, so the honest clearing verifies and alice pays 80 $/MWh
    await mineAt(w, gate(k0));
    const contracts = { market: w.addresses.market, verifier: w.verifier };
    const book = await readBook(c, contracts, k0);
    expect(book.upstream.sell.priceMicrosPerMWh).toBe(A.importPriceMicrosPerMWh);
    expect(book.upstream.buy.priceMicrosPerMWh).toBe(A.exportPriceMicrosPerMWh);
    // an operator pricing the upstream at the configured flat price (100 $/MWh) is refused
    const { network } = await readNetwork(c, w.addresses.registry);
    const atFlat = {
      ...book,
      upstream: {
        ...book.upstream,
        sell: { ...book.upstream.sell, priceMicrosPerMWh: w.config.upstream.importPriceMicrosPerMWh },
      },
    };
    const produced = await produceDcCertificate(network, integerNetwork(network, 5), atFlat, 5);
    expect(produced.certificate.lmpMicrosPerMWh[0]).toBe(100n * M);
    await expectRevert(
      w,
      w.operator,
      {
        address: w.verifier,
        abi: ClearingVerifierAbi as Abi,
        functionName: 'begin',
        args: [k0, networkPartArgs(produced.certificate)],
      },
      'UpstreamStepViolated',
      cashProbe(w),
    );
    expect((await clearIntervalOnChain(c, contracts, k0))?.orders).toBe(1);
    expect(await lmp(k0, 1n)).toBe(A.importPriceMicrosPerMWh);
    expect(await lmp(k0, 2n)).toBe(A.importPriceMicrosPerMWh);

    // after k0's gate another change: k0 + 1 (trading) still keeps B and clears at 60 $/MWh
    await send(w, w.operator, t('setTariff', setTariffArgs(flat(300n, 1n))));
    expect(await tariffAt(k0 + 1n)).toEqual(B);
    expect(await read<[bigint]>(w, t('tariffSchedule', [k0 + 100n]))).toEqual([
      2n,
      nativeFirst(await marketTime()),
      [0n],
      [300n * M],
      [1n * M],
    ]);
    await mineAt(w, gate(k0 + 1n));
    expect((await clearIntervalOnChain(c, contracts, k0 + 1n))?.orders).toBe(1);
    expect(await lmp(k0 + 1n, 2n)).toBe(B.importPriceMicrosPerMWh);
  });

  it('refuses a malformed tariff, one from anyone but the grid operator, and a ninth waiting change, changing nothing', async () => {
    const bad = (periods: EvmTariffPeriod[]) => t('setTariff', setTariffArgs(periods));
    const p = (fromMinute: number, imp: bigint, exp: bigint): EvmTariffPeriod => ({
      fromMinute,
      importPriceMicrosPerMWh: imp * M,
      exportPriceMicrosPerMWh: exp * M,
    });
    await expectRevert(
      w,
      w.alice,
      bad(flat(90n, 10n)),
      `tariffs: setTariff needs GRID_OPERATOR_ROLE, ${w.alice.address.toLowerCase()} does not hold it`,
      tariffProbe,
    );
    const cases: [EvmTariffPeriod[] | Call, string][] = [
      [[], 'tariffs: expected 1..48 periods, got 0'],
      [Array.from({ length: 49 }, (_, j) => p(j * 10, 90n, 10n)), 'tariffs: expected 1..48 periods, got 49'],
      [
        [p(0, 90n, 10n), p(600, 90n, 10n), p(300, 90n, 10n)],
        'period 3: expected a start minute above 600 and below 1440, got 300',
      ],
      [[p(0, 90n, 10n), p(600, 90n, 10n), p(600, 90n, 10n)], 'period 3: expected a start minute above 600'],
      [
        [p(0, 90n, 10n), p(1440, 90n, 10n)],
        'period 2: expected a start minute above 0 and below 1440, got 1440',
      ],
      [[p(420, 90n, 10n)], 'tariffs: period 1 must start at minute 0 (00:00), got 420'],
      [[p(0, 90n, 95n)], 'tariffs: period 1: expected the export price below the import price'],
      [
        [p(0, 90n, 10n), p(60, 50n, 50n)],
        'tariffs: period 2: expected the export price below the import price',
      ],
      [[p(0, 2_000_000n, 10n)], 'tariffs: period 1: expected prices in 0..1000000000000'],
      [
        t('setTariff', [[0n, 60n], [90n * M], [10n * M]]),
        'tariffs: expected as many import and export prices as periods, got 2, 1, 1',
      ],
    ];
    for (const [input, reason] of cases) {
      await expectRevert(w, w.operator, Array.isArray(input) ? bad(input) : input, reason, tariffProbe);
    }
    // eight changes may wait to apply; the ninth is refused until the first applies (its gate passes)
    for (let i = 1n; i <= 8n; i++) await send(w, w.operator, bad(flat(90n + i, 10n)));
    expect(await read(w, t('scheduleCount', []))).toBe(9n);
    await expectRevert(
      w,
      w.operator,
      bad(flat(99n, 10n)),
      'tariffs: 8 schedules are already waiting to apply (at most 8); wait until the next one applies',
      tariffProbe,
    );
    const [, firstWaiting] = await read<[bigint, bigint]>(w, t('tariffSchedule', [w.k0 + 100_000n]));
    await mineAt(w, gate(firstWaiting));
    await send(w, w.operator, bad(flat(99n, 10n)));
    expect(await tariffAt(w.k0 + 100_000n)).toEqual({
      importPriceMicrosPerMWh: 99n * M,
      exportPriceMicrosPerMWh: 10n * M,
    });

    // the market names its tariffs once, by its deployer; a deployment with a malformed schedule reverts
    for (const from of [w.deployer, w.alice])
      await expectRevert(
        w,
        from,
        market(w, 'setTariffs', [w.alice.address]),
        'market: only the deployer names the tariffs, once',
        tariffProbe,
      );
    const d = await w.clients(w.deployer);
    await expect(
      deployContract(d, TariffsAbi as Abi, TariffsBytecode, [
        w.addresses.market,
        w.addresses.registry,
        LEAD_MS,
        [0n],
        [10n],
        [10n],
      ]),
    ).rejects.toThrow(/period 1: expected the export price below the import price/);
  });
});

describe('a negative real-time price floor on the contracts', () => {
  const cashOf = (a: `0x${string}`) =>
    read<bigint>(w, {
      address: w.addresses.cash,
      abi: TestStablecoinAbi as Abi,
      functionName: 'balanceOf',
      args: [a],
    });

  it('prices injections the line cannot carry at the negative floor (the tariff upstream), and the long seller pays, as native', async () => {
    const k = w.k0;
    // alice buys 25,000 Wh at bus 2, bob sells 25,000 Wh at bus 3 at 30 $/MWh (line 2-3 full)
    await buy(k);
    await send(w, w.bob, market(w, 'placeOrder', [k, 3n, 1, [step(25_000n, 30n * M)]]));
    await mineAt(w, gate(k));
    const op = await w.clients(w.operator);
    await clearIntervalOnChain(op, { market: w.addresses.market, verifier: w.verifier }, k);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // bob injects 30,000 Wh but the line carries 25,000; alice withdraws 30,000
    await submitReading(w, 2n, k, 0n, 30_000n);
    await submitReading(w, 1n, k, 30_000n, 0n);
    // the real-time book serves every price shifted up by −floor (10 $/MWh): the floor at 0, the
    // upstream at A + 10
    const offset = 10n * M;
    expect(
      await read(w, {
        address: rt.book,
        abi: RealtimeBookAbi as Abi,
        functionName: 'priceOffsetMicrosPerMWh',
        args: [],
      }),
    ).toBe(offset);
    const b = await readBook(op, { market: rt.book, verifier: rt.verifier }, k);
    expect(b.orders.map((o) => [o.bus, o.side, o.steps[0]!.priceMicrosPerMWh])).toEqual([
      [2n, 'buy', REALTIME.priceCapMicrosPerMWh + offset],
      [3n, 'sell', 0n],
    ]);
    expect([b.upstream.sell.priceMicrosPerMWh, b.upstream.buy.priceMicrosPerMWh]).toEqual([
      A.importPriceMicrosPerMWh + offset,
      A.exportPriceMicrosPerMWh + offset,
    ]);
    const r = await submitRealtimePrices(op, rt, k);
    const { network } = await readNetwork(op, w.addresses.registry);
    const native = await dcRealtimePrices({
      network,
      injectionMw: new Map([
        [2, whToMw(-30_000n, 5)],
        [3, whToMw(30_000n, 5)],
      ]),
      upstream: { bus: 1, ...A },
      priceCapMicrosPerMWh: REALTIME.priceCapMicrosPerMWh,
      priceFloorMicrosPerMWh: REALTIME.priceFloorMicrosPerMWh,
    });
    if (!native.ok) throw new Error(native.reason);
    const recorded = await realtimePrices(w, k);
    expect(recorded).toEqual(native.pricesMicrosPerMWh);
    expect(recorded.get(3)).toBe(REALTIME.priceFloorMicrosPerMWh);
    expect(recorded.get(1)).toBe(A.importPriceMicrosPerMWh);
    expect(r.lmpMicrosPerMWh[2]).toBe(REALTIME.priceFloorMicrosPerMWh);

    // settle: bob is long 5,000 Wh at min(30, −10) − 5 = −15 $/MWh: he pays 0.075 $
    const amount = async (bus: number, devWh: bigint) =>
      deviationAmount(
        devWh,
        bandPrices(await lmp(k, BigInt(bus)), recorded.get(bus)!, REALTIME.penaltyMicrosPerMWh),
      );
    const bob = await amount(3, 5_000n);
    const alice = await amount(2, -5_000n);
    expect(bob).toBe(-75_000n);
    const before = {
      alice: await cashOf(w.alice.address),
      bob: await cashOf(w.bob.address),
      op: await cashOf(w.operator.address),
    };
    await send(w, w.carol, market(w, 'settle', [k]));
    // bob's collateral (25,000 Wh · 200 $/MWh = 5 $) comes back less what he pays
    expect((await cashOf(w.bob.address)) - before.bob).toBe(5_000_000n + bob);
    expect((await cashOf(w.alice.address)) - before.alice).toBe(alice);
    // carol's meter at bus 2 is not registered here: the grid operator takes the rest
    expect((await cashOf(w.operator.address)) - before.op).toBe(-(alice + bob));
    expect(await cashOf(w.addresses.market)).toBe(0n);
  });

  it('refuses a floor above the upstream export price or below −10^12 at deployment', async () => {
    const d = await w.clients(w.deployer);
    for (const floor of [21n * M, -(10n ** 12n) - 1n])
      await expect(
        deployMarket(d, {
          config: { ...w.config, realtime: { ...REALTIME, priceFloorMicrosPerMWh: floor } },
        }),
      ).rejects.toThrow(/realtime\.priceFloor/);
  });
});
