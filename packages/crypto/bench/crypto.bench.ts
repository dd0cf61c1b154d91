// `npm run bench:crypto`: operations per second on one core (one thread, run one after another) of the
// hashes and signatures the chain depends on, comparing pure-JS noble with Node's OpenSSL binding
// (sha256, ed25519) and with libsecp256k1 through the `secp256k1` npm package's prebuilt binary
// (sender recovery). Each figure is the best of 3 timed runs of about 0.4 s after a warm-up.

import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import { equalBytes, toHex, utf8 } from '@gridledger/base';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import Table from 'cli-table3';
import {
  ed25519KeyPair,
  ed25519Sign,
  ed25519Verify,
  keccak256,
  nobleRecoverAddress,
  publicKeyToAddress,
  secp256k1Backend,
  secp256k1RecoverAddress,
  secp256k1SignRecoverable,
  sha256,
} from '../src/index.ts';

const require = createRequire(import.meta.url);

/** Runs `fn` repeatedly; returns operations per second (best of `runs` runs of about `ms` each). */
function measure(fn: (i: number) => unknown, ms = 400, runs = 3): number {
  for (let i = 0; i < 200; i++) fn(i);
  let best = 0;
  for (let r = 0; r < runs; r++) {
    let n = 0;
    let batch = 16;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < ms) {
      for (let i = 0; i < batch; i++) fn(n + i);
      n += batch;
      elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
      if (elapsed < ms / 8) batch *= 2;
    }
    best = Math.max(best, (n * 1000) / elapsed);
  }
  return best;
}

const rows: [string, string, number][] = [];
function bench(op: string, impl: string, fn: (i: number) => unknown): void {
  const ops = measure(fn);
  rows.push([op, impl, ops]);
  process.stderr.write(`  ${op.padEnd(34)} ${impl.padEnd(36)} ${fmt(ops)}/s\n`);
}
function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

// ---------- inputs ----------
const N = 64;
const msg32 = Array.from({ length: N }, (_, i) => sha256(utf8(`m${i}`)));
const msg1k = Array.from({ length: N }, (_, i) => new Uint8Array(1024).fill(i));
const vote = Array.from({ length: N }, (_, i) =>
  utf8(`precommit/gridledger-1/height ${i}/round 0/${toHex(msg32[i]!)}`),
);

// ---------- hashes ----------
process.stderr.write('hashes\n');
bench('sha256 32 B', 'node:crypto (OpenSSL)', (i) => sha256(msg32[i % N]!));
bench('sha256 32 B', '@noble/hashes', (i) => nobleSha256(msg32[i % N]!));
bench('sha256 1 KiB', 'node:crypto (OpenSSL)', (i) => sha256(msg1k[i % N]!));
bench('sha256 1 KiB', '@noble/hashes', (i) => nobleSha256(msg1k[i % N]!));
bench('keccak256 32 B', '@noble/hashes', (i) => keccak256(msg32[i % N]!));
bench('keccak256 1 KiB', '@noble/hashes', (i) => keccak256(msg1k[i % N]!));

// ---------- ed25519 ----------
process.stderr.write('ed25519\n');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const edKeys = Array.from({ length: N }, (_, i) => ed25519KeyPair(sha256(utf8(`validator ${i}`))));
const edPriv = edKeys.map((k) =>
  createPrivateKey({ key: Buffer.concat([PKCS8, k.secretKey]), format: 'der', type: 'pkcs8' }),
);
const edPub = edKeys.map((k) =>
  createPublicKey({ key: Buffer.concat([SPKI, k.publicKey]), format: 'der', type: 'spki' }),
);
const edSigs = edKeys.map((k, i) => ed25519.sign(vote[i]!, k.secretKey));
// Both implementations produce the same (deterministic, RFC 8032) signatures.
for (let i = 0; i < N; i++) {
  const native = new Uint8Array(nodeSign(null, vote[i]!, edPriv[i]!));
  if (!equalBytes(native, edSigs[i]!)) throw new Error(`ed25519: node and noble signatures differ at ${i}`);
}
bench('ed25519 sign', '@noble/curves', (i) => ed25519.sign(vote[i % N]!, edKeys[i % N]!.secretKey));
bench('ed25519 sign', 'node:crypto, cached KeyObject', (i) => nodeSign(null, vote[i % N]!, edPriv[i % N]!));
bench('ed25519 sign', '@gridledger/crypto (now node:crypto)', (i) =>
  ed25519Sign(vote[i % N]!, edKeys[i % N]!.secretKey),
);
bench('ed25519 verify', '@noble/curves', (i) =>
  ed25519.verify(edSigs[i % N]!, vote[i % N]!, edKeys[i % N]!.publicKey),
);
bench('ed25519 verify', 'node:crypto, cached KeyObject', (i) =>
  nodeVerify(null, vote[i % N]!, edPub[i % N]!, edSigs[i % N]!),
);
bench('ed25519 verify', 'node:crypto, new KeyObject each', (i) =>
  nodeVerify(
    null,
    vote[i % N]!,
    createPublicKey({ key: Buffer.concat([SPKI, edKeys[i % N]!.publicKey]), format: 'der', type: 'spki' }),
    edSigs[i % N]!,
  ),
);
bench('ed25519 verify', '@gridledger/crypto (now node:crypto)', (i) =>
  ed25519Verify(edSigs[i % N]!, vote[i % N]!, edKeys[i % N]!.publicKey),
);

