// `npm run bench:p2p`: the cost of the encrypted channel on one core. Frames sealed and opened per second
// (one FrameCipher pair: ChaCha20-Poly1305 in node:crypto; pure-JS @noble/ciphers beside it) and MB/s of payload at the sizes the chain
// sends (a vote ~150 B, a txs batch of ~1 KiB and 64 KiB, a block of 1 MiB), and handshakes per second
// (two ephemeral X25519 keys, two shared secrets, HKDF, two ed25519 signatures and two checks). Best of
// 3 timed runs of about 0.4 s after a warm-up. `--format json` prints one JSON object as the last line.
import { ed25519KeyPair } from '@gridledger/crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { deriveSession, newEphemeralKeyPair, verifyAuth } from '../src/handshake.ts';

function measure(fn: () => unknown, ms = 400, runs = 3): number {
  for (let i = 0; i < 20; i++) fn();
  let best = 0;
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      fn();
      n++;
      if ((n & 7) === 0) t = performance.now();
    }
    t = performance.now();
    best = Math.max(best, (n * 1000) / (t - t0));
  }
  return best;
}

const alice = ed25519KeyPair(new Uint8Array(32).fill(1));
const bob = ed25519KeyPair(new Uint8Array(32).fill(2));
const session = (own: ReturnType<typeof newEphemeralKeyPair>, their: Uint8Array, sk: Uint8Array) =>
  deriveSession({ version: 2, chainId: 'bench', own, theirEphemeral: their, validatorSecretKey: sk });

const rows: { what: string; framesPerSec: number; mbPerSec: number }[] = [];
for (const size of [150, 1024, 64 * 1024, 1024 * 1024]) {
  const ea = newEphemeralKeyPair();
  const eb = newEphemeralKeyPair();
  const a = session(ea, eb.publicKey, alice.secretKey);
  const b = session(eb, ea.publicKey, bob.secretKey);
  const body = new Uint8Array(size).fill(7);
  const framesPerSec = measure(() => b.receive.open(a.send.seal(body)), size > 100_000 ? 1000 : 400);
  rows.push({ what: `FrameCipher ${size} B`, framesPerSec, mbPerSec: (framesPerSec * size) / 1e6 });
}
// The same AEAD in pure JS (@noble/ciphers), for comparison: what FrameCipher would cost without OpenSSL.
const key = new Uint8Array(32).fill(9);
const nonce = new Uint8Array(12);
for (const size of [150, 1024, 64 * 1024, 1024 * 1024]) {
  const body = new Uint8Array(size).fill(7);
  const framesPerSec = measure(
    () => chacha20poly1305(key, nonce).decrypt(chacha20poly1305(key, nonce).encrypt(body)),
    size > 100_000 ? 1000 : 400,
  );
  rows.push({ what: `@noble/ciphers ${size} B`, framesPerSec, mbPerSec: (framesPerSec * size) / 1e6 });
}
const handshakesPerSec = measure(() => {
  const ea = newEphemeralKeyPair();
  const eb = newEphemeralKeyPair();
  const a = session(ea, eb.publicKey, alice.secretKey);
  const b = session(eb, ea.publicKey, bob.secretKey);
  verifyAuth(b.transcript, ea.publicKey, alice.publicKey, a.signature);
  verifyAuth(a.transcript, eb.publicKey, bob.publicKey, b.signature);
});

console.log('p2p channel on one core: seal + open of one frame (ChaCha20-Poly1305)');
for (const r of rows)
  console.log(
    `  ${r.what.padEnd(24)} ${Math.round(r.framesPerSec).toLocaleString('en').padStart(10)} frames/s ${r.mbPerSec.toFixed(1).padStart(7)} MB/s`,
  );
console.log(
  `  handshake (both ends)     ${Math.round(handshakesPerSec).toLocaleString('en').padStart(10)} /s`,
);
if (process.argv.includes('--format') && process.argv[process.argv.indexOf('--format') + 1] === 'json')
  console.log(JSON.stringify({ bench: 'p2p', rows, handshakesPerSec }));
