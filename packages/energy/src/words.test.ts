import { CallContext, GasMeter, JournaledState, ModuleRegistry } from '@gridledger/execution';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkNetworkJson } from './network-json.ts';
import { decodeSigned, encodeSigned, readBlob, writeBlob } from './words.ts';

describe('state words', () => {
  it('round-trips signed integers through two’s complement words', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 255n), max: (1n << 255n) - 1n }), (x) => {
        const w = encodeSigned(x);
        expect(w >= 0n && w < 1n << 256n).toBe(true);
        expect(decodeSigned(w)).toBe(x);
      }),
    );
  });

  it('round-trips blobs and clears the chunks of a longer old blob', () => {
    const state = new JournaledState();
    const ctx = new CallContext(
      state,
      new GasMeter(1n << 40n),
      { sender: '0x0000000000000000000000000000000000000001', height: 1n, timeMs: 0n },
      new ModuleRegistry(),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        writeBlob(ctx, 'p', bytes);
        expect(readBlob(state, 'p')).toEqual(bytes);
        const n = Math.ceil(bytes.length / 32);
        for (const [k] of state.entriesWithPrefix('p:')) {
          const tail = k.slice(2);
          expect(tail === 'len' || Number(tail) < n).toBe(true);
        }
      }),
    );
  });
});

describe('checkNetworkJson', () => {
  const good = {
    baseMVA: 100,
    buses: [
      { id: 1, type: 3 },
      { id: 2, type: 1 },
    ],
    branches: [
      {
        index: 1,
        from: 1,
        to: 2,
        xPu: 0.1,
        rateAMw: 10,
        tap: 0,
        shiftDeg: 0,
        status: 1,
        angminDeg: -360,
        angmaxDeg: 360,
      },
    ],
  };
  it('accepts a valid network', () => {
    expect(checkNetworkJson(good).ok).toBe(true);
  });
  it.each([
    [{ ...good, baseMVA: 0 }, 'baseMVA'],
    [
      {
        ...good,
        buses: [
          { id: 1, type: 1 },
          { id: 2, type: 1 },
        ],
      },
      'exactly one reference bus',
    ],
    [
      {
        ...good,
        buses: [
          { id: 1, type: 3 },
          { id: 1, type: 1 },
        ],
      },
      'duplicate id',
    ],
    [{ ...good, branches: [{ ...good.branches[0]!, to: 7 }] }, 'unknown bus'],
    [{ ...good, branches: [{ ...good.branches[0]!, xPu: 0 }] }, 'non-zero xPu'],
    [{ ...good, branches: [{ ...good.branches[0]!, rateAMw: -1 }] }, 'rateAMw >= 0'],
    [{ ...good, branches: [{ ...good.branches[0]!, index: 2 }] }, 'expected index 1'],
  ])('rejects %#', (net, reason) => {
    const r = checkNetworkJson(net);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain(reason);
  });
});
