// The second settlement's meter rules on an EVM chain (docs/market-rules.md §10a "When", "Meter data",
// "Energy balance"; docs/evm.md "The second settlement"), each written first as the exploit the contracts
// allowed: a meter inflated within its capacity was paid (now the energy-balance check against the
// upstream meter holds the long parties' payments until the grid operator resolves them); a late reading
// was refused, so a meter that reported late paid the capacity estimate for good (now it is trued up until
// deadline + trueUpDelayMs); only the meter's own key could sign (now also the grid operator's head-end);
// a meter registered after the clearing became one of the interval's meters when the real-time prices
// were recorded (now the count is taken at the clearing). Amounts cross-checked against the native
// bandPrices / deviationAmount at the recorded prices; every refusal changes nothing.

import { bandPrices, deviationAmount } from '@gridledger/energy';
import type { Abi, Address } from 'viem';
import { describe, expect, it } from 'vitest';
import { MarketRealtimeAbi } from '../src/generated/MarketRealtime.ts';
import { RealtimeBookAbi } from '../src/generated/RealtimeBook.ts';
import { TestStablecoinAbi } from '../src/generated/TestStablecoin.ts';
import { clearIntervalOnChain } from '../src/operator/operator.ts';
import { type RealtimeContracts, submitRealtimePrices } from '../src/operator/realtime.ts';
import { expectRevert } from './fixture.ts';
import { useWorld } from './use-world.ts';
import {
  cashProbe,
  clearForward,
  GATE_LEAD_MS,
  INTERVAL_MS,
  market,
  meters,
  mineAt,
  read,
  readingCall,
  realtimePrices,
  registry,
  SETTLEMENT_DELAY_MS,
  send,
  submitReading,
  WORLD_REALTIME,
  type World,
} from './world.ts';

const TRUE_UP_DELAY_MS = 600_000n;
const REALTIME = {
  ...WORLD_REALTIME,
  liquidatedDamagesMicrosPerMWh: 0n,
  trueUpDelayMs: TRUE_UP_DELAY_MS,
  balanceToleranceWh: 100n,
  upstreamMeter: 4n,
};
/** Carol's small meters (12 kW: at most 1,000 Wh in a 5-minute interval). */
const SMALL_W = 12_000n;

let w: World;
let rt: RealtimeContracts;

useWorld(
  { realtime: REALTIME },
  {
    setup: async (world) => {
      w = world;
      rt = w.realtime;
      // carol: meters 3 and 5 at bus 2, no orders; meter 4: the upstream connection's own (bus 1)
      const reg = (id: bigint, bus: bigint, owner: Address, capW: bigint) =>
        send(w, w.operator, registry(w, 'registerMeter', [id, w.meterKey.address, bus, owner, capW]));
      await reg(3n, 2n, w.carol.address, SMALL_W);
      await reg(4n, 1n, w.operator.address, 1_000_000_000n);
      await reg(5n, 2n, w.carol.address, SMALL_W);
    },
  },
);

const step = (energyWh: bigint, priceMicrosPerMWh: bigint) => ({ energyWh, priceMicrosPerMWh });
const cashOf = (a: Address) =>
  read<bigint>(w, {
    address: w.addresses.cash,
    abi: TestStablecoinAbi as Abi,
    functionName: 'balanceOf',
    args: [a],
  });
const balance = async (k: bigint) => read<[number, bigint, bigint]>(w, market(w, 'energyBalance', [k]));
const events = async (eventName: string) =>
  (
    await (
      await w.clients(w.deployer)
    ).public.getContractEvents({
      address: w.addresses.market,
      abi: MarketRealtimeAbi as Abi,
      eventName,
      fromBlock: 0n,
    })
  ).map((e) => (e as unknown as { args: Record<string, unknown> }).args);

/** Prices interval k and settles it; returns the recorded real-time prices per bus. */
async function priceAndSettle(k: bigint): Promise<Map<number, bigint>> {
  await submitRealtimePrices(await w.clients(w.operator), rt, k);
  const prices = await realtimePrices(w, k);
  await send(w, w.carol, market(w, 'settle', [k]));
  return prices;
}

