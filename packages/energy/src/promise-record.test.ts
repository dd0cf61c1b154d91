import { Revert } from '@gridledger/execution';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePromiseRecord,
  encodePromiseRecord,
  PROMISE_RECORD_WORDS,
  type PromiseRecord,
  promiseEnergyWh,
  promiseSellerOrder,
  promiseWordKey,
  readPromiseRecord,
} from './promise-record.ts';

const addr = fc
  .bigInt({ min: 1n, max: (1n << 160n) - 1n })
  .map((v) => `0x${v.toString(16).padStart(40, '0')}` as const);
const u = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const i128 = fc.bigInt({ min: -(1n << 127n), max: (1n << 127n) - 1n });
const record: fc.Arbitrary<PromiseRecord> = fc.record({
  interval: u(64),
  seller: addr,
  buyer: addr,
  sellerOrder: u(128),
  buyerOrder: u(128),
  sellerBus: u(32),
  buyerBus: u(32),
  energyWh: u(64),
  sellerPrice: i128,
  buyerPrice: i128,
});

describe('promise record', () => {
  it('packs every field into four words and reads each back exactly', () => {
    fc.assert(
      fc.property(record, (r) => {
        const w = encodePromiseRecord(r);
        for (const v of Object.values(w)) expect(v >= 0n && v < 1n << 256n).toBe(true);
        expect(decodePromiseRecord([w.p0, w.p1, w.p2, w.p3])).toEqual(r);
        const state = new Map(PROMISE_RECORD_WORDS.map((n) => [promiseWordKey(7n, n), w[n]]));
        const s = { get: (k: string) => state.get(k) ?? 0n };
        expect(readPromiseRecord(s, 7n)).toEqual(r);
        expect(readPromiseRecord(s, 8n)).toBeUndefined();
        expect(promiseEnergyWh(s, 7n)).toBe(r.energyWh);
        expect(promiseSellerOrder(s, 7n)).toBe(r.sellerOrder);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a field that does not fit, with a revert naming it', () => {
    const r: PromiseRecord = {
      interval: 1n,
      seller: '0x0000000000000000000000000000000000000001',
      buyer: '0x0000000000000000000000000000000000000002',
      sellerOrder: 1n,
      buyerOrder: 2n,
      sellerBus: 3n,
      buyerBus: 4n,
      energyWh: 5n,
      sellerPrice: -6n,
      buyerPrice: 7n,
    };
    expect(() => encodePromiseRecord({ ...r, energyWh: 1n << 64n })).toThrow(Revert);
    expect(() => encodePromiseRecord({ ...r, sellerBus: 1n << 32n })).toThrow(Revert);
    expect(() => encodePromiseRecord({ ...r, buyerPrice: 1n << 127n })).toThrow(Revert);
    expect(() => encodePromiseRecord({ ...r, sellerPrice: -(1n << 127n) - 1n })).toThrow(Revert);
  });
});
