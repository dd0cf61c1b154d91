// Ethereum transactions as the chain accepts them: EIP-1559 (type 2) and legacy with EIP-155 replay
// protection, decoded with viem. Owns the stateless checks (size, type, chain id, value, gas limit,
// signature and sender recovery); nonce and registration are state checks made by the application.
// Gas is priced at zero: any fee fields are accepted and nothing is charged, but the gas limit binds.
import { keccak256 } from '@gridledger/crypto';
import { hexToBytes, parseTransaction, serializeTransaction } from 'viem';
import { intrinsicGas } from './gas.ts';
import { recoverAddress } from './recover.ts';

/** secp256k1 group order / 2: signatures with a larger s are malleable and rejected (EIP-2). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Limits a transaction is checked against. */
export interface TxLimits {
  /** The chain id every transaction must carry (EIP-155 / EIP-1559 `chainId`). */
  chainId: bigint;
  /** Largest encoded transaction (bytes); default {@link DEFAULT_MAX_TX_BYTES}. */
  maxTxBytes?: number;
  /** Largest gas limit of one transaction; default {@link DEFAULT_MAX_TX_GAS}. */
  maxTxGas?: bigint;
}

/** Largest encoded transaction accepted (bytes), as geth's txpool: 128 KiB. */
export const DEFAULT_MAX_TX_BYTES = 128 * 1024;
/** Largest gas limit of one transaction (also the default block gas limit). */
export const DEFAULT_MAX_TX_GAS = 30_000_000n;

/** A decoded, signature-checked transaction. Addresses are 0x-prefixed lower-case hex. */
export interface SignedTx {
  /** The encoded transaction as received. */
  raw: Uint8Array;
  /** keccak256 of `raw`: the Ethereum transaction hash. */
  hash: `0x${string}`;
  type: 'legacy' | 'eip1559';
  chainId: bigint;
  nonce: bigint;
  gasLimit: bigint;
  /** Legacy gas price, or undefined for EIP-1559 (recorded, never charged). */
  gasPrice: bigint | undefined;
  maxFeePerGas: bigint | undefined;
  maxPriorityFeePerGas: bigint | undefined;
  /** Recipient; null for contract creation (which this chain rejects). */
  to: `0x${string}`;
  value: bigint;
  data: Uint8Array;
  /** The recovered sender. */
  from: `0x${string}`;
  r: bigint;
  s: bigint;
  /** yParity (0/1) for EIP-1559; v (chainId*2+35+parity) for legacy. */
  v: bigint;
}

/** Why a transaction was rejected, as Ethereum clients word it, with a stable code. */
export interface TxRejection {
  ok: false;
  code:
    | 'oversized'
    | 'malformed'
    | 'unsupported-type'
    | 'invalid-chain-id'
    | 'no-replay-protection'
    | 'contract-creation'
    | 'value-transfer'
    | 'intrinsic-gas'
    | 'gas-limit'
    | 'invalid-signature';
  reason: string;
}

/** Result of {@link decodeSignedTx}. */
export type DecodeTxResult = { ok: true; tx: SignedTx } | TxRejection;

function reject(code: TxRejection['code'], reason: string): TxRejection {
  return { ok: false, code, reason };
}

/** A transaction that passed every check except sender recovery: what recovery needs, and the fields. */
export interface PreparedTx {
  ok: true;
  /** The EIP-155 / EIP-1559 signing hash. */
  signingHash: Uint8Array;
  /** r || s. */
  signature: Uint8Array;
  recoveryId: number;
  tx: Omit<SignedTx, 'from'>;
}

/**
 * Every stateless check of {@link decodeSignedTx} except sender recovery, so that recovery can run
 * elsewhere (a worker thread) and {@link finishSignedTx} completes the result.
 */
