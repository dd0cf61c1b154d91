// Canonical bytes of the consensus write-ahead state (WalState): what a validator persists before it
// sends anything newly signed, and reloads after a crash (see machine.ts).
import { type RlpItem, rlpDecode, rlpEncode } from '@gridledger/base';
import { CodecError, decodeBlock, encodeBlock } from './codec.ts';
import type { SignState } from './guard.ts';
import type { WalState } from './machine.ts';

type Item = RlpItem;

function u(v: bigint | number): Uint8Array {
  let x = BigInt(v);
  if (x < 0n) throw new CodecError(`encodeWalState: negative integer ${v}`);
  const out: number[] = [];
  while (x > 0n) {
    out.unshift(Number(x & 0xffn));
    x >>= 8n;
  }
  return new Uint8Array(out);
}

function d(item: Item | undefined, where: string): bigint {
  if (!(item instanceof Uint8Array)) throw new CodecError(`decodeWalState.${where}: expected an integer`);
  if (item.length > 8 || (item.length > 0 && item[0] === 0))
    throw new CodecError(`decodeWalState.${where}: non-canonical integer`);
  let v = 0n;
  for (const b of item) v = (v << 8n) | BigInt(b);
  return v;
}

function bytes(item: Item | undefined, where: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new CodecError(`decodeWalState.${where}: expected bytes`);
  return item.slice();
}

/** Encodes a WalState: [height, round, lockedRound+1, lockedBlock, validRound+1, validBlock, signState]. */
export function encodeWalState(w: WalState): Uint8Array {
  const s = w.signState;
  return rlpEncode([
    u(w.height),
    u(w.round),
    u(w.lockedRound + 1),
    w.lockedBlock === null ? new Uint8Array(0) : encodeBlock(w.lockedBlock),
    u(w.validRound + 1),
    w.validBlock === null ? new Uint8Array(0) : encodeBlock(w.validBlock),
    s === null ? [] : [u(s.height), u(s.round), u(s.step), s.signBytes, s.signature],
  ]);
}

/** Decodes a WalState; throws CodecError on malformed bytes. */
export function decodeWalState(b: Uint8Array): WalState {
  let it: Item;
  try {
    it = rlpDecode(b);
  } catch (e) {
    throw new CodecError(`decodeWalState: malformed RLP (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(it) || it.length !== 7)
    throw new CodecError('decodeWalState: expected a list of 7 fields');
  const lb = bytes(it[3], 'lockedBlock');
  const vb = bytes(it[5], 'validBlock');
  const ss = it[6];
  if (!Array.isArray(ss) || (ss.length !== 0 && ss.length !== 5))
    throw new CodecError('decodeWalState.signState: expected an empty list or 5 fields');
  const signState: SignState | null =
    ss.length === 0
      ? null
      : {
          height: d(ss[0], 'signState.height'),
          round: Number(d(ss[1], 'signState.round')),
          step: Number(d(ss[2], 'signState.step')),
          signBytes: bytes(ss[3], 'signState.signBytes'),
          signature: bytes(ss[4], 'signState.signature'),
        };
  return {
    height: d(it[0], 'height'),
    round: Number(d(it[1], 'round')),
    lockedRound: Number(d(it[2], 'lockedRound')) - 1,
    lockedBlock: lb.length === 0 ? null : decodeBlock(lb),
    validRound: Number(d(it[4], 'validRound')) - 1,
    validBlock: vb.length === 0 ? null : decodeBlock(vb),
    signState,
  };
}

/** Encodes a sign guard's state alone (for stores that keep it apart from the WAL). */
export function encodeSignState(s: SignState): Uint8Array {
  return rlpEncode([u(s.height), u(s.round), u(s.step), s.signBytes, s.signature]);
}

/** Decodes a sign guard's state; throws CodecError on malformed bytes. */
export function decodeSignState(b: Uint8Array): SignState {
  let it: Item;
  try {
    it = rlpDecode(b);
  } catch (e) {
    throw new CodecError(`decodeSignState: malformed RLP (${(e as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(it) || it.length !== 5)
    throw new CodecError('decodeSignState: expected a list of 5 fields');
  return {
    height: d(it[0], 'height'),
    round: Number(d(it[1], 'round')),
    step: Number(d(it[2], 'step')),
    signBytes: bytes(it[3], 'signBytes'),
    signature: bytes(it[4], 'signature'),
  };
}
