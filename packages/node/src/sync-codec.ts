// The payload of a block-sync response: one committed block and its commit certificate, both in their
// consensus encodings, as `u32 big-endian block length || block || certificate`.
import { GridledgerError } from '@gridledger/base';

/** Encodes a block and its certificate for a block-response message. */
export function encodeSyncBlock(block: Uint8Array, cert: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + block.length + cert.length);
  new DataView(out.buffer).setUint32(0, block.length, false);
  out.set(block, 4);
  out.set(cert, 4 + block.length);
  return out;
}

/** Splits a block-response payload; throws a {@link GridledgerError} (E_SYNC) when it is malformed. */
export function decodeSyncBlock(data: Uint8Array): { block: Uint8Array; cert: Uint8Array } {
  if (data.length < 4)
    throw new GridledgerError('E_SYNC', `block-response payload of ${data.length} bytes is too short`);
  const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, false);
  if (4 + n > data.length)
    throw new GridledgerError('E_SYNC', `block-response declares a ${n}-byte block in ${data.length} bytes`);
  return { block: data.subarray(4, 4 + n), cert: data.subarray(4 + n) };
}
