// The second settlement on an EVM chain (docs/market-rules.md §10a, docs/evm.md "The second settlement"):
// a market deployed with `realtime` (δ 5 $/MWh, cap 195 $/MWh = shortfall price − δ, floor 1 $/MWh,
// non-reporting penalty 1 $) on its own anvil. The operator prices the metered state (RealtimeBook) with
// the engine and submits the certificate to the real-time verifier; settle(k) settles every deviation in
// the penalty band. Cross-checks against the native TypeScript: the recorded real-time prices equal
// @gridledger/energy's dcRealtimePrices on the same injections, and every account's cash moves by what the
// native bandPrices / deviationAmount give for the same positions (and the native penalty for a missing
// reading). Every bad input reverts with its reason and changes nothing.

import { whToMw } from '@gridledger/base';
import { bandPrices, dcRealtimePrices, deviationAmount } from '@gridledger/energy';
import type { Abi, Address } from 'viem';
import { describe, expect, it } from 'vitest';
import { integerNetwork } from '../src/certificate/format.ts';
import { produceDcCertificate } from '../src/certificate/produce.ts';
import { networkPartArgs } from '../src/certificate/submission.ts';
import { ClearingVerifierAbi } from '../src/generated/ClearingVerifier.ts';
import { CreditsAbi } from '../src/generated/Credits.ts';
import { RealtimeBookAbi } from '../src/generated/RealtimeBook.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { readBook, readNetwork } from '../src/operator/operator.ts';
import { type RealtimeContracts, submitRealtimePrices } from '../src/operator/realtime.ts';
import { runOperator } from '../src/operator/run.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  type Call,
  cashProbe,
  clearForward,
  INTERVAL_MS,
  market,
  mineAt,
  read,
  registry,
  SETTLEMENT_DELAY_MS,
  send,
  submitReading,
  WORLD_REALTIME,
  type World,
} from './world.ts';

const REALTIME = WORLD_REALTIME;

let w: World;
let rt: RealtimeContracts;

useWorld(
  { realtime: REALTIME },
  {
    setup: async (world) => {
      w = world;
      rt = w.realtime;
      // carol: a meter at bus 2 (12 kW: 1,000 Wh per interval) and no orders
      await send(
        w,
        w.operator,
        registry(w, 'registerMeter', [3n, w.meterKey.address, 2n, w.carol.address, 12_000n]),
      );
    },
  },
);

const balanceOf = (token: Address, a: Address) =>
  read<bigint>(w, { address: token, abi: TestStablecoinAbi as Abi, functionName: 'balanceOf', args: [a] });
const cashOf = (a: Address) => balanceOf(w.addresses.cash, a);
const book = (functionName: string, args: readonly unknown[]): Call => ({
  address: rt.book,
  abi: RealtimeBookAbi as Abi,
  functionName,
  args,
});

/** The native engine's real-time prices for net injections per bus (Wh), as settlement.ts computes them. */
async function nativeRealtimePrices(netWh: Map<number, bigint>): Promise<Map<number, bigint>> {
  const c = await w.clients(w.operator);
  const { network } = await readNetwork(c, w.addresses.registry);
  const r = await dcRealtimePrices({
    network,
    injectionMw: new Map([...netWh].map(([b, x]) => [b, whToMw(x, 5)])),
    upstream: {
      bus: 1,
      importPriceMicrosPerMWh: w.config.upstream.importPriceMicrosPerMWh,
      exportPriceMicrosPerMWh: w.config.upstream.exportPriceMicrosPerMWh,
    },
    priceCapMicrosPerMWh: REALTIME.priceCapMicrosPerMWh,
    priceFloorMicrosPerMWh: REALTIME.priceFloorMicrosPerMWh,
  });
  if (!r.ok) throw new Error(r.reason);
  return r.pricesMicrosPerMWh;
}

/** What the native deviationAmount gives a party at `bus` deviating `devWh`. */
async function nativeAmount(k: bigint, bus: number, devWh: bigint, rtPrices: Map<number, bigint>) {
  const fwd = await read<bigint>(w, market(w, 'lmp', [k, BigInt(bus)]));
  return deviationAmount(devWh, bandPrices(fwd, rtPrices.get(bus)!, REALTIME.penaltyMicrosPerMWh));
}

/** Liquidated damages of an undelivered promise as native settlement-credits.ts: ceil(Wh · rate / 10^6). */
const damages = (undeliveredWh: bigint) =>
  (undeliveredWh * REALTIME.liquidatedDamagesMicrosPerMWh + 999_999n) / 1_000_000n;

