// Property tests of the integer DC certificate: random books on MATPOWER networks (case9 with tight
// limits, case14, case9_congested, case30_congested, the radial case33bw_congested) cleared by the
// engine, turned into certificates that the reference checker accepts, and perturbed certificates
// (a flow, a price, a dual, a quantity, an angle, a missing order) that it rejects.
import { fileURLToPath } from 'node:url';
import { loadMatpower, type Network } from '@gridledger/grid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDcCertificate } from './check.ts';
import {
  type BookOrder,
  type ClearingBook,
  type DcCertificate,
  DEFAULT_TOLERANCES,
  type IntegerNetwork,
  integerNetwork,
} from './format.ts';
import { produceDcCertificate } from './produce.ts';

const CASES = fileURLToPath(new URL('../../../../../shared/grid-cases/', import.meta.url));
const MINUTES = 5;

/** The on-chain form of a case: buses and branches only (no generators, no loads), limits scaled. */
async function bookNetwork(name: string, limitScale = 1, limitMw?: number): Promise<Network> {
  const net = await loadMatpower(`${CASES}${name}.m`);
  return {
    ...net,
    generators: [],
    buses: net.buses.map((b) => ({ ...b, pdMw: 0, gsMw: 0 })),
    branches: net.branches.map((b) => ({ ...b, rateAMw: limitMw ?? b.rateAMw * limitScale })),
  };
}

const MWH = 1_000_000n;
const owner = '0x00000000000000000000000000000000000000aa' as const;

/** A random book: orders of 1..3 steps at random buses, upstream at the reference bus. */
function arbBook(network: Network, maxOrders: number) {
  const ids = network.buses.map((b) => BigInt(b.id));
  const ref = BigInt(network.buses.find((b) => b.type === 3)!.id);
  const step = fc.record({
    energyWh: fc.bigInt({ min: 1n, max: 6n * MWH }),
    priceMicrosPerMWh: fc.integer({ min: 5, max: 90 }).map((d) => BigInt(d) * MWH),
  });
  const order = fc.record({
    bus: fc.constantFrom(...ids),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    steps: fc.array(step, { minLength: 1, maxLength: 3 }),
  });
  return fc.array(order, { minLength: 1, maxLength: maxOrders }).map(
    (os): ClearingBook => ({
      interval: 7n,
      orders: os.map((o, k): BookOrder => ({ id: BigInt(k + 1), owner, ...o })),
      upstream: {
        bus: ref,
        sell: { energyWh: 20n * MWH, priceMicrosPerMWh: 60n * MWH },
        buy: { energyWh: 20n * MWH, priceMicrosPerMWh: 20n * MWH },
      },
    }),
  );
}

const clone = (c: DcCertificate): DcCertificate => ({
  ...c,
  lmpMicrosPerMWh: [...c.lmpMicrosPerMWh],
  flowW: [...c.flowW],
  anglePrad: [...c.anglePrad],
  muForward: [...c.muForward],
  muBackward: [...c.muBackward],
  clearedWh: c.clearedWh.map((q) => [...q]),
});

const cases: [string, () => Promise<Network>][] = [
  ['case9 (limits x0.2)', () => bookNetwork('case9', 0.2)],
  ['case14 (30 MW limits)', () => bookNetwork('case14', 1, 30)],
  ['case9_congested', () => bookNetwork('case9_congested')],
  ['case30_congested', () => bookNetwork('case30_congested')],
  ['case33bw_congested (radial)', () => bookNetwork('case33bw_congested')],
];

