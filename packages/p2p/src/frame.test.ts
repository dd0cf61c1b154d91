import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P2pProtocolError } from './errors.ts';
import { encodeFrame, FrameDecoder } from './frame.ts';
import { decodeMessage, encodeMessage, type WireMessage } from './messages.ts';

describe('frames', () => {
  it('reassembles frames from arbitrary chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
          const d = new FrameDecoder(1000);
          const out: Uint8Array[] = [];
          let o = 0;
          let i = 0;
          while (o < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            out.push(...d.push(new Uint8Array(stream.subarray(o, o + n))));
            o += n;
          }
          expect(out).toEqual(bodies);
        },
      ),
    );
  });
  it('rejects a declared length over the limit before buffering it', () => {
    const d = new FrameDecoder(100);
    expect(() => d.push(new Uint8Array([0, 0, 0, 101]))).toThrow(/101 bytes exceeds the limit of 100/);
  });
  it('rejects an empty frame', () => {
    expect(() => new FrameDecoder(100).push(new Uint8Array([0, 0, 0, 0]))).toThrow(P2pProtocolError);
  });
});

describe('messages', () => {
  const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
  const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
  const msg: fc.Arbitrary<WireMessage> = fc.oneof(
    fc.record({
      kind: fc.constant('hello' as const),
      version: fc.integer({ min: 0, max: 255 }),
      chainId: fc.string({ minLength: 1, maxLength: 20 }),
      ephemeralKey: bytes(32, 32),
    }),
    fc.record({ kind: fc.constant('auth' as const), publicKey: bytes(32, 32), signature: bytes(64, 64) }),
    fc.record({
      kind: fc.constantFrom('proposal' as const, 'vote' as const, 'tx' as const),
      data: bytes(1, 100),
    }),
    fc.record({ kind: fc.constant('status' as const), height: u64, latestHash: bytes(0, 32) }),
    u64.chain((a) =>
      fc.record({
        kind: fc.constant('block-request' as const),
        fromHeight: fc.constant(a),
        toHeight: fc.bigInt({ min: a, max: (1n << 64n) - 1n }),
      }),
    ),
    fc.record({ kind: fc.constant('block-response' as const), height: u64, data: bytes(0, 100) }),
    fc.record({
      kind: fc.constant('txs' as const),
      txs: fc.array(bytes(1, 60), { minLength: 1, maxLength: 8 }),
    }),
  );
  it('round-trips every message kind', () => {
    fc.assert(
      fc.property(msg, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
    );
  });
  it('never throws anything but P2pProtocolError on random bytes', () => {
    fc.assert(
      fc.property(bytes(0, 120), (b) => {
        try {
          decodeMessage(b);
        } catch (err) {
          expect(err).toBeInstanceOf(P2pProtocolError);
        }
      }),
    );
  });
  it('names what is wrong', () => {
    expect(() => decodeMessage(new Uint8Array([0x7f]))).toThrow(/unknown message type 0x7f/);
    expect(() => decodeMessage(new Uint8Array([0x02, 1, 2]))).toThrow(
      /auth message: expected 97 bytes, got 3/,
    );
    expect(() => decodeMessage(new Uint8Array([0x16]))).toThrow(/txs: no transactions/);
    expect(() => decodeMessage(new Uint8Array([0x16, 0, 0, 0, 5, 1, 2]))).toThrow(
      /txs: transaction runs past the message/,
    );
    expect(() => decodeMessage(new Uint8Array([0x16, 0, 0, 0, 0]))).toThrow(/txs: empty transaction/);
    expect(() => decodeMessage(new Uint8Array([0x16, 0, 0, 0, 1, 9, 0, 0]))).toThrow(/txs: truncated length/);
    expect(() => encodeMessage({ kind: 'txs', txs: [] })).toThrow(RangeError);
  });
});