type Cash = Record<'alice' | 'bob' | 'carol' | 'operator' | 'market', bigint>;
async function cashAll(): Promise<Cash> {
  return {
    alice: await cashOf(w.alice.address),
    bob: await cashOf(w.bob.address),
    carol: await cashOf(w.carol.address),
    operator: await cashOf(w.operator.address),
    market: await cashOf(w.addresses.market),
  };
}

describe('the second settlement on the contracts', () => {
  it('prices the metered state with a verified certificate and settles every deviation in the penalty band as native', async () => {
    const k = await clearForward(w);
    // bob's collateral: 25,000 Wh · 200 $/MWh = 5 $ (cap + δ, as native)
    expect(await cashOf(w.addresses.market)).toBe(5_000_000n);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // bob delivers 20,000 of 25,000 Wh (short 5,000), alice consumes 24,000 of 25,000 (long 1,000), carol
    // exports 500 Wh without an order (long 500)
    await submitReading(w, 2n, k, 0n, 20_000n);
    await submitReading(w, 1n, k, 24_000n, 0n);
    const waiting = async () => ({
      cash: await cashProbe(w)(),
      state: await read(w, market(w, 'intervalState', [k])),
    });
    // carol's reading is awaited: no book yet, no real-time prices, no settlement (settle names the prices
    // it waits for; the meters phase's own wait check is not repeated before them)
    expect(await read<unknown[]>(w, book('openOrders', [k]))).toEqual([]);
    await expect(submitRealtimePrices(await w.clients(w.operator), rt, k)).rejects.toThrow(/GateNotClosed/);
    await expectRevert(w, w.carol, market(w, 'settle', [k]), 'waits for its real-time prices', waiting);
    await submitReading(w, 3n, k, 0n, 500n);
    // the readings are in: the book is the fixed-injection book of the metered state
    const b = await readBook(await w.clients(w.operator), { market: rt.book, verifier: rt.verifier }, k);
    expect(b.orders.map((o) => [o.bus, o.side, o.steps[0]!.energyWh, o.steps[0]!.priceMicrosPerMWh])).toEqual(
      [
        [2n, 'buy', 23_500n, 195_000_000n],
        [3n, 'sell', 20_000n, 1_000_000n],
      ],
    );
    // settling before the real-time prices is refused
    await expectRevert(
      w,
      w.carol,
      market(w, 'settle', [k]),
      `interval ${k} waits for its real-time prices`,
      waiting,
    );
    expect(await read<[number]>(w, book('intervalState', [k]))).toEqual([0, 0n, 0n, 0n]);

    // a certificate with every price 1 $/MWh higher (stationarity holds) is refused: the upstream's offer
    // would be in the money and unexhausted
    const op = await w.clients(w.operator);
    const { network } = await readNetwork(op, w.addresses.registry);
    const produced = await produceDcCertificate(network, integerNetwork(network, 5), b, 5);
    const part = networkPartArgs(produced.certificate);
    const bad = { ...part, lmpMicrosPerMWh: part.lmpMicrosPerMWh.map((p) => p + 1_000_000n) };
    const rtProbe = async () => ({
      cash: await cashProbe(w)(),
      status: await read(w, book('status', [k])),
      verifierBusIds: await read(w, {
        address: rt.verifier,
        abi: ClearingVerifierAbi as Abi,
        functionName: 'busIds',
        args: [],
      }),
    });
    await expectRevert(
      w,
      w.operator,
      { address: rt.verifier, abi: ClearingVerifierAbi as Abi, functionName: 'begin', args: [k, bad] },
      'UpstreamStepViolated',
      rtProbe,
    );
    // only the verifier records prices
    await expectRevert(
      w,
      w.operator,
      book('beginApplying', [
        {
          interval: k,
          busIds: [1n, 2n, 3n],
          lmpMicrosPerMWh: [1n, 1n, 1n],
          lmpLowMicrosPerMWh: [1n, 1n, 1n],
          lmpHighMicrosPerMWh: [1n, 1n, 1n],
          branchFlowW: [0n, 0n],
          upstreamImportWh: 0n,
          upstreamExportWh: 0n,
          resultHash: `0x${'00'.repeat(32)}`,
          certificateHash: `0x${'00'.repeat(32)}`,
        },
        0n,
        0n,
        0n,
        0n,
      ]),
      'realtime: only the verifier records real-time prices',
      rtProbe,
    );

    // the honest certificate: prices recorded, equal to the native engine's
    const r = await submitRealtimePrices(op, rt, k);
    expect(r.orders).toBe(2);
    const native = await nativeRealtimePrices(
      new Map([
        [2, -23_500n],
        [3, 20_000n],
      ]),
    );
    const recorded = new Map<number, bigint>();
    for (const bus of [1, 2, 3])
      recorded.set(bus, await read<bigint>(w, book('realtimePrice', [k, BigInt(bus)])));
    expect(recorded).toEqual(native);
    expect(await read(w, book('meterCountOf', [k]))).toBe(3n);
    // a second pricing of the interval is refused
    await expect(submitRealtimePrices(op, rt, k)).rejects.toThrow(/IntervalNotOpen/);

    // settle: every account's cash moves by the native amounts
    const before = await cashAll();
    await send(w, w.carol, market(w, 'settle', [k]));
    const after = await cashAll();
    const amount = {
      alice: await nativeAmount(k, 2, 1_000n, recorded),
      bob: await nativeAmount(k, 3, -5_000n, recorded),
      carol: await nativeAmount(k, 2, 500n, recorded),
    };
    // λ_rt 100 $/MWh everywhere (the upstream's import price: the metered flow fits line 2-3)
    expect([...recorded.values()]).toEqual([100_000_000n, 100_000_000n, 100_000_000n]);
    // λ_fwd 55 $/MWh at bus 2 (line 2-3 full: the midpoint), 30 at bus 3: long at 50, short at 105
    expect(amount).toEqual({ alice: 50_000n, bob: -525_000n, carol: 25_000n });
    expect(damages(5_000n)).toBe(10_000n); // 5,000 Wh undelivered of bob's promise, 2 $/MWh to alice
    expect(after.alice - before.alice).toBe(amount.alice + damages(5_000n));
    expect(after.bob - before.bob).toBe(5_000_000n + amount.bob - damages(5_000n));
    expect(after.carol - before.carol).toBe(amount.carol);
    expect(after.operator - before.operator).toBe(-(amount.alice + amount.bob + amount.carol));
    expect(after.market).toBe(0n);
    // credits for bob's net delivery min(25,000, 20,000) to the promise's holder (alice)
    expect(
      await read(w, {
        address: w.addresses.credits,
        abi: CreditsAbi as Abi,
        functionName: 'balanceOf',
        args: [w.alice.address],
      }),
    ).toBe(20_000n);
    expect((await read<unknown[]>(w, market(w, 'intervalState', [k])))[0]).toBe(3);
    // settling twice, or pricing a settled interval, is refused
    const settled = async () => ({ cash: await cashProbe(w)(), status: await read(w, book('status', [k])) });
    await expectRevert(w, w.carol, market(w, 'settle', [k]), `interval ${k} is already settled`, settled);
  });

  it('estimates a missing reading at the deadline, charges the non-reporting penalty, and prices the estimate', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    await submitReading(w, 2n, k, 0n, 20_000n);
    await submitReading(w, 1n, k, 24_000n, 0n);
    // before the deadline the verifier refuses the book (its readings are not final)
    const op = await w.clients(w.operator);
    await expect(submitRealtimePrices(op, rt, k)).rejects.toThrow(/GateNotClosed/);
    const deadline = (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS;
    expect((await read<bigint[]>(w, book('clock', [k])))[0]).toBe(deadline);
    await mineAt(w, deadline);
    // carol's meter is estimated at its capacity × interval imported: bus 2 withdraws 24,000 + 1,000
    const b = await readBook(op, { market: rt.book, verifier: rt.verifier }, k);
    expect(b.orders.map((o) => [o.bus, o.steps[0]!.energyWh])).toEqual([
      [2n, 25_000n],
      [3n, 20_000n],
    ]);
    await submitRealtimePrices(op, rt, k);
    const native = await nativeRealtimePrices(
      new Map([
        [2, -25_000n],
        [3, 20_000n],
      ]),
    );
    const recorded = new Map<number, bigint>();
    for (const bus of [1, 2, 3])
      recorded.set(bus, await read<bigint>(w, book('realtimePrice', [k, BigInt(bus)])));
    expect(recorded).toEqual(native);
    const before = await cashAll();
    await send(w, w.carol, market(w, 'settle', [k]));
    const after = await cashAll();
    const amount = {
      alice: await nativeAmount(k, 2, 1_000n, recorded),
      bob: await nativeAmount(k, 3, -5_000n, recorded),
      carol: await nativeAmount(k, 2, -1_000n, recorded),
    };
    expect(after.alice - before.alice).toBe(amount.alice + damages(5_000n));
    expect(after.bob - before.bob).toBe(5_000_000n + amount.bob - damages(5_000n));
    expect(after.carol - before.carol).toBe(-REALTIME.nonReportingPenaltyMicros + amount.carol);
    expect(after.operator - before.operator).toBe(
      REALTIME.nonReportingPenaltyMicros - (amount.alice + amount.bob + amount.carol),
    );
    expect(after.market).toBe(0n);
  });

  it('prices a metered state the network cannot carry at the floor behind the line (negative band price), as native', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // bob injects 30,000 Wh at bus 3 but line 2-3 carries 25,000: the excess is priced at the floor there;
    // alice withdraws 30,000 at bus 2 (short 5,000), carol's meter reads nothing
    await submitReading(w, 2n, k, 0n, 30_000n);
    await submitReading(w, 1n, k, 30_000n, 0n);
    await submitReading(w, 3n, k, 0n, 0n);
    const op = await w.clients(w.operator);
    await submitRealtimePrices(op, rt, k);
    const native = await nativeRealtimePrices(
      new Map([
        [2, -30_000n],
        [3, 30_000n],
      ]),
    );
    const recorded = new Map<number, bigint>();
    for (const bus of [1, 2, 3])
      recorded.set(bus, await read<bigint>(w, book('realtimePrice', [k, BigInt(bus)])));
    expect(recorded).toEqual(native);
    expect(recorded.get(3)).toBe(REALTIME.priceFloorMicrosPerMWh);
    const before = await cashAll();
    await send(w, w.carol, market(w, 'settle', [k]));
    const after = await cashAll();
    const amount = {
      alice: await nativeAmount(k, 2, -5_000n, recorded),
      bob: await nativeAmount(k, 3, 5_000n, recorded),
    };
    // bob is long at min(30, 1) − 5 = −4 $/MWh: he pays 0.02 $ from his collateral
    expect(amount.bob).toBe(-20_000n);
    expect(after.alice - before.alice).toBe(amount.alice + damages(0n));
    expect(after.bob - before.bob).toBe(5_000_000n + amount.bob - damages(0n));
    expect(after.carol).toBe(before.carol);
    expect(after.operator - before.operator).toBe(-(amount.alice + amount.bob));
    expect(after.market).toBe(0n);
  });

  it('prices a metered state without injections (an empty book: the upstream alone sets the prices), as native', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // nobody delivers or consumes: bob is short 25,000 Wh, alice long 25,000
    for (const m of [1n, 2n, 3n]) await submitReading(w, m, k, 0n, 0n);
    const op = await w.clients(w.operator);
    expect((await submitRealtimePrices(op, rt, k)).orders).toBe(0);
    const native = await nativeRealtimePrices(
      new Map([
        [2, 0n],
        [3, 0n],
      ]),
    );
    const recorded = new Map<number, bigint>();
    for (const bus of [1, 2, 3])
      recorded.set(bus, await read<bigint>(w, book('realtimePrice', [k, BigInt(bus)])));
    expect(recorded).toEqual(native);
    const before = await cashAll();
    await send(w, w.carol, market(w, 'settle', [k]));
    const after = await cashAll();
    const amount = {
      alice: await nativeAmount(k, 2, 25_000n, recorded),
      bob: await nativeAmount(k, 3, -25_000n, recorded),
    };
    expect(after.alice - before.alice).toBe(amount.alice + damages(25_000n));
    expect(after.bob - before.bob).toBe(5_000_000n + amount.bob - damages(25_000n));
    expect(after.operator - before.operator).toBe(-(amount.alice + amount.bob));
  });

  it("is priced by the operator's loop (gridledger operator) once the readings are final", async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    const op = await w.clients(w.operator);
    const contracts = { market: w.addresses.market, verifier: w.verifier };
    await submitReading(w, 1n, k, 24_000n, 0n);
    await submitReading(w, 2n, k, 0n, 20_000n);
    // carol's reading is missing: not due yet
    let outcomes = await runOperator(op, { contracts, realtime: rt, once: true });
    expect(outcomes.filter((x) => x.kind === 'realtime')).toEqual([]);
    await submitReading(w, 3n, k, 0n, 500n);
    outcomes = await runOperator(op, { contracts, realtime: rt, once: true });
    expect(
      outcomes.filter((x) => x.kind === 'realtime').map((x) => [x.interval, 'orders' in x && x.orders]),
    ).toEqual([[k, 2]]);
    expect(await read(w, book('status', [k]))).toBe(1);
    // the next look has nothing left to price
    outcomes = await runOperator(op, { contracts, realtime: rt, once: true });
    expect(outcomes.filter((x) => x.kind !== 'empty')).toEqual([]);
    await send(w, w.carol, market(w, 'settle', [k]));
  });

  it('refuses a second real-time pricer and a verifier named by anyone but the deployer', async () => {
    const p = cashProbe(w);
    await expectRevert(
      w,
      w.deployer,
      market(w, 'setRealtimePricer', [w.alice.address]),
      'market: the real-time pricer is already set',
      p,
    );
    await expectRevert(
      w,
      w.alice,
      book('setVerifier', [w.alice.address]),
      'only the deployer sets the verifier',
      p,
    );
    expect((await read<string>(w, market(w, 'realtimePricer', []))).toLowerCase()).toBe(
      rt.book.toLowerCase(),
    );
  });
});
