import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hexToBytes, keccak256, parseTransaction, serializeTransaction } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { recoverAddressNative, recoverAddressNoble, recoveryBackend } from './recover.ts';
import { decodeSignedTx } from './tx.ts';

const key = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as const;
const account = privateKeyToAccount(key);
const to = '0x0000000000000000000000000000000000001001' as const;
const chainId = 1337;

async function sign(overrides: Record<string, unknown> = {}): Promise<Uint8Array> {
  const tx = {
    type: 'eip1559',
    chainId,
    nonce: 3,
    gas: 100_000n,
    maxFeePerGas: 7n,
    maxPriorityFeePerGas: 1n,
    to,
    data: '0xa9059cbb',
    ...overrides,
  } as Parameters<typeof account.signTransaction>[0];
  return hexToBytes(await account.signTransaction(tx));
}

describe('decodeSignedTx', () => {
  it('decodes an EIP-1559 transaction and recovers its sender', async () => {
    const raw = await sign();
    const r = decodeSignedTx(raw, { chainId: 1337n });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.tx.from).toBe(account.address.toLowerCase());
    expect(r.tx).toMatchObject({ type: 'eip1559', nonce: 3n, gasLimit: 100_000n, chainId: 1337n, to });
    expect(r.tx.hash).toBe(keccak256(raw));
    expect(r.tx.data).toEqual(hexToBytes('0xa9059cbb'));
  });

  it('decodes a legacy EIP-155 transaction with any gas price', async () => {
    const raw = await sign({
      type: 'legacy',
      gasPrice: 123n,
      maxFeePerGas: undefined,
      maxPriorityFeePerGas: undefined,
    });
    const r = decodeSignedTx(raw, { chainId: 1337n });
    expect(r.ok && r.tx.type === 'legacy' && r.tx.gasPrice === 123n && r.tx.from).toBe(
      account.address.toLowerCase(),
    );
  });

  it('rejects a legacy transaction without EIP-155 replay protection', async () => {
    const unsigned = { type: 'legacy', nonce: 0, gas: 50_000n, gasPrice: 1n, to } as const;
    const hash = hexToBytes(keccak256(serializeTransaction(unsigned)));
    const sig = secp256k1.sign(hash, hexToBytes(key), { prehash: false, format: 'recovered' });
    const r = BigInt(`0x${Buffer.from(sig.subarray(1, 33)).toString('hex')}`);
    const s = BigInt(`0x${Buffer.from(sig.subarray(33, 65)).toString('hex')}`);
    const raw = serializeTransaction(unsigned, {
      r: `0x${r.toString(16)}`,
      s: `0x${s.toString(16)}`,
      v: 27n + BigInt(sig[0]!),
    });
    expect(parseTransaction(raw).chainId).toBeUndefined();
    expect(decodeSignedTx(hexToBytes(raw), { chainId: 1337n })).toMatchObject({
      ok: false,
      code: 'no-replay-protection',
    });
  });

  it('rejects wrong chain id, value, creation, gas out of bounds, size, type and malformed bytes', async () => {
    const limits = { chainId: 1337n, maxTxBytes: 1000, maxTxGas: 1_000_000n };
    expect(decodeSignedTx(await sign({ chainId: 1 }), limits)).toMatchObject({
      ok: false,
      reason: 'invalid chain id: got 1, this chain is 1337',
    });
    expect(decodeSignedTx(await sign({ value: 1n }), limits)).toMatchObject({ code: 'value-transfer' });
    expect(decodeSignedTx(await sign({ to: undefined }), limits)).toMatchObject({
      code: 'contract-creation',
    });
    expect(decodeSignedTx(await sign({ gas: 21_000n }), limits)).toMatchObject({
      reason: 'intrinsic gas too low: have 21000, want 21064',
    });
    expect(decodeSignedTx(await sign({ gas: 1_000_001n }), limits)).toMatchObject({ code: 'gas-limit' });
    expect(decodeSignedTx(await sign({ data: `0x${'ff'.repeat(1000)}` }), limits)).toMatchObject({
      code: 'oversized',
    });
    expect(
      decodeSignedTx(
        await sign({
          type: 'eip2930',
          gasPrice: 1n,
          maxFeePerGas: undefined,
          maxPriorityFeePerGas: undefined,
        }),
        limits,
      ),
    ).toMatchObject({
      code: 'unsupported-type',
    });
    expect(decodeSignedTx(new Uint8Array([0x02, 0xc1, 0x80]), limits)).toMatchObject({ code: 'malformed' });
    expect(decodeSignedTx(new Uint8Array(), limits)).toMatchObject({ code: 'malformed' });
  });

  it('rejects a tampered signature or body and a high-s signature', async () => {
    const raw = await sign();
    const p = parseTransaction(`0x${Buffer.from(raw).toString('hex')}`);
    // A changed nonce under the same signature recovers a different sender, never the signer.
    const tampered = hexToBytes(
      serializeTransaction({ ...p, nonce: 4 } as Parameters<typeof serializeTransaction>[0]),
    );
    const t = decodeSignedTx(tampered, { chainId: 1337n });
    expect(t.ok && t.tx.from === account.address.toLowerCase()).toBe(false);
    const n = secp256k1.Point.CURVE().n;
    const highS = serializeTransaction({
      ...p,
      s: `0x${(n - BigInt(p.s!)).toString(16)}`,
      yParity: 1 - p.yParity!,
    } as Parameters<typeof serializeTransaction>[0]);
    expect(decodeSignedTx(hexToBytes(highS), { chainId: 1337n })).toMatchObject({
      code: 'invalid-signature',
    });
    const zeroR = serializeTransaction({ ...p, r: '0x0' } as Parameters<typeof serializeTransaction>[0]);
    expect(decodeSignedTx(hexToBytes(zeroR), { chainId: 1337n })).toMatchObject({
      code: 'invalid-signature',
    });
  });

  it('recovers the same address with the native binding and with noble', () => {
    expect(recoveryBackend).toBe('native');
    for (let i = 0; i < 5; i++) {
      const sk = secp256k1.utils.randomSecretKey();
      const digest = hexToBytes(keccak256(new Uint8Array([i])));
      const sig = secp256k1.sign(digest, sk, { prehash: false, format: 'recovered' });
      const a = recoverAddressNative(digest, sig.subarray(1), sig[0]!);
      const b = recoverAddressNoble(digest, sig.subarray(1), sig[0]!);
      expect(a).not.toBeNull();
      expect(a).toEqual(b);
    }
  });
});
