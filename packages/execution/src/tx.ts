// Ethereum transactions as the chain accepts them: EIP-1559 (type 2) and legacy with EIP-155 replay
// protection. The bytes are decoded with viem's RLP decoder (canonical encodings only) and the fields
// checked here, on bytes: the signing hash is taken over the transaction's own encoded fields (their
// bytes sliced out of the raw transaction, no re-serialisation), which matches viem's
// parseTransaction + serializeTransaction path (differential test in tx-differential.test.ts) at a fraction of its
// cost, the largest per-transaction cost of admission on every validator. Owns the stateless checks
// (size, type, chain id, value, gas limit, signature and sender recovery); nonce and registration are
// state checks made by the application.
// Gas is priced at zero: any fee fields are accepted and nothing is charged, but the gas limit binds.
import { GridledgerError, rlpEncodeInt } from '@gridledger/base';
import { keccak256 } from '@gridledger/crypto';
import { fromRlp } from 'viem';
import { encodeValue32 } from './commitment.ts';
import { intrinsicGas } from './gas.ts';
import { recoverAddress } from './recover.ts';

/** secp256k1 group order / 2: signatures with a larger s are malleable and rejected (EIP-2). */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
/** secp256k1 group order: r must be below it. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

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
  let items: Rlp[];
  try {
    const decoded = fromRlp(first === 0x02 ? raw.subarray(1) : raw, 'bytes') as Rlp;
    if (!Array.isArray(decoded)) throw new Malformed('expected an RLP list');
    items = decoded;
  } catch (err) {
    return reject('malformed', `malformed transaction: ${firstLine(err)}`);
  }
  try {
    return first === 0x02 ? prepare1559(raw, items, limits) : prepareLegacy(raw, items, limits);
  } catch (err) {
    if (err instanceof Malformed) return reject('malformed', `malformed transaction: ${err.message}`);
    throw err;
  }
}

/** RLP as viem decodes it to bytes: a byte string or a list. */
type Rlp = Uint8Array | Rlp[];

/** A field that breaks the encoding rules (code `E_MALFORMED_TX`; prepareSignedTx reports it as `malformed`). */
class Malformed extends GridledgerError {
  constructor(message: string) {
    super('E_MALFORMED_TX', message);
    this.name = 'Malformed';
  }
}

function bytesField(item: Rlp | undefined, what: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new Malformed(`${what}: expected a byte string`);
  return item;
}

