// Settlement in integers: worked examples of the rounding rule, and properties on random single-bus
// books and intervals: energy balances to the Wh, money balances to the micro-dollar, rent >= 0.
import { InputError } from '@gridledger/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clearSingleBus } from './auction.ts';
import { settleClearing } from './settlement.ts';
import type { ClearingResult, Order, Side } from './types.ts';

const o = (id: string, side: Side, price: number, quantity: number, bus = 1): Order => ({
  id,
  bus,
  side,
  steps: [{ price, quantity }],
});

describe('settleClearing: worked examples', () => {
  it('one hour, whole numbers: Wh = MW x 10^6, micro-dollars = Wh x $/MWh', () => {
    const r = clearSingleBus([o('b', 'buy', 40, 5), o('s', 'sell', 20, 3)]);
    const st = settleClearing(r);
    expect(st.parties).toEqual([
      {
        id: 'b',
        kind: 'order',
        bus: 1,
        side: 'buy',
        energyWh: 3_000_000n,
        priceMicrosPerMWh: 40_000_000n,
        amountMicros: 120_000_000n,
      },
      {
        id: 's',
        kind: 'order',
        bus: 1,
        side: 'sell',
        energyWh: 3_000_000n,
        priceMicrosPerMWh: 40_000_000n,
        amountMicros: 120_000_000n,
      },
    ]);
    expect(st.congestionRentMicros).toBe(0n);
    expect(st.balanced).toBe(true);
  });
  it('apportions by largest remainder so bought Wh equal sold Wh (rounding each alone would not)', () => {
    // 1 minute at 1 MW = 16666.67 Wh each for a and b (33333.33), seller 2 MW = 33333.33 Wh.
    // Rounding each: 16667 + 16667 = 33334 != 33333. Largest remainder: total 33333, tie a/b broken by id.
    const r = clearSingleBus([o('b', 'buy', 50, 1), o('a', 'buy', 50, 1), o('s', 'sell', 10, 2)]);
    const st = settleClearing(r, { intervalMinutes: 1 });
    const wh = Object.fromEntries(st.parties.map((p) => [p.id, p.energyWh]));
    expect(wh).toEqual({ a: 16667n, b: 16666n, s: 33333n });
    expect(st.boughtWh).toBe(st.soldWh);
    // Price 30 $/MWh (midpoint of [10, 50]): a pays ceil(16667 x 30) µ$ = 500010 µ$ exactly, b 499980,
    // s receives floor(33333 x 30) = 999990.
    expect(st.parties.map((p) => p.amountMicros)).toEqual([499_980n, 500_010n, 999_990n]);
    expect(st.congestionRentMicros).toBe(0n);
  });
  it('rounds money in the operator favour: buyers up, sellers down', () => {
    // 1 minute at 0.001 MW = 16.667 Wh -> 17 Wh; price 33.333333 $/MWh -> 33333333 µ$/MWh.
    // 17 x 33333333 / 10^6 = 566.666661 µ$: the buyer pays 567, the seller receives 566.
    const r = clearSingleBus([o('b', 'buy', 33.333333, 0.001), o('s', 'sell', 33.333333, 0.001)]);
    const st = settleClearing(r, { intervalMinutes: 1 });
    expect(st.parties.map((p) => [p.energyWh, p.amountMicros])).toEqual([
      [17n, 567n],
      [17n, 566n],
    ]);
    expect(st.congestionRentMicros).toBe(1n);
  });
  it('settles two buses at their own prices: rent is what buyers pay beyond what sellers receive', () => {
    const result: ClearingResult = {
      status: 'optimal',
      welfare: 0,
      buses: [
        { id: 1, lmp: 10, lmpEnergy: 10, lmpCongestion: 0 },
        { id: 2, lmp: 25.5, lmpEnergy: 10, lmpCongestion: 15.5 },
      ],
      orders: [
        { id: 's', bus: 1, side: 'sell', cleared: 4, clearedSteps: [4], price: 10 },
        { id: 'b', bus: 2, side: 'buy', cleared: 4, clearedSteps: [4], price: 25.5 },
      ],
      branches: [],
      congestionRent: 62,
    };
    const st = settleClearing(result, { intervalMinutes: 15 });
    expect(st.buyersPayMicros).toBe(25_500_000n);
    expect(st.sellersReceiveMicros).toBe(10_000_000n);
    expect(st.congestionRentMicros).toBe(15_500_000n);
  });
  it('keeps energy inside each price group: two islands at 20 and 10 $/MWh give no negative rent', () => {
    // Each island balances at 1.5 Wh. Apportioning all buyers (and all sellers) together would give the
    // tie's extra Wh to buyer "a" (cheap island) and seller "a2" (dear island): rent -10 µ$.
    const mw = 1.5e-6; // 1.5 Wh in one hour
    const result: ClearingResult = {
      status: 'optimal',
      welfare: 0,
      buses: [
        { id: 1, lmp: 20, lmpEnergy: 20, lmpCongestion: 0 },
        { id: 2, lmp: 10, lmpEnergy: 10, lmpCongestion: 0 },
      ],
      orders: [
        { id: 'z', bus: 1, side: 'buy', cleared: mw, clearedSteps: [mw], price: 20 },
        { id: 'a2', bus: 1, side: 'sell', cleared: mw, clearedSteps: [mw], price: 20 },
        { id: 'a', bus: 2, side: 'buy', cleared: mw, clearedSteps: [mw], price: 10 },
        { id: 'z2', bus: 2, side: 'sell', cleared: mw, clearedSteps: [mw], price: 10 },
      ],
      branches: [],
      congestionRent: 0,
    };
    const st = settleClearing(result);
    expect(st.parties.map((p) => p.energyWh)).toEqual([2n, 2n, 2n, 2n]);
    expect(st.congestionRentMicros).toBe(0n);
  });
  it('gives the extra Wh of a congested network to the dearer side (rent at least its float value)', () => {
    // Seller at bus 1 (10 $/MWh) 2.5 Wh, buyer at bus 2 (30 $/MWh) 2.5 Wh: the float rent is
    // 2.5 x 20 = 50 µ$; net per price group -2.5 and +2.5 -> -3 and +3 (the ceiling to the dear group).
    const mw = 2.5e-6;
    const result: ClearingResult = {
      status: 'optimal',
      welfare: 0,
      buses: [
        { id: 1, lmp: 10, lmpEnergy: 10, lmpCongestion: 0 },
        { id: 2, lmp: 30, lmpEnergy: 10, lmpCongestion: 20 },
      ],
      orders: [
        { id: 's', bus: 1, side: 'sell', cleared: mw, clearedSteps: [mw], price: 10 },
        { id: 'b', bus: 2, side: 'buy', cleared: mw, clearedSteps: [mw], price: 30 },
      ],
      branches: [],
      congestionRent: 50e-6,
    };
    const st = settleClearing(result);
    expect(st.parties.map((p) => [p.id, p.energyWh, p.amountMicros])).toEqual([
      ['s', 3n, 30n],
      ['b', 3n, 90n],
    ]);
    expect(st.congestionRentMicros).toBe(60n);
  });
  it('includes extra parties (generators, loads) and flips negative quantities', () => {
    const result: ClearingResult = {
      status: 'optimal',
      welfare: 0,
      buses: [{ id: 1, lmp: 20, lmpEnergy: 20, lmpCongestion: 0 }],
      orders: [{ id: 'b', bus: 1, side: 'buy', cleared: 1, clearedSteps: [1], price: 20 }],
      branches: [],
      congestionRent: 0,
    };
    const st = settleClearing(result, {
      extraParties: [
        { id: 'gen1', kind: 'generator', bus: 1, side: 'sell', mw: 3 },
        { id: 'load1', kind: 'load', bus: 1, side: 'buy', mw: 2.5 },
        { id: 'load2', kind: 'load', bus: 1, side: 'buy', mw: -0.5 },
      ],
    });
    expect(st.parties.find((p) => p.id === 'load2')).toMatchObject({ side: 'sell', energyWh: 500_000n });
    expect(st.boughtWh).toBe(3_500_000n);
    expect(st.soldWh).toBe(3_500_000n);
    expect(st.congestionRentMicros).toBe(0n);
  });
  it('a negative price: the buyer is paid, and rounding still favours the operator', () => {
    const result: ClearingResult = {
      status: 'optimal',
      welfare: 0,
      buses: [{ id: 1, lmp: -7.0000005, lmpEnergy: 0, lmpCongestion: 0 }],
      orders: [
        { id: 'b', bus: 1, side: 'buy', cleared: 0.000001, clearedSteps: [0.000001], price: -7 },
        { id: 's', bus: 1, side: 'sell', cleared: 0.000001, clearedSteps: [0.000001], price: -7 },
      ],
      branches: [],
      congestionRent: 0,
    };
    // 1 Wh at -7000001 µ$/MWh = -7.000001 µ$: buyer pays ceil = -7, seller receives floor = -8.
    const st = settleClearing(result);
    expect(st.parties.map((p) => [p.energyWh, p.priceMicrosPerMWh, p.amountMicros])).toEqual([
      [1n, -7_000_001n, -7n],
      [1n, -7_000_001n, -8n],
    ]);
    expect(st.congestionRentMicros).toBe(1n);
  });
  it('rejects a bad interval and a result that is not optimal', () => {
    const r = clearSingleBus([o('b', 'buy', 40, 5)]);
    expect(() => settleClearing(r, { intervalMinutes: 0 })).toThrow(InputError);
    expect(() => settleClearing(r, { intervalMinutes: 7.5 })).toThrow(
      /positive whole number of minutes, got 7.5/,
    );
    expect(() => settleClearing({ ...r, status: 'infeasible', reason: 'no' })).toThrow(
      /status "infeasible" \(no\)/,
    );
  });
});