describe('integer DC certificate on MATPOWER networks', () => {
  for (const [name, load] of cases) {
    it(`${name}: the engine's clearing is accepted, perturbed certificates are rejected`, async () => {
      const network = await load();
      const net: IntegerNetwork = integerNetwork(network, MINUTES);
      let congested = 0;
      await fc.assert(
        fc.asyncProperty(arbBook(network, 14), fc.nat(), async (book, pick) => {
          const { certificate: cert } = await produceDcCertificate(network, net, book, MINUTES);
          const verdict = checkDcCertificate(net, book, cert, DEFAULT_TOLERANCES);
          expect(verdict).toEqual({ ok: true });
          if (cert.muForward.some((m) => m > 0n) || cert.muBackward.some((m) => m > 0n)) congested++;
          const tol = DEFAULT_TOLERANCES;
          const rejects = (c: DcCertificate, b: ClearingBook = book) =>
            checkDcCertificate(net, b, c, tol).ok === false;
          // A flow moved by 1 kW on an in-service branch: the buses no longer balance (or Kirchhoff fails).
          const live = net.branches.flatMap((br, l) => (br.inService ? [l] : []));
          const l = live[pick % live.length]!;
          const c1 = clone(cert);
          c1.flowW[l]! += 1000n;
          expect(rejects(c1)).toBe(true);
          // A price raised by 1 $/MWh at one bus: a branch's η changes, so stationarity at the angles fails.
          const c2 = clone(cert);
          const bus = net.branches[l]!.from;
          c2.lmpMicrosPerMWh[bus]! += MWH;
          expect(rejects(c2)).toBe(true);
          // A limit dual raised by 1 $/MWh: not binding, or stationarity fails.
          const c3 = clone(cert);
          c3.muForward[l]! += MWH;
          expect(rejects(c3)).toBe(true);
          // A quantity changed by 1 Wh: its bus no longer balances.
          const c4 = clone(cert);
          const k = pick % book.orders.length;
          const q = c4.clearedWh[k]!;
          q[0] = q[0]! > 0n ? q[0]! - 1n : q[0]! + 1n;
          expect(rejects(c4)).toBe(true);
          // An angle moved by 1 mrad: Kirchhoff fails on a branch at that bus (when one is in service).
          const c5 = clone(cert);
          c5.anglePrad[bus]! += 1_000_000n;
          expect(rejects(c5)).toBe(true);
          // An order left out of the book and the certificate, when it cleared something: imbalance.
          if (cert.clearedWh[k]!.some((w) => w > 0n)) {
            const b6 = { ...book, orders: book.orders.filter((_, j) => j !== k) };
            const c6 = clone(cert);
            c6.clearedWh.splice(k, 1);
            expect(rejects(c6, b6)).toBe(true);
          }
        }),
        { numRuns: 12, seed: 16 },
      );
      if (name !== 'case14 (30 MW limits)') expect(congested).toBeGreaterThan(0);
    });
  }

  it('a step cleared against its price (an out-of-the-money offer) is rejected with ReducedCostViolated', async () => {
    const network = await bookNetwork('case9');
    const net = integerNetwork(network, MINUTES);
    const book: ClearingBook = {
      interval: 1n,
      orders: [
        { id: 1n, owner, bus: 5n, side: 'buy', steps: [{ energyWh: MWH, priceMicrosPerMWh: 80n * MWH }] },
        { id: 2n, owner, bus: 5n, side: 'sell', steps: [{ energyWh: MWH, priceMicrosPerMWh: 90n * MWH }] },
      ],
      upstream: {
        bus: 1n,
        sell: { energyWh: 10n * MWH, priceMicrosPerMWh: 60n * MWH },
        buy: { energyWh: 10n * MWH, priceMicrosPerMWh: 20n * MWH },
      },
    };
    const { certificate } = await produceDcCertificate(network, net, book, MINUTES);
    expect(checkDcCertificate(net, book, certificate, DEFAULT_TOLERANCES)).toEqual({ ok: true });
    expect(certificate.lmpMicrosPerMWh[4]).toBe(60n * MWH);
    expect(certificate.clearedWh).toEqual([[MWH], [0n]]);
    expect(certificate.upstreamSoldWh).toBe(MWH);
    // Let the 90 $/MWh offer serve the bid instead of the 60 $/MWh import: balanced, but not optimal.
    const bad = clone(certificate);
    bad.clearedWh[1] = [MWH];
    bad.upstreamSoldWh = 0n;
    bad.flowW = bad.flowW.map(() => 0n);
    bad.anglePrad = bad.anglePrad.map(() => 0n);
    expect(checkDcCertificate(net, book, bad, DEFAULT_TOLERANCES)).toEqual({
      ok: false,
      rejection: { error: 'ReducedCostViolated', args: [1, 0] },
    });
  });

  it('refuses an interval that does not divide an hour', async () => {
    const network = await bookNetwork('case9');
    expect(() => integerNetwork(network, 7)).toThrow(/divides an hour/);
  });
});