/** The native deviationAmount of a party at `bus` deviating `devWh` at the recorded prices. */
async function nativeAmount(k: bigint, bus: number, devWh: bigint, prices: Map<number, bigint>) {
  const fwd = await read<bigint>(w, market(w, 'lmp', [k, BigInt(bus)]));
  return deviationAmount(devWh, bandPrices(fwd, prices.get(bus)!, REALTIME.penaltyMicrosPerMWh));
}

describe('the energy-balance check on the contracts', () => {
  it('holds the payments of an interval whose meters claim more than the upstream meter saw, and cancels them', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    // bob delivers his 25,000 Wh, alice takes 20,000 (long 5,000); carol's compromised meter claims an
    // export of 1,000 Wh (within its capacity) that never happened; the upstream meter saw the true 5,000
    // Wh leave the feeder: the mismatch is 25,000 − 20,000 + 1,000 − 5,000 = 1,000 Wh > 100
    await submitReading(w, 1n, k, 20_000n, 0n);
    await submitReading(w, 2n, k, 0n, 25_000n);
    await submitReading(w, 3n, k, 0n, 1_000n);
    await submitReading(w, 5n, k, 0n, 0n);
    await submitReading(w, 4n, k, 5_000n, 0n);
    // the upstream meter is not a party: its 5,000 Wh are not an injection at bus 1
    const inj = await read<[bigint[], bigint[], boolean, bigint]>(w, market(w, 'meteredInjections', [k]));
    expect(inj).toEqual([[1n, 2n, 3n], [0n, -19_000n, 25_000n], true, 5n]);
    const before = { alice: await cashOf(w.alice.address), carol: await cashOf(w.carol.address) };
    const prices = await priceAndSettle(k);
    const owed = {
      alice: await nativeAmount(k, 2, 5_000n, prices),
      carol: await nativeAmount(k, 2, 1_000n, prices),
    };
    expect(owed.alice).toBeGreaterThan(0n);
    expect(owed.carol).toBeGreaterThan(0n);
    // nothing paid to the long parties: held
    expect(await cashOf(w.alice.address)).toBe(before.alice);
    expect(await cashOf(w.carol.address)).toBe(before.carol);
    expect(await balance(k)).toEqual([1, 1_000n, owed.alice + owed.carol]);
    expect(await events('EnergyBalanceFlagged')).toEqual([
      { interval: k, mismatchWh: 1_000n, heldPayments: owed.alice + owed.carol },
    ]);
    // only a grid operator resolves
    const probe = async () => ({ cash: await cashProbe(w)(), balance: await balance(k) });
    await expectRevert(
      w,
      w.alice,
      market(w, 'resolveEnergyBalance', [k, true]),
      'resolveEnergyBalance needs GRID_OPERATOR_ROLE',
      probe,
    );
    // the readings judged false: cancelled, nobody paid
    await send(w, w.operator, market(w, 'resolveEnergyBalance', [k, false]));
    expect(await cashOf(w.alice.address)).toBe(before.alice);
    expect(await cashOf(w.carol.address)).toBe(before.carol);
    expect((await balance(k))[0]).toBe(3);
    expect(await events('EnergyBalanceResolved')).toEqual([
      { interval: k, released: false, amount: owed.alice + owed.carol },
    ]);
    // resolving twice is refused
    await expectRevert(
      w,
      w.operator,
      market(w, 'resolveEnergyBalance', [k, true]),
      `interval ${k} has no payments held by the energy-balance check (not held)`,
      probe,
    );
  });

  it('refuses to resolve a flagged interval while it is settled in chunks (later long parties would escape the hold)', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    await submitReading(w, 1n, k, 20_000n, 0n);
    await submitReading(w, 2n, k, 0n, 25_000n);
    await submitReading(w, 3n, k, 0n, 1_000n);
    await submitReading(w, 5n, k, 0n, 0n);
    await submitReading(w, 4n, k, 5_000n, 0n);
    await submitRealtimePrices(await w.clients(w.operator), rt, k);
    const before = { alice: await cashOf(w.alice.address), carol: await cashOf(w.carol.address) };
    await send(w, w.carol, market(w, 'beginSettle', [k]));
    // the parties by meters only are known after the meters phase: the keys are read then
    let keys: bigint[] = [];
    const readKeys = async () =>
      [...(await read<readonly bigint[]>(w, market(w, 'settlementParties', [k, 0n, 100n])))].sort((a, b) =>
        a < b ? -1 : a > b ? 1 : 0,
      );
    // every phase in chunks, the deviations only for the first party (carol, the lowest address)
    for (;;) {
      const [phase, done] = await read<[number, bigint, bigint, bigint, bigint]>(
        w,
        market(w, 'settlingOf', [k]),
      );
      if (phase === 5 && done > 0n) break;
      if (phase === 3) {
        keys = await readKeys();
        expect(keys).toHaveLength(3);
        await send(w, w.carol, market(w, 'settleChunk', [k, 0n, keys]));
      } else if (phase === 5) await send(w, w.carol, market(w, 'settleChunk', [k, 0n, keys.slice(0, 1)]));
      else await send(w, w.carol, market(w, 'settleChunk', [k, 1_000n, []]));
    }
    expect((await balance(k))[0]).toBe(1);
    const probe = async () => ({ cash: await cashProbe(w)(), balance: await balance(k) });
    await expectRevert(
      w,
      w.operator,
      market(w, 'resolveEnergyBalance', [k, false]),
      `interval ${k} is still being settled in chunks: resolve its energy balance once it is settled`,
      probe,
    );
    await send(w, w.carol, market(w, 'settleChunk', [k, 0n, keys.slice(1)]));
    // every long party's payment was held, also those of the last chunk; then cancelled: nobody paid
    await send(w, w.operator, market(w, 'resolveEnergyBalance', [k, false]));
    expect(await cashOf(w.alice.address)).toBe(before.alice);
    expect(await cashOf(w.carol.address)).toBe(before.carol);
    expect((await balance(k))[0]).toBe(3);
  });

  it('pays the held payments from the grid operator on release, and pays at once within the tolerance', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    await submitReading(w, 1n, k, 20_000n, 0n);
    await submitReading(w, 2n, k, 0n, 25_000n);
    await submitReading(w, 3n, k, 0n, 1_000n);
    await submitReading(w, 5n, k, 0n, 0n);
    await submitReading(w, 4n, k, 5_000n, 0n);
    const before = { alice: await cashOf(w.alice.address), op: await cashOf(w.operator.address) };
    const prices = await priceAndSettle(k);
    const owedAlice = await nativeAmount(k, 2, 5_000n, prices);
    const held = (await balance(k))[2];
    const opAfterSettle = await cashOf(w.operator.address);
    await send(w, w.operator, market(w, 'resolveEnergyBalance', [k, true]));
    expect(await cashOf(w.alice.address)).toBe(before.alice + owedAlice);
    expect(await cashOf(w.operator.address)).toBe(opAfterSettle - held);
    expect((await balance(k))[0]).toBe(2);

    // a later interval, with the upstream meter agreeing within the tolerance: paid at settlement
    const k2 = k + 2n;
    await send(w, w.alice, market(w, 'placeOrder', [k2, 2n, 0, [step(25_000n, 80_000_000n)]]));
    await send(w, w.bob, market(w, 'placeOrder', [k2, 3n, 1, [step(25_000n, 30_000_000n)]]));
    await mineAt(w, k2 * INTERVAL_MS - GATE_LEAD_MS);
    await clearIntervalOnChain(
      await w.clients(w.operator),
      { market: w.addresses.market, verifier: w.verifier },
      k2,
    );
    await mineAt(w, (k2 + 1n) * INTERVAL_MS);
    await submitReading(w, 1n, k2, 20_000n, 0n);
    await submitReading(w, 2n, k2, 0n, 25_000n);
    await submitReading(w, 3n, k2, 0n, 0n);
    await submitReading(w, 5n, k2, 0n, 0n);
    await submitReading(w, 4n, k2, 4_950n, 0n); // 50 Wh of mismatch: within 100
    const a0 = await cashOf(w.alice.address);
    const p2 = await priceAndSettle(k2);
    expect(await cashOf(w.alice.address)).toBe(a0 + (await nativeAmount(k2, 2, 5_000n, p2)));
    expect(await balance(k2)).toEqual([0, 50n, 0n]);
  });
});