const bookArb = fc
  .array(
    fc.record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      steps: fc.array(
        fc.record({
          // Integers scaled down, so that prices and quantities are "ugly" decimals (fc.double favours
          // round and extreme values, for which little rounding happens).
          price: fc.integer({ min: 0, max: 300_000_000 }).map((p) => p / 1e6 + 1e-7),
          quantity: fc.integer({ min: 0, max: 50_000_000 }).map((q) => q / 1e6),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((os): Order[] => os.map((x, i) => ({ id: `o${i}`, bus: 7, side: x.side, steps: x.steps })));

describe('settleClearing: properties on random single-bus books', () => {
  it('energy and money balance exactly; rent >= 0; each Wh is floor or ceil of the exact energy', () => {
    fc.assert(
      fc.property(bookArb, fc.constantFrom(1, 5, 7, 15, 30, 60, 1440), (book, minutes) => {
        const r = clearSingleBus(book);
        const st = settleClearing(r, { intervalMinutes: minutes });
        expect(st.boughtWh).toBe(st.soldWh);
        expect(st.congestionRentMicros).toBe(st.buyersPayMicros - st.sellersReceiveMicros);
        expect(st.congestionRentMicros).toBeGreaterThanOrEqual(0n);
        let pay = 0n;
        let recv = 0n;
        st.parties.forEach((p, i) => {
          const exact = (r.orders[i]!.cleared * minutes * 1e6) / 60;
          expect(Number(p.energyWh)).toBeGreaterThanOrEqual(Math.floor(exact));
          expect(Number(p.energyWh)).toBeLessThanOrEqual(Math.ceil(exact));
          // No cleared buyer pays above its bid, no seller receives below its offer (to the µ$ rounding).
          const limit = book[i]!.steps.filter((_s, k) => r.orders[i]!.clearedSteps[k]! > 0).map(
            (s) => s.price,
          );
          if (limit.length > 0 && p.energyWh > 0n) {
            const unit = (Number(p.amountMicros) / Number(p.energyWh)) * 1e6; // µ$/MWh actually paid
            if (p.side === 'buy')
              expect(unit).toBeLessThanOrEqual(Math.max(...limit) * 1e6 + 1 + 1e6 / Number(p.energyWh));
            else expect(unit).toBeGreaterThanOrEqual(Math.min(...limit) * 1e6 - 1 - 1e6 / Number(p.energyWh));
          }
          if (p.side === 'buy') pay += p.amountMicros;
          else recv += p.amountMicros;
        });
        expect(pay).toBe(st.buyersPayMicros);
        expect(recv).toBe(st.sellersReceiveMicros);
        // The operator's take from rounding is at most 1 µ$ per party.
        expect(st.congestionRentMicros).toBeLessThanOrEqual(BigInt(st.parties.length));
      }),
      { numRuns: 300 },
    );
  });
});
