// The one place gridledger loads its native add-ons: libsecp256k1 (the `secp256k1` package's prebuilt
// binding, never its pure-JS fallback) and the reference Keccak (the `keccak` package's prebuilt binary,
// through node-gyp-build), both without install scripts. Each is undefined when its binary does not load,
// and the callers then use noble (same results, tested). Plain JavaScript so that the TypeScript modules
// (hash.ts, secp256k1.ts, the execution and simulator packages) and the sender-recovery worker thread
// (packages/execution/src/recover-worker.mjs, loaded without a TypeScript loader) share it; imported as
// `@gridledger/crypto/native`. Types in native.d.mts.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** The libsecp256k1 binding (ecdsaRecover, ecdsaSign, publicKeyCreate), or undefined. */
export const nativeSecp256k1 = (() => {
  try {
    const binding = require('secp256k1/bindings');
    return typeof binding.ecdsaRecover === 'function' ? binding : undefined;
  } catch {
    return undefined;
  }
})();

/** The native Keccak sponge's constructor, or undefined. */
export const NativeKeccak = (() => {
  try {
    const build = require('node-gyp-build');
    const addon = build(dirname(require.resolve('keccak/package.json')));
    return typeof addon === 'function' ? addon : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * Keccak-256 (Ethereum's) with the native sponge, or undefined when the binary did not load.
 * The digest is a 32-byte view into a fresh buffer.
 */
export const nativeKeccak256 =
  NativeKeccak === undefined
    ? undefined
    : (data) => {
        const s = new NativeKeccak();
        s.initialize(1088, 512);
        s.absorb(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        s.absorbLastFewBits(0x01);
        const out = s.squeeze(32);
        return new Uint8Array(out.buffer, out.byteOffset, 32);
      };