export function prepareSignedTx(raw: Uint8Array, limits: TxLimits): PreparedTx | TxRejection {
  const maxBytes = limits.maxTxBytes ?? DEFAULT_MAX_TX_BYTES;
  const maxGas = limits.maxTxGas ?? DEFAULT_MAX_TX_GAS;
  if (!(raw instanceof Uint8Array)) return reject('malformed', 'transaction must be bytes');
  if (raw.length > maxBytes)
    return reject('oversized', `oversized data: ${raw.length} bytes, limit ${maxBytes}`);
  if (raw.length === 0) return reject('malformed', 'malformed transaction: empty');
  const first = raw[0]!;
  if (first < 0xc0 && first !== 0x02) {
    return reject(
      'unsupported-type',
      `transaction type not supported: 0x${first.toString(16).padStart(2, '0')} (accepted: legacy with EIP-155, EIP-1559)`,
    );
  }
  const hex = hexOf(raw);
  let p: ReturnType<typeof parseTransaction>;
  try {
    p = parseTransaction(hex);
  } catch (err) {
    return reject('malformed', `malformed transaction: ${firstLine(err)}`);
  }
  if (p.r === undefined || p.s === undefined)
    return reject('invalid-signature', 'invalid signature: missing r or s');
  const r = BigInt(p.r);
  const s = BigInt(p.s);
  let recoveryId: number;
  let v: bigint;
  if (p.type === 'legacy') {
    if (p.chainId === undefined || p.v === undefined || p.v < 35n) {
      return reject('no-replay-protection', 'only replay-protected (EIP-155) transactions allowed over RPC');
    }
    v = p.v;
    recoveryId = Number((p.v - 35n) % 2n);
  } else {
    if (p.yParity === undefined) return reject('invalid-signature', 'invalid signature: missing yParity');
    v = BigInt(p.yParity);
    recoveryId = p.yParity;
  }
  const chainId = BigInt(p.chainId ?? -1);
  if (chainId !== limits.chainId) {
    return reject('invalid-chain-id', `invalid chain id: got ${chainId}, this chain is ${limits.chainId}`);
  }
  if (p.to === undefined || p.to === null) {
    return reject('contract-creation', 'contract creation not supported: transaction has no recipient');
  }
  const value = p.value ?? 0n;
  if (value !== 0n) {
    return reject(
      'value-transfer',
      `value transfer not supported: the chain has no native coin (value ${value})`,
    );
  }
  const data = p.data === undefined ? new Uint8Array(0) : hexToBytes(p.data);
  const gasLimit = p.gas ?? 0n;
  const intrinsic = intrinsicGas(data);
  if (gasLimit < intrinsic)
    return reject('intrinsic-gas', `intrinsic gas too low: have ${gasLimit}, want ${intrinsic}`);
  if (gasLimit > maxGas)
    return reject('gas-limit', `exceeds block gas limit: gas ${gasLimit}, limit ${maxGas}`);
  if (r === 0n || s === 0n || s > HALF_N) {
    return reject(
      'invalid-signature',
      'invalid signature: r and s must be non-zero and s in the lower half (EIP-2)',
    );
  }
  const { r: _r, s: _s, v: _v, yParity: _y, ...unsigned } = p;
  const signingHash = keccak256(
    hexToBytes(serializeTransaction(unsigned as Parameters<typeof serializeTransaction>[0])),
  );
  const signature = new Uint8Array(64);
  signature.set(hexToBytes(p.r, { size: 32 }), 0);
  signature.set(hexToBytes(p.s, { size: 32 }), 32);
  return {
    ok: true,
    signingHash,
    signature,
    recoveryId,
    tx: {
      raw,
      hash: hexOf(keccak256(raw)),
      type: p.type === 'legacy' ? 'legacy' : 'eip1559',
      chainId,
      nonce: BigInt(p.nonce ?? 0),
      gasLimit,
      gasPrice: p.type === 'legacy' ? (p.gasPrice ?? 0n) : undefined,
      maxFeePerGas: p.type === 'eip1559' ? (p.maxFeePerGas ?? 0n) : undefined,
      maxPriorityFeePerGas: p.type === 'eip1559' ? (p.maxPriorityFeePerGas ?? 0n) : undefined,
      to: p.to.toLowerCase() as `0x${string}`,
      value,
      data,
      r,
      s,
      v,
    },
  };
}

/**
 * Completes a prepared transaction with its recovered sender (null: the signature does not recover).
 * @example finishSignedTx(prepared, recoverAddress(prepared.signingHash, prepared.signature, prepared.recoveryId))
 */
export function finishSignedTx(prepared: PreparedTx, from: Uint8Array | null): DecodeTxResult {
  if (from === null) return reject('invalid-signature', 'invalid signature: sender cannot be recovered');
  return {
    ok: true,
    tx: {
      ...prepared.tx,
      from: `0x${Buffer.from(from.buffer, from.byteOffset, from.byteLength).toString('hex')}`,
    },
  };
}

/**
 * Decodes and checks an encoded transaction: size, type, chain id, no native value, no contract
 * creation, gas limit between the intrinsic gas and the per-transaction maximum, a low-s signature
 * that recovers a sender. Never throws on bad bytes: returns the reason.
 * @example
 * const r = decodeSignedTx(raw, { chainId: 1337n });
 * if (r.ok) console.log(r.tx.from, r.tx.nonce);
 */
export function decodeSignedTx(raw: Uint8Array, limits: TxLimits): DecodeTxResult {
  const p = prepareSignedTx(raw, limits);
  if (!p.ok) return p;
  return finishSignedTx(p, recoverAddress(p.signingHash, p.signature, p.recoveryId));
}

/** Bytes as 0x-hex (Node's native encoder). */
function hexOf(b: Uint8Array): `0x${string}` {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`;
}

function firstLine(err: unknown): string {
  const msg =
    err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
  return msg.split('\n')[0]!;
}
