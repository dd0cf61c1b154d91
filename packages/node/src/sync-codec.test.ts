import fc from 'fast-check';
import { expect, it } from 'vitest';
import { decodeSyncBlock, encodeSyncBlock } from './sync-codec.ts';

it('round-trips a block and certificate, and rejects truncated payloads', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (block, cert) => {
      const d = decodeSyncBlock(encodeSyncBlock(block, cert));
      expect(d.block).toEqual(block);
      expect(d.cert).toEqual(cert);
    }),
  );
  expect(() => decodeSyncBlock(new Uint8Array([0, 0]))).toThrow(/too short/);
  expect(() => decodeSyncBlock(new Uint8Array([0, 0, 0, 9, 1]))).toThrow(
    /declares a 9-byte block in 5 bytes/,
  );
});
