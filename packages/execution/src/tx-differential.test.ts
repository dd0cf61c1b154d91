// The byte-level transaction decoder (tx.ts) against viem's parseTransaction + serializeTransaction, the
// path it replaced: for random EIP-1559 and legacy EIP-155 transactions (nonces, gas, fees, data lengths
// across RLP's 55/56-byte boundary and long lists, access lists, chain ids), signed by viem, both give the
// same fields, the same signing hash and the same sender; for random byte edits of such transactions,
// whatever the decoder accepts viem parses to the same fields and signing hash (never more permissive).
import fc from 'fast-check';
import { bytesToHex, hexToBytes, keccak256, parseTransaction, serializeTransaction } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { decodeSignedTx, prepareSignedTx } from './tx.ts';

const account = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');

/** The reference: viem's parse, the unsigned re-serialisation and its keccak. */
function viemReference(raw: Uint8Array) {
  const p = parseTransaction(bytesToHex(raw));
  const { r: _r, s: _s, v: _v, yParity: _y, ...unsigned } = p;
  const signingHash = keccak256(serializeTransaction(unsigned as Parameters<typeof serializeTransaction>[0]));
  return {
    signingHash,
    chainId: BigInt(p.chainId ?? -1),
    nonce: BigInt(p.nonce ?? 0),
    gasLimit: p.gas ?? 0n,
    to: p.to?.toLowerCase(),
    data: p.data ?? '0x',
    r: BigInt(p.r ?? 0),
    s: BigInt(p.s ?? 0),
  };
}

const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b));
const txArb = fc.record({
  legacy: fc.boolean(),
  chainId: fc.constantFrom(1337, 1, 31337, 2 ** 31 - 1),
  nonce: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 48 })),
  gas: fc.bigInt({ min: 60_000n, max: 2n ** 40n }),
  fee: fc.bigInt({ min: 0n, max: 2n ** 100n }),
  tip: fc.bigInt({ min: 0n, max: 2n ** 20n }),
  to: hex(20),
  data: fc
    .oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 700 }))
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b))),
  accessList: fc.array(fc.record({ address: hex(20), storageKeys: fc.array(hex(32), { maxLength: 3 }) }), {
    maxLength: 2,
  }),
});

type TxSpec = typeof txArb extends fc.Arbitrary<infer T> ? T : never;

async function signed(t: TxSpec): Promise<Uint8Array> {
  const common = { chainId: t.chainId, nonce: t.nonce, gas: t.gas, to: t.to, data: t.data } as const;
  const tx = t.legacy
    ? { ...common, type: 'legacy' as const, gasPrice: t.fee }
    : {
        ...common,
        type: 'eip1559' as const,
        maxFeePerGas: t.fee + t.tip,
        maxPriorityFeePerGas: t.tip,
        accessList: t.accessList as { address: `0x${string}`; storageKeys: `0x${string}`[] }[],
      };
  return hexToBytes(await account.signTransaction(tx));
}

describe('transaction decoding: bytes path vs viem', () => {
  it('gives the same fields, signing hash and sender for random signed transactions', async () => {
    await fc.assert(
      fc.asyncProperty(txArb, async (t) => {
        const raw = await signed(t);
        const limits = { chainId: BigInt(t.chainId), maxTxGas: 2n ** 64n };
        const ours = prepareSignedTx(raw, limits);
        expect(ours.ok).toBe(true);
        if (!ours.ok) return;
        const ref = viemReference(raw);
        expect(bytesToHex(ours.signingHash)).toBe(ref.signingHash);
        expect({
          chainId: ours.tx.chainId,
          nonce: ours.tx.nonce,
          gasLimit: ours.tx.gasLimit,
          to: ours.tx.to,
          data: bytesToHex(ours.tx.data),
          r: ours.tx.r,
          s: ours.tx.s,
        }).toEqual({
          chainId: ref.chainId,
          nonce: ref.nonce,
          gasLimit: ref.gasLimit,
          to: ref.to,
          data: ref.data,
          r: ref.r,
          s: ref.s,
        });
        expect(ours.tx.hash).toBe(keccak256(raw));
        const full = decodeSignedTx(raw, limits);
        expect(full.ok && full.tx.from).toBe(account.address.toLowerCase());
        if (t.legacy) expect(ours.tx.gasPrice).toBe(t.fee);
        else expect([ours.tx.maxFeePerGas, ours.tx.maxPriorityFeePerGas]).toEqual([t.fee + t.tip, t.tip]);
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('accepts an edited transaction only where viem parses it to the same fields and signing hash', async () => {
    await fc.assert(
      fc.asyncProperty(
        txArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
        async (t, edits) => {
          const raw = (await signed(t)).slice();
          for (const [at, byte] of edits) raw[at % raw.length] = byte;
          const ours = prepareSignedTx(raw, { chainId: BigInt(t.chainId), maxTxGas: 2n ** 64n });
          if (!ours.ok) return;
          const ref = viemReference(raw);
          expect(bytesToHex(ours.signingHash)).toBe(ref.signingHash);
          expect([ours.tx.nonce, ours.tx.gasLimit, ours.tx.to, bytesToHex(ours.tx.data)]).toEqual([
            ref.nonce,
            ref.gasLimit,
            ref.to,
            ref.data,
          ]);
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it('refuses non-canonical integers and wrong field counts that a permissive decoder might take', async () => {
    const raw = await signed({
      legacy: false,
      chainId: 1337,
      nonce: 5,
      gas: 100_000n,
      fee: 0n,
      tip: 0n,
      to: `0x${'11'.repeat(20)}`,
      data: '0x',
      accessList: [],
    });
    // nonce 5 encoded as 0x82 00 05 (two bytes, leading zero) instead of 0x05: the list grows by 2 bytes.
    expect(raw[1]).toBe(0xf8); // a list of 56..255 bytes: header 0xf8 <length>
    const body = raw.subarray(3);
    expect(raw[2]).toBe(body.length);
    const chainIdLen = 3; // 0x82 05 39
    expect(body[chainIdLen]).toBe(0x05);
    const edited = new Uint8Array([
      0x02,
      0xf8,
      body.length + 2,
      ...body.subarray(0, chainIdLen),
      0x82,
      0x00,
      0x05,
      ...body.subarray(chainIdLen + 1),
    ]);
    expect(prepareSignedTx(edited, { chainId: 1337n })).toMatchObject({
      ok: false,
      code: 'malformed',
      reason: expect.stringMatching(/nonce: non-canonical integer/),
    });
    const short = new Uint8Array([0x02, 0xf8, body.length - 3, ...body.subarray(0, body.length - 3)]);
    expect(prepareSignedTx(short, { chainId: 1337n })).toMatchObject({ ok: false, code: 'malformed' });
  });
});
