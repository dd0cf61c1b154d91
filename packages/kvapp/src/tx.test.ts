import { utf8 } from '@gridledger/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKvTx, encodeKvTx, MAX_KV_TX_BYTES } from './tx.ts';

const keyChar = fc.constantFrom(...'abcXYZ019._:/-'.split(''));

describe('key=value transaction format', () => {
  it('round-trips every valid key and value', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: keyChar, minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 1024 }),
        (k, value) => {
          const key = utf8(k);
          const r = decodeKvTx(encodeKvTx({ key, value }));
          expect(r).toEqual({ ok: true, tx: { key, value } });
        },
      ),
    );
  });
  it('splits at the first = so values may contain =', () => {
    expect(decodeKvTx(utf8('a=b=c'))).toEqual({ ok: true, tx: { key: utf8('a'), value: utf8('b=c') } });
    expect(decodeKvTx(utf8('a='))).toEqual({ ok: true, tx: { key: utf8('a'), value: new Uint8Array() } });
  });
  it('rejects malformed and oversized transactions with a reason', () => {
    expect(decodeKvTx(utf8('novalue'))).toEqual({
      ok: false,
      reason: "malformed transaction: expected key=value, found no '='",
    });
    expect(decodeKvTx(utf8('=v'))).toMatchObject({ ok: false, reason: /empty key/ });
    expect(decodeKvTx(utf8('a b=v'))).toMatchObject({ ok: false, reason: /key byte 1 is 0x20/ });
    expect(decodeKvTx(utf8(`${'k'.repeat(65)}=v`))).toMatchObject({
      ok: false,
      reason: /key of 65 bytes, limit 64/,
    });
    expect(decodeKvTx(utf8(`k=${'v'.repeat(1025)}`))).toMatchObject({
      ok: false,
      reason: /value of 1025 bytes, limit 1024/,
    });
    expect(decodeKvTx(new Uint8Array(MAX_KV_TX_BYTES + 1))).toMatchObject({
      ok: false,
      reason: `transaction too large: ${MAX_KV_TX_BYTES + 1} bytes, limit ${MAX_KV_TX_BYTES}`,
    });
    expect(() => encodeKvTx({ key: utf8('a=b'), value: utf8('c') })).toThrow(RangeError);
  });
});
