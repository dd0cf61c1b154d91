// Worker thread of SenderRecoveryPool (recover-pool.ts): recovers Ethereum addresses from batches of
// (digest 32 bytes, r || s 64 bytes, recovery id 1 byte) records with the native libsecp256k1 binding.
// Output: per record 1 status byte (1 ok, 0 invalid) and 20 address bytes. Plain JavaScript so that it
// loads in any host (node, tsx, vitest) without a TypeScript loader; the add-ons come from
// @gridledger/crypto's one loader (native.mjs). The pool starts workers only when the binding loads.
import { parentPort } from 'node:worker_threads';
import { nativeSecp256k1 as native, nativeKeccak256 } from '@gridledger/crypto/native';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** keccak256 of a public key: the native Keccak when it loads, or noble. */
const keccak = nativeKeccak256 ?? keccak_256;

parentPort.on('message', ({ id, input, count }) => {
  const inp = new Uint8Array(input);
  const out = new Uint8Array(count * 21);
  for (let i = 0; i < count; i++) {
    const o = i * 97;
    try {
      const pub = native.ecdsaRecover(
        inp.subarray(o + 32, o + 96),
        inp[o + 96],
        inp.subarray(o, o + 32),
        false,
      );
      out[i * 21] = 1;
      out.set(keccak(pub.subarray(1)).subarray(12), i * 21 + 1);
    } catch {
      out[i * 21] = 0;
    }
  }
  parentPort.postMessage({ id, output: out.buffer }, [out.buffer]);
});