/** An RLP integer: a byte string of at most `maxBytes` bytes with no leading zero byte. */
function intField(item: Rlp | undefined, what: string, maxBytes = 32): bigint {
  const b = bytesField(item, what);
  if (b.length > maxBytes) throw new Malformed(`${what}: more than ${maxBytes} bytes`);
  if (b.length > 0 && b[0] === 0) throw new Malformed(`${what}: non-canonical integer (leading zero byte)`);
  if (b.length <= 6) {
    let n = 0;
    for (const x of b) n = n * 256 + x;
    return BigInt(n);
  }
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`);
}

/** The recipient: 20 bytes, or empty (contract creation, rejected by the caller). */
function toField(item: Rlp | undefined): Uint8Array {
  const b = bytesField(item, 'to');
  if (b.length !== 0 && b.length !== 20) throw new Malformed(`to: expected 20 bytes, got ${b.length}`);
  return b;
}

/** An EIP-2930 access list: [[address (20 bytes), [storage key (32 bytes), ...]], ...]. */
function checkAccessList(item: Rlp | undefined): void {
  if (!Array.isArray(item)) throw new Malformed('accessList: expected a list');
  for (const entry of item) {
    if (!Array.isArray(entry) || entry.length !== 2)
      throw new Malformed('accessList: expected [address, keys]');
    if (bytesField(entry[0], 'accessList address').length !== 20)
      throw new Malformed('accessList: address must be 20 bytes');
    const keys = entry[1];
    if (!Array.isArray(keys)) throw new Malformed('accessList: storage keys must be a list');
    for (const k of keys)
      if (bytesField(k, 'accessList storage key').length !== 32)
        throw new Malformed('accessList: storage keys must be 32 bytes');
  }
}

/** Length of the RLP encoding of a byte string (viem's decoder accepts only canonical encodings). */
function encodedLength(b: Uint8Array): number {
  if (b.length === 1 && b[0]! < 0x80) return 1;
  if (b.length <= 55) return 1 + b.length;
  return 1 + byteCount(b.length) + b.length;
}

function byteCount(n: number): number {
  let k = 0;
  for (let m = n; m > 0; m = Math.floor(m / 256)) k++;
  return k;
}

/** The RLP header of a list whose items take `length` bytes. */
function listHeader(length: number): Uint8Array {
  if (length <= 55) return Uint8Array.of(0xc0 + length);
  const k = byteCount(length);
  const out = new Uint8Array(1 + k);
  out[0] = 0xf7 + k;
  for (let i = k, m = length; i >= 1; i--, m = Math.floor(m / 256)) out[i] = m % 256;
  return out;
}

/**
 * keccak256 of the signing payload: `prefix || rlp([...the signed fields])`. The signed fields are the
 * list's items before the signature, whose encodings sit contiguously in `list` (the encoded list);
 * `tail` (encoded) follows them; the signature's three items (`sig`, encoded at the end) are left out.
 */
function signingHashOf(
  prefix: Uint8Array,
  list: Uint8Array,
  sig: Uint8Array[],
  tail: Uint8Array,
): Uint8Array {
  const header = list[0]! <= 0xf7 ? 1 : 1 + (list[0]! - 0xf7);
  const end = list.length - sig.reduce((n, b) => n + encodedLength(b), 0);
  const body = list.subarray(header, end);
  const h = listHeader(body.length + tail.length);
  const out = new Uint8Array(prefix.length + h.length + body.length + tail.length);
  out.set(prefix, 0);
  out.set(h, prefix.length);
  out.set(body, prefix.length + h.length);
  out.set(tail, prefix.length + h.length + body.length);
  return keccak256(out);
}

/** EIP-1559: 0x02 || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data, accessList, yParity, r, s]). */
function prepare1559(raw: Uint8Array, items: Rlp[], limits: TxLimits): PreparedTx | TxRejection {
  if (items.length !== 12)
    throw new Malformed(`an EIP-1559 transaction has 12 fields with its signature, got ${items.length}`);
  const chainId = intField(items[0], 'chainId');
  const nonce = intField(items[1], 'nonce', 8);
  const maxPriorityFeePerGas = intField(items[2], 'maxPriorityFeePerGas');
  const maxFeePerGas = intField(items[3], 'maxFeePerGas');
  const gasLimit = intField(items[4], 'gas', 8);
  const to = toField(items[5]);
  const value = intField(items[6], 'value');
  const data = bytesField(items[7], 'data');
  checkAccessList(items[8]);
  const yParity = intField(items[9], 'yParity', 1);
  if (yParity > 1n) throw new Malformed(`yParity must be 0 or 1, got ${yParity}`);
  if (maxPriorityFeePerGas > maxFeePerGas)
    throw new Malformed(
      `maxPriorityFeePerGas (${maxPriorityFeePerGas}) cannot be higher than maxFeePerGas (${maxFeePerGas})`,
    );
  const sig = [items[9] as Uint8Array, bytesField(items[10], 'r'), bytesField(items[11], 's')];
  return finishPrepare(raw, limits, {
    type: 'eip1559',
    chainId,
    nonce,
    gasLimit,
    gasPrice: undefined,
    maxFeePerGas,
    maxPriorityFeePerGas,
    to,
    value,
    data,
    r: intField(items[10], 'r'),
    s: intField(items[11], 's'),
    v: yParity,
    recoveryId: Number(yParity),
    signingHash: () => signingHashOf(Uint8Array.of(0x02), raw.subarray(1), sig, new Uint8Array()),
  });
}

/** Legacy with EIP-155: rlp([nonce, gasPrice, gas, to, value, data, v, r, s]), v = chainId * 2 + 35 + parity. */
function prepareLegacy(raw: Uint8Array, items: Rlp[], limits: TxLimits): PreparedTx | TxRejection {
  if (items.length !== 9)
    throw new Malformed(`a legacy transaction has 9 fields with its signature, got ${items.length}`);
  const nonce = intField(items[0], 'nonce', 8);
  const gasPrice = intField(items[1], 'gasPrice');
  const gasLimit = intField(items[2], 'gas', 8);
  const to = toField(items[3]);
  const value = intField(items[4], 'value');
  const data = bytesField(items[5], 'data');
  const v = intField(items[6], 'v');
  if (v < 35n)
    return reject('no-replay-protection', 'only replay-protected (EIP-155) transactions allowed over RPC');
  const chainId = (v - 35n) / 2n;
  const sig = [items[6] as Uint8Array, bytesField(items[7], 'r'), bytesField(items[8], 's')];
  const tail = new Uint8Array([...rlpEncodeInt(chainId), 0x80, 0x80]);
  return finishPrepare(raw, limits, {
    type: 'legacy',
    chainId,
    nonce,
    gasLimit,
    gasPrice,
    maxFeePerGas: undefined,
    maxPriorityFeePerGas: undefined,
    to,
    value,
    data,
    r: intField(items[7], 'r'),
    s: intField(items[8], 's'),
    v,
    recoveryId: Number((v - 35n) % 2n),
    signingHash: () => signingHashOf(new Uint8Array(), raw, sig, tail),
  });
}

/** The checks common to both types, in the order Ethereum clients report them, then the result. */
function finishPrepare(
  raw: Uint8Array,
  limits: TxLimits,
  f: Omit<SignedTx, 'raw' | 'hash' | 'from' | 'to'> & {
    to: Uint8Array;
    recoveryId: number;
    signingHash: () => Uint8Array;
  },
): PreparedTx | TxRejection {
  const maxGas = limits.maxTxGas ?? DEFAULT_MAX_TX_GAS;
  if (f.chainId !== limits.chainId) {
    return reject('invalid-chain-id', `invalid chain id: got ${f.chainId}, this chain is ${limits.chainId}`);
  }
  if (f.to.length === 0) {
    return reject('contract-creation', 'contract creation not supported: transaction has no recipient');
  }
  if (f.value !== 0n) {
    return reject(
      'value-transfer',
      `value transfer not supported: the chain has no native coin (value ${f.value})`,
    );
  }
  const intrinsic = intrinsicGas(f.data);
  if (f.gasLimit < intrinsic)
    return reject('intrinsic-gas', `intrinsic gas too low: have ${f.gasLimit}, want ${intrinsic}`);
  if (f.gasLimit > maxGas)
    return reject('gas-limit', `exceeds block gas limit: gas ${f.gasLimit}, limit ${maxGas}`);
  if (f.r === 0n || f.s === 0n || f.s > HALF_N || f.r >= SECP256K1_N) {
    return reject(
      'invalid-signature',
      'invalid signature: r and s must be non-zero and s in the lower half (EIP-2)',
    );
  }
  const signature = new Uint8Array(64);
  signature.set(encodeValue32(f.r), 0);
  signature.set(encodeValue32(f.s), 32);
  const { recoveryId, signingHash, to, ...fields } = f;
  return {
    ok: true,
    signingHash: signingHash(),
    signature,
    recoveryId,
    tx: { ...fields, raw, hash: hexOf(keccak256(raw)), to: hexOf(to) },
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
