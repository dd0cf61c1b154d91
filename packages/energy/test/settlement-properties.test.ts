// Properties of the second settlement (docs/market-rules.md §10a):
// - no deviation beats the forward position at any bus: for any forward and real-time price and δ > 0,
//   what a deviation moves is at most its value at λ_fwd and at λ_rt, less |dev|·δ (pure, fast-check);
// - budget balance on chain, for random books and readings on a 2-bus feeder (parties at either bus),
//   priced DC and priced AC (the line has resistance: losses, real-time AC prices): over the settlement
//   block, Σ money (cash + dues − debts) of every account is unchanged, and the grid operator's change is
//   exactly −Σ deviation amounts + Σ non-reporting penalties (what is paid in equals what is paid out plus
//   the recorded debts);
// - on chain, in the same runs: no party's deviation amount beats its position at its bus's stored
//   forward price or real-time price (amount · 10^6 <= dev · λ − |dev| · δ for both).
import { CASH_ADDRESS, ERC20_ABI } from '@gridledger/execution';
import fc from 'fast-check';
import { decodeEventLog } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  METERS_ABI,
  METERS_ADDRESS,
  marketKeys,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
  readingDomain,
} from '../src/index.ts';
import { bandPrices, deviationAmount } from '../src/penalty-band.ts';
import { decodeSigned } from '../src/words.ts';
import { account, buildGenesis, CHAIN_ID, Chain, HOUR, line, testMarketConfig } from './harness.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;