// ---------- secp256k1 ----------
process.stderr.write('secp256k1\n');
const skKeys = Array.from({ length: N }, (_, i) => sha256(utf8(`account ${i}`)));
const skSigs = skKeys.map((k, i) => secp256k1SignRecoverable(msg32[i]!, k));
const skAddr = skKeys.map((k) => publicKeyToAddress(secp256k1.getPublicKey(k, false)));

let nativeLine = 'secp256k1 npm package: not installed';
let native:
  | { ecdsaRecover(sig: Uint8Array, recid: number, msg: Uint8Array, compressed?: boolean): Uint8Array }
  | undefined;
try {
  const bindings = require('secp256k1/bindings');
  const entry = require('secp256k1');
  const pkgDir = require.resolve('secp256k1/package.json').replace(/package\.json$/, '');
  const addon = Object.keys(require.cache).find((p) => p.startsWith(pkgDir) && p.endsWith('.node'));
  nativeLine =
    entry === bindings
      ? `secp256k1 npm package: native libsecp256k1 binding loaded (${addon?.slice(pkgDir.length) ?? 'addon'})`
      : 'secp256k1 npm package: loaded its pure-JS elliptic fallback, NOT the native binding';
  if (entry === bindings) native = bindings;
} catch (err) {
  nativeLine = `secp256k1 npm package: native binding failed to load (${(err as Error).message.split('\n')[0]})`;
}
process.stderr.write(`  ${nativeLine}\n`);

bench('secp256k1 sign (recoverable)', '@noble/curves', (i) =>
  secp256k1SignRecoverable(msg32[i % N]!, skKeys[i % N]!),
);
bench('secp256k1 recover sender address', '@noble/curves + keccak', (i) =>
  nobleRecoverAddress(msg32[i % N]!, skSigs[i % N]!, skSigs[i % N]![64]!),
);
if (native !== undefined) {
  const lib = native;
  const recoverNative = (i: number) => {
    const s = skSigs[i % N]!;
    const pub = lib.ecdsaRecover(s.subarray(0, 64), s[64]!, msg32[i % N]!, false);
    return keccak256(pub.subarray(1)).subarray(12);
  };
  for (let i = 0; i < N; i++) {
    if (!equalBytes(recoverNative(i), skAddr[i]!))
      throw new Error(`secp256k1: native recovery differs at ${i}`);
    if (!equalBytes(secp256k1RecoverAddress(msg32[i]!, skSigs[i]!)!, skAddr[i]!))
      throw new Error('noble differs');
  }
  bench('secp256k1 recover sender address', 'libsecp256k1 (npm secp256k1) + keccak', recoverNative);
}
bench('secp256k1 recover sender address', `@gridledger/crypto (now ${secp256k1Backend()})`, (i) =>
  secp256k1RecoverAddress(msg32[i % N]!, skSigs[i % N]!),
);

// ---------- report ----------
const t = new Table({
  head: ['operation', 'implementation', 'ops/s (1 core)', 'µs/op'],
  style: { head: [], border: [] },
});
for (const [op, impl, ops] of rows) t.push([op, impl, fmt(ops), (1e6 / ops).toFixed(2)]);
const cpu = (await import('node:os')).cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(`crypto benchmark: Node ${process.version}, ${cpu}\n${nativeLine}\n${t.toString()}\n`);
const ratio = (op: string, a: string, b: string) => {
  const x = rows.find((r) => r[0] === op && r[1].startsWith(a))?.[2];
  const y = rows.find((r) => r[0] === op && r[1].startsWith(b))?.[2];
  return x && y ? `${(x / y).toFixed(1)}x` : 'n/a';
};
process.stdout.write(
  `node:crypto vs noble: ed25519 sign ${ratio('ed25519 sign', 'node:crypto', '@noble')}, verify ${ratio('ed25519 verify', 'node:crypto, cached', '@noble')}; ` +
    `libsecp256k1 vs noble recovery ${ratio('secp256k1 recover sender address', 'libsecp256k1', '@noble')}\n`,
);
