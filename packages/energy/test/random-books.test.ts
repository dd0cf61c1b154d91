// Random order books on case9_congested through the chain (seeded, a few per run): after every block the
// invariants hold and two apps agree; the stored LMPs and cleared Wh equal the off-chain engine's on the
// same inputs; then settlement with random readings keeps the invariants (credits = metered deliveries).
import { fileURLToPath } from 'node:url';
import { loadMatpower } from '@gridledger/grid';
import { clearNetwork, settleClearing } from '@gridledger/market';
import { describe, expect, it } from 'vitest';
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  METERS_ABI,
  METERS_ADDRESS,
  networkToJson,
  READING_TYPES,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
  type Reading,
  readingDomain,
} from '../src/index.ts';
import {
  account,
  buildGenesis,
  CHAIN_ID,
  Chain,
  TEST_METER_CAPACITY_W,
  testMarketConfig,
} from './harness.ts';

const CASES = fileURLToPath(new URL('../../../../shared/grid-cases/', import.meta.url));
const HOUR = 3_600_000n;
const K = 2n;
const USD = 1_000_000n;

function prng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

describe('random books on case9_congested', () => {
  it.each([1, 2, 3])(
    'seed %i: clearing equals the engine, invariants hold through settlement',
    async (seed) => {
      const rand = prng(seed);
      const admin = account(`rb admin ${seed}`);
      const operator = account(`rb operator ${seed}`);
      const traders = Array.from({ length: 6 }, (_, i) => account(`rb trader ${seed} ${i}`));
      const meters = traders.map((_, i) => account(`rb meter ${seed} ${i}`));
      const buses = traders.map(() => 1 + Math.floor(rand() * 9));
      const config = testMarketConfig(operator.addr, {
        firstInterval: K,
        upstream: {
          importPriceMicrosPerMWh: 60n * USD,
          exportPriceMicrosPerMWh: 2n * USD,
          capacityWh: 300_000_000n,
        },
        imbalance: { shortfallPriceMicrosPerMWh: 120n * USD, surplusPriceMicrosPerMWh: 5n * USD },
        maxOrdersPerAccount: 3,
        maxStepsPerOrder: 3,
      });
      const chain = await Chain.start(
        buildGenesis(admin, [
          { who: operator, roles: ['GRID_OPERATOR_ROLE'], cash: 10n ** 12n },
          ...traders.map((who) => ({ who, roles: ['PARTICIPANT_ROLE' as const], cash: 10n ** 12n })),
        ]),
        config,
      );
      const net = await loadMatpower(`${CASES}case9_congested.m`);
      const setup = [
        await chain.tx(
          operator,
          REGISTRY_ADDRESS,
          REGISTRY_ABI,
          'registerNetwork',
          [JSON.stringify(networkToJson(net))],
          10_000_000n,
        ),
      ];
      for (const [i, t] of traders.entries()) {
        setup.push(
          await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
            BigInt(i + 1),
            meters[i]!.addr,
            BigInt(buses[i]!),
            t.addr,
            TEST_METER_CAPACITY_W,
          ]),
        );
        setup.push(
          await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [
            t.addr,
            [BigInt(buses[i]!)],
          ]),
        );
      }
      expect((await chain.block(1_000n, setup)).outcomes.every((o) => o.ok)).toBe(true);

      type O = { trader: number; side: 0 | 1; steps: { energyWh: bigint; priceMicrosPerMWh: bigint }[] };
      const book: O[] = [];
      for (let i = 0; i < traders.length; i++) {
        const n = 1 + Math.floor(rand() * 3);
        // One side per trader: an owner's buy and sell that cross are refused (self-trade prevention).
        let side: 0 | 1 | undefined;
        for (let j = 0; j < n; j++) {
          const draw = rand() < 0.5 ? 0 : 1;
          side ??= draw;
          const steps = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => ({
            energyWh: BigInt(1 + Math.floor(rand() * 80_000)) * 1_000n,
            priceMicrosPerMWh: BigInt(Math.floor((side === 0 ? 20 + rand() * 80 : 1 + rand() * 70) * 1e6)),
          }));
          book.push({ trader: i, side, steps });
        }
      }
      const txs = [];
      for (const o of book)
        txs.push(
          await chain.tx(traders[o.trader]!, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [
            K,
            BigInt(buses[o.trader]!),
            o.side,
            o.steps,
          ]),
        );
      expect((await chain.block(2_000n, txs)).outcomes.map((o) => o.reason ?? 'ok')).toEqual(
        txs.map(() => 'ok'),
      );
      await chain.block(K * HOUR, []);

      const bare = { ...net, generators: [], buses: net.buses.map((b) => ({ ...b, pdMw: 0, gsMw: 0 })) };
      const ref = await clearNetwork(bare, [
        ...book.map((o, i) => ({
          id: `o${i + 1}`,
          bus: buses[o.trader]!,
          side: o.side === 0 ? ('buy' as const) : ('sell' as const),
          steps: o.steps.map((s) => ({
            price: Number(s.priceMicrosPerMWh) / 1e6,
            quantity: Number(s.energyWh) / 1e6,
          })),
        })),
        { id: 'up-sell', bus: 1, side: 'sell', steps: [{ price: 60, quantity: 300 }] },
        { id: 'up-buy', bus: 1, side: 'buy', steps: [{ price: 2, quantity: 300 }] },
      ]);
      const ints = settleClearing(ref, { intervalMinutes: 60 });
      for (const b of ref.buses)
        expect(chain.view<bigint>(MARKET_ADDRESS, MARKET_ABI, 'lmp', [K, BigInt(b.id)])).toBe(
          BigInt(Math.round(b.lmp * 1e6)),
        );
      book.forEach((_, i) => {
        const v = chain.view<{ clearedWh: bigint }>(MARKET_ADDRESS, MARKET_ABI, 'order', [BigInt(i + 1)]);
        expect(v.clearedWh).toBe(ints.parties.find((p) => p.id === `o${i + 1}`)!.energyWh);
      });

      expect(ints.parties.some((p) => p.id.startsWith('o') && p.energyWh > 0n)).toBe(true);

      // Random readings from half the meters, then the deadline.
      const rs: Reading[] = [];
      const sigs: `0x${string}`[] = [];
      for (const [i, m] of meters.entries()) {
        if (rand() < 0.5) continue;
        const r = {
          meter: BigInt(i + 1),
          interval: K,
          importedWh: BigInt(Math.floor(rand() * 50_000_000)),
          exportedWh: BigInt(Math.floor(rand() * 50_000_000)),
        };
        rs.push(r);
        sigs.push(
          await m.signTypedData({
            domain: readingDomain(CHAIN_ID),
            types: READING_TYPES,
            primaryType: 'Reading',
            message: r,
          }),
        );
      }
      const sub =
        rs.length === 0
          ? []
          : [await chain.tx(operator, METERS_ADDRESS, METERS_ABI, 'submitReadings', [rs, sigs])];
      expect((await chain.block((K + 1n) * HOUR, sub)).outcomes.every((o) => o.ok)).toBe(true);
      await chain.block((K + 2n) * HOUR, []);
      expect(chain.view<[number]>(MARKET_ADDRESS, MARKET_ABI, 'intervalState', [K])[0]).toBe(3);
      expect(chain.invariantFailures).toEqual([]);
    },
  );
});