describe('late readings, the head-end and the interval meters on the contracts', () => {
  it('trues up a late reading of an estimated meter until deadline + trueUpDelayMs, once, and refuses the rest', async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    await submitReading(w, 1n, k, 25_000n, 0n);
    await submitReading(w, 2n, k, 0n, 25_000n);
    // a meter registered after the clearing is not one of the interval's meters
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [6n, w.meterKey.address, 2n, w.carol.address, SMALL_W]),
    );
    // carol's meters 3 and 5 report late: at the deadline each is estimated at 1,000 Wh imported
    const deadline = (k + 1n) * INTERVAL_MS + SETTLEMENT_DELAY_MS;
    await mineAt(w, deadline);
    const c0 = await cashOf(w.carol.address);
    const prices = await priceAndSettle(k);
    const settled = await nativeAmount(k, 2, -2_000n, prices);
    expect(await cashOf(w.carol.address)).toBe(c0 + settled - 2n * REALTIME.nonReportingPenaltyMicros);

    // meter 3's true reading (500 Wh exported) arrives: carol's deviation −2,000 → −500
    const c1 = await cashOf(w.carol.address);
    const op1 = await cashOf(w.operator.address);
    await send(w, w.carol, await readingCall(w, 3n, k, 0n, 500n));
    const trued = (await nativeAmount(k, 2, -500n, prices)) - settled;
    expect(trued).toBeGreaterThan(0n);
    expect(await cashOf(w.carol.address)).toBe(c1 + trued);
    expect(await cashOf(w.operator.address)).toBe(op1 - trued);
    expect(await events('TrueUp')).toEqual([
      { interval: k, party: w.carol.address, bus: 2n, deviationWh: -500n, amount: trued },
    ]);
    const probe = async () => ({ cash: await cashProbe(w)(), trueUps: (await events('TrueUp')).length });
    // a second true-up of the same meter
    await expectRevert(w, w.carol, await readingCall(w, 3n, k, 0n, 900n), 'already reported', probe);
    // a meter that was not estimated (registered after the clearing)
    await expectRevert(
      w,
      w.carol,
      await readingCall(w, 6n, k, 0n, 900n),
      `market: meter 6 was not estimated in interval ${k}`,
      probe,
    );
    // after the window: meter 5's reading is refused
    await mineAt(w, deadline + TRUE_UP_DELAY_MS);
    await expectRevert(
      w,
      w.carol,
      await readingCall(w, 5n, k, 0n, 900n),
      `market: the true-up window of interval ${k} closed at ${deadline + TRUE_UP_DELAY_MS} ms`,
      probe,
    );
  });

  it("takes a reading signed by the grid operator's head-end key, and refuses any other key", async () => {
    const k = await clearForward(w);
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    const probe = async () => ({
      seen: await read(w, meters(w, 'readingOf', [1n, k])),
    });
    await expectRevert(
      w,
      w.carol,
      await readingCall(w, 1n, k, 20_000n, 0n, w.alice),
      "or the grid operator's head-end",
      probe,
    );
    await send(w, w.carol, await readingCall(w, 1n, k, 20_000n, 0n, w.operator));
    expect(await read(w, meters(w, 'readingOf', [1n, k]))).toEqual([true, 20_000n, 0n]);
  });

  it('takes the interval meters at the clearing: a meter registered after it is neither awaited nor estimated', async () => {
    const k = await clearForward(w);
    await send(
      w,
      w.operator,
      registry(w, 'registerMeter', [6n, w.meterKey.address, 2n, w.carol.address, SMALL_W]),
    );
    await mineAt(w, (k + 1n) * INTERVAL_MS);
    for (const [m, imp, exp] of [
      [1n, 25_000n, 0n],
      [2n, 0n, 25_000n],
      [3n, 0n, 0n],
      [4n, 0n, 0n],
      [5n, 0n, 0n],
    ] as const)
      await submitReading(w, m, k, imp, exp);
    // every reading of the interval's five meters is in: final before the deadline, meter 6 not awaited
    const inj = await read<[bigint[], bigint[], boolean, bigint]>(w, market(w, 'meteredInjections', [k]));
    expect(inj[2]).toBe(true);
    expect(inj[3]).toBe(5n);
    const c0 = await cashOf(w.carol.address);
    await priceAndSettle(k);
    expect(
      await read(w, {
        address: rt.book,
        abi: RealtimeBookAbi as Abi,
        functionName: 'meterCountOf',
        args: [k],
      }),
    ).toBe(5n);
    // carol pays no penalty for meter 6
    expect(await cashOf(w.carol.address)).toBe(c0);
    expect(await events('ReadingEstimated')).toEqual([]);
  });
});
