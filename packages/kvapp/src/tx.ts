// The key-value application's transaction format, `key=value` as raw bytes:
//   key   1..64 bytes from [A-Za-z0-9._:/-] (so it never contains '=')
//   '='   one byte 0x3d, the first '=' in the transaction
//   value 0..1024 bytes, any bytes; an empty value deletes the key
// A whole transaction is at most MAX_KV_TX_BYTES. Decoding is total: every byte string is either a
// transaction or a reason why not.

/** Longest key (bytes). */
export const MAX_KV_KEY_BYTES = 64;
/** Longest value (bytes). */
export const MAX_KV_VALUE_BYTES = 1024;
/** Longest transaction (bytes): key, '=' and value. */
export const MAX_KV_TX_BYTES = MAX_KV_KEY_BYTES + 1 + MAX_KV_VALUE_BYTES;

const EQ = 0x3d;

/** A decoded key-value transaction: set `key` to `value`, or delete it when `value` is empty. */
export interface KvTx {
  key: Uint8Array;
  value: Uint8Array;
}

/** The result of {@link decodeKvTx}: the transaction, or why the bytes are not one. */
export type DecodeKvTxResult = { ok: true; tx: KvTx } | { ok: false; reason: string };

function isKeyByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) || // 0-9
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    b === 0x2e || // .
    b === 0x5f || // _
    b === 0x3a || // :
    b === 0x2f || // /
    b === 0x2d // -
  );
}

/**
 * Decodes `key=value` bytes.
 * @example decodeKvTx(utf8('color=blue')) // { ok: true, tx: { key: utf8('color'), value: utf8('blue') } }
 */
export function decodeKvTx(bytes: Uint8Array): DecodeKvTxResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'transaction must be bytes' };
  if (bytes.length > MAX_KV_TX_BYTES) {
    return { ok: false, reason: `transaction too large: ${bytes.length} bytes, limit ${MAX_KV_TX_BYTES}` };
  }
  const eq = bytes.indexOf(EQ);
  if (eq < 0) return { ok: false, reason: "malformed transaction: expected key=value, found no '='" };
  if (eq === 0) return { ok: false, reason: 'malformed transaction: empty key' };
  if (eq > MAX_KV_KEY_BYTES) {
    return { ok: false, reason: `malformed transaction: key of ${eq} bytes, limit ${MAX_KV_KEY_BYTES}` };
  }
  for (let i = 0; i < eq; i++) {
    if (!isKeyByte(bytes[i]!)) {
      return {
        ok: false,
        reason: `malformed transaction: key byte ${i} is 0x${bytes[i]!.toString(16).padStart(2, '0')}, allowed are A-Z a-z 0-9 . _ : / -`,
      };
    }
  }
  const valueLength = bytes.length - eq - 1;
  if (valueLength > MAX_KV_VALUE_BYTES) {
    return {
      ok: false,
      reason: `malformed transaction: value of ${valueLength} bytes, limit ${MAX_KV_VALUE_BYTES}`,
    };
  }
  return { ok: true, tx: { key: bytes.slice(0, eq), value: bytes.slice(eq + 1) } };
}

/** Encodes a transaction; throws RangeError when it would not decode (bad key, too long). */
export function encodeKvTx(tx: KvTx): Uint8Array {
  const out = new Uint8Array(tx.key.length + 1 + tx.value.length);
  out.set(tx.key, 0);
  out[tx.key.length] = EQ;
  out.set(tx.value, tx.key.length + 1);
  const check = decodeKvTx(out);
  if (!check.ok || check.tx.key.length !== tx.key.length) {
    throw new RangeError(`encodeKvTx: ${check.ok ? "key contains '='" : check.reason}`);
  }
  return out;
}