describe('penalty band', () => {
  it('no deviation beats the forward position, nor the real-time price, at any bus', () => {
    const price = fc.bigInt({ min: -500n * USD, max: 2_000n * USD });
    fc.assert(
      fc.property(
        price,
        price,
        fc.bigInt({ min: 1n, max: 50n * USD }),
        fc.bigInt({ min: -100n * MWH, max: 100n * MWH }),
        (fwd, rt, delta, dev) => {
          const amount = deviationAmount(dev, bandPrices(fwd, rt, delta));
          const abs = dev < 0n ? -dev : dev;
          // amount · 10^6 <= dev · λ − |dev| · δ for λ = λ_fwd and λ = λ_rt.
          expect(amount * MWH <= dev * fwd - abs * delta).toBe(true);
          expect(amount * MWH <= dev * rt - abs * delta).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('budget balance of the second settlement (random books and readings)', () => {
  it('Σ money is conserved and the operator takes exactly what the parties pay', async () => {
    await budgetBalance('dc', 6, [1n, 2n]);
  }, 120_000);
  it('the same with AC prices (losses on the line, real-time AC prices)', async () => {
    // Parties at either bus: books with a flat direction (nothing across the line, a trade at the reference
    // bus) clear since the SQP's flat-direction stop rule (ac-flat-books.test.ts).
    await budgetBalance('ac', 4, [1n, 2n]);
  }, 180_000);
});

async function budgetBalance(pricing: 'dc' | 'ac', numRuns: number, buses: bigint[]) {
  {
    const admin = account('p admin');
    const operator = account('p operator');
    const people = [0, 1, 2, 3, 4].map((i) => account(`p party ${i}`));
    const meters = people.map((_, i) => account(`p meter ${i}`));
    const party = fc.record({
      side: fc.constantFrom<0 | 1 | 2>(0, 1, 2), // 2: no order (a free rider or idle meter)
      bus: fc.constantFrom(...buses),
      mwh: fc.bigInt({ min: 1n, max: 8n }),
      price: fc.bigInt({ min: 2n, max: 180n }),
      imp: fc.bigInt({ min: 0n, max: 9n * MWH }),
      exp: fc.bigInt({ min: 0n, max: 9n * MWH }),
      missing: fc.boolean(),
      cash: fc.constantFrom(0n, 50n * USD, 5_000n * USD),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(party, { minLength: 5, maxLength: 5 }),
        fc.integer({ min: 0, max: 6 }),
        async (ps, lim) => {
          const K = 2n;
          const config = testMarketConfig(operator.addr, {
            firstInterval: K,
            imbalance: { liquidatedDamagesMicrosPerMWh: 20n * USD },
            pricing,
          });
          const genesis = buildGenesis(admin, [
            { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: 100n * USD },
            ...people.map((who, i) => ({
              who,
              roles: ['PARTICIPANT_ROLE' as const],
              cash: ps[i]!.cash + 10_000n * USD,
            })),
          ]);
          const chain = await Chain.start(genesis, config);
          const net = {
            name: 'p',
            baseMVA: 100,
            buses: [
              { id: 1, type: 3 },
              { id: 2, type: 1 },
            ],
            branches: [{ ...line(1, 1, 2, 0.1, lim), rPu: 0.02 }],
          };
          const setup = [
            await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [
              JSON.stringify(net),
            ]),
          ];
          for (const [i, who] of people.entries()) {
            setup.push(
              await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
                BigInt(i + 1),
                meters[i]!.addr,
                ps[i]!.bus,
                who.addr,
                10_000_000n,
              ]),
              await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [
                who.addr,
                [ps[i]!.bus],
              ]),
            );
          }
          await chain.block(1_000n, setup);
          const orders = [];
          for (const [i, p] of ps.entries()) {
            if (p.side === 2) continue;
            orders.push(
              await chain.tx(people[i]!, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
                K,
                p.bus,
                p.side,
                [{ energyWh: p.mwh * MWH, priceMicrosPerMWh: p.price * USD }],
              ]),
            );
          }
          // Some spend their cash down to p.cash before the gate (so charges can exceed what they hold).
          await chain.block(2_000n, orders);
          const drain = [];
          for (const [i, p] of ps.entries()) {
            const bal = chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [people[i]!.addr]);
            if (bal > p.cash)
              drain.push(
                await chain.tx(people[i]!, CASH_ADDRESS, ERC20_ABI, 'transfer', [admin.addr, bal - p.cash]),
              );
          }
          await chain.block(3_000n, drain);
          await chain.block(K * HOUR, []);
          const readings: Reading[] = [];
          const sigs = [];
          for (const [i, p] of ps.entries()) {
            if (p.missing) continue;
            const r = { meter: BigInt(i + 1), interval: K, importedWh: p.imp, exportedWh: p.exp };
            readings.push(r);
            sigs.push(
              await meters[i]!.signTypedData({
                domain: readingDomain(CHAIN_ID),
                types: READING_TYPES,
                primaryType: 'Reading',
                message: r,
              }),
            );
          }
          if (readings.length > 0)
            await chain.block((K + 1n) * HOUR, [
              await chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'submitReadings', [readings, sigs]),
            ]);
          const all = [operator, admin, ...people];
          const money = () =>
            all.map((a) => {
              const [debt, due] = chain.view<[bigint, bigint]>(MARKET_ADDRESS, MARKET_ABI, 'debtOf', [
                a.addr,
              ]);
              return chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [a.addr]) + due - debt;
            });
          const collateral = chain.view<bigint>(CASH_ADDRESS, ERC20_ABI, 'balanceOf', [MARKET_ADDRESS]);
          const before = money();
          const b = await chain.block((K + 2n) * HOUR, []);
          expect(chain.state.get(marketKeys.interval(K).status)).toBe(3n);
          expect(chain.invariantFailures).toEqual([]);
          const after = money();
          // Everything the market held as collateral went back out; nothing else was made or lost.
          const sum = (xs: bigint[]) => xs.reduce((a, x) => a + x, 0n);
          expect(sum(after) - sum(before)).toBe(collateral);
          let toParties = 0n;
          let penalties = 0n;
          const iv = marketKeys.interval(K);
          const delta = config.imbalance.penaltyMicrosPerMWh;
          for (const l of b.record!.logs.filter((x) => x.address === MARKET_ADDRESS)) {
            const e = decodeEventLog({ abi: MARKET_ABI, topics: l.topics as [`0x${string}`], data: l.data });
            if (e.eventName === 'ImbalanceSettled') {
              const a = e.args as { amount: bigint; imbalanceWh: bigint; bus: bigint };
              toParties += a.amount;
              // No deviation beats the position at its bus, at the stored forward or real-time price.
              const dev = a.imbalanceWh;
              const abs = dev < 0n ? -dev : dev;
              const bus = Number(a.bus);
              const fwd = chain.state.get(iv.clearedAtHeight) === 0n ? iv.rtLmp(bus) : iv.lmp(bus);
              for (const price of [
                decodeSigned(chain.state.get(fwd)),
                decodeSigned(chain.state.get(iv.rtLmp(bus))),
              ])
                expect(a.amount * MWH <= dev * price - abs * delta).toBe(true);
            }
            if (e.eventName === 'ReadingEstimated') penalties += (e.args as { penalty: bigint }).penalty;
          }
          expect(after[0]! - before[0]!).toBe(-toParties + penalties);
        },
      ),
      { numRuns },
    );
  }
}
