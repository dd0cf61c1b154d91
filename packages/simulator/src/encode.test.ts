// The hand-written hot-path encodings equal viem's general ones, for random inputs.
import { MARKET_ABI, METERS_ABI, readingDigest } from '@gridledger/energy';
import fc from 'fast-check';
import { bytesToHex, encodeFunctionData } from 'viem';
import { describe, expect, it } from 'vitest';
import { encodePlaceOrder, encodeSubmitReadings, readingDigestHex } from './encode.ts';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('hot-path encodings', () => {
  it('placeOrder call data equals viem encodeFunctionData', () => {
    fc.assert(
      fc.property(
        u64,
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(0 as const, 1 as const),
        fc.array(fc.record({ energyWh: u64, priceMicrosPerMWh: u64 }), { minLength: 0, maxLength: 5 }),
        (k, bus, side, steps) => {
          expect(encodePlaceOrder(k, bus, side, steps)).toBe(
            encodeFunctionData({
              abi: MARKET_ABI,
              functionName: 'placeOrder',
              args: [k, BigInt(bus), side, steps],
            }),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reading digest equals the EIP-712 digest of @gridledger/energy', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 1n << 40n }),
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        u64,
        u64,
        u64,
        (chainId, meter, interval, importedWh, exportedWh) => {
          const r = { meter, interval, importedWh, exportedWh };
          expect(readingDigestHex(chainId, r)).toBe(readingDigest(chainId, r));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('submitReadings call data equals viem encodeFunctionData', () => {
    const reading = fc.record({
      meter: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
      interval: u64,
      importedWh: u64,
      exportedWh: u64,
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(reading, fc.uint8Array({ minLength: 65, maxLength: 65 })), {
          minLength: 0,
          maxLength: 6,
        }),
        (items) => {
          const readings = items.map(([r]) => r);
          const sigs = items.map(([, b]) => bytesToHex(b));
          expect(encodeSubmitReadings(readings, sigs)).toBe(
            encodeFunctionData({ abi: METERS_ABI, functionName: 'submitReadings', args: [readings, sigs] }),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
