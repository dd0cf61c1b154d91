// A fast path of the Solidity ABI codec for the common case of static parameters only (uintN, intN,
// address, bool): one 32-byte word each, no offsets. Modules call and log through it thousands of times
// per block (an ERC-20 transfer decodes an address and a uint256, encodes a bool and a Transfer log).
// It handles only values and words it can encode or decode exactly as viem does and returns undefined
// otherwise, so the caller falls back to viem (which then also produces viem's errors). The test checks
// both codecs agree on random values.
import type { AbiParameter, Hex } from 'viem';

type Kind = { t: 'uint'; bits: number } | { t: 'int'; bits: number } | { t: 'address' } | { t: 'bool' };

const kinds = new Map<string, Kind | null>();

function kindOf(type: string): Kind | null {
  const hit = kinds.get(type);
  if (hit !== undefined) return hit;
  let k: Kind | null = null;
  const m = /^(u?)int(\d*)$/.exec(type);
  if (m !== null) {
    const bits = m[2] === '' ? 256 : Number(m[2]);
    if (bits >= 8 && bits <= 256 && bits % 8 === 0) k = { t: m[1] === 'u' ? 'uint' : 'int', bits };
  } else if (type === 'address') k = { t: 'address' };
  else if (type === 'bool') k = { t: 'bool' };
  kinds.set(type, k);
  return k;
}

const ZERO64 = '0'.repeat(64);
const ONE = `${'0'.repeat(63)}1`;
const TWO_256 = 1n << 256n;
const LOWER_ADDRESS = /^0x[0-9a-f]{40}$/;

/** One parameter's 32-byte word as 64 hex digits, or undefined when the fast path does not apply. */
function encodeWord(kind: Kind, v: unknown): string | undefined {
  switch (kind.t) {
    case 'uint': {
      const x =
        typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (x === undefined || x < 0n || x >= 1n << BigInt(kind.bits)) return undefined;
      return x.toString(16).padStart(64, '0');
    }
    case 'int': {
      const x =
        typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined;
      const half = 1n << BigInt(kind.bits - 1);
      if (x === undefined || x < -half || x >= half) return undefined;
      return (x < 0n ? TWO_256 + x : x).toString(16).padStart(64, '0');
    }
    case 'address':
      // Mixed-case addresses carry a checksum viem checks: leave them to viem.
      return typeof v === 'string' && LOWER_ADDRESS.test(v) ? `${'0'.repeat(24)}${v.slice(2)}` : undefined;
    case 'bool':
      return v === true ? ONE : v === false ? ZERO64 : undefined;
  }
}

/**
 * `encodeAbiParameters(params, values)` for static parameters, or undefined (use viem).
 * @example encodeStaticParameters([{ type: 'bool' }], [true]) // '0x00…01'
 */
export function encodeStaticParameters(
  params: readonly AbiParameter[],
  values: readonly unknown[],
): Hex | undefined {
  if (params.length !== values.length) return undefined;
  let out = '0x';
  for (let i = 0; i < params.length; i++) {
    const kind = kindOf(params[i]!.type);
    if (kind === null) return undefined;
    const w = encodeWord(kind, values[i]);
    if (w === undefined) return undefined;
    out += w;
  }
  return out as Hex;
}

/** One indexed event parameter's topic for a static type, or undefined (use viem). */
export function encodeStaticTopic(param: AbiParameter, value: unknown): Hex | undefined {
  const kind = kindOf(param.type);
  if (kind === null) return undefined;
  const w = encodeWord(kind, value);
  return w === undefined ? undefined : (`0x${w}` as Hex);
}

/**
 * `decodeAbiParameters(params, data)` for static parameters whose words are cleanly encoded (unused
 * high bits zero or sign-extended, bool 0 or 1), with addresses in lower case; undefined otherwise
 * (use viem). `data` must be exactly one word per parameter.
 */
export function decodeStaticParameters(
  params: readonly AbiParameter[],
  data: Uint8Array,
): unknown[] | undefined {
  if (data.length !== 32 * params.length) return undefined;
  const hex = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
  const out: unknown[] = new Array(params.length);
  for (let i = 0; i < params.length; i++) {
    const kind = kindOf(params[i]!.type);
    if (kind === null) return undefined;
    const w = hex.slice(64 * i, 64 * i + 64);
    switch (kind.t) {
      case 'uint': {
        const x = BigInt(`0x${w}`);
        if (x >= 1n << BigInt(kind.bits)) return undefined;
        // viem decodes uint8..uint48 as numbers.
        out[i] = kind.bits <= 48 ? Number(x) : x;
        break;
      }
      case 'int': {
        const u = BigInt(`0x${w}`);
        const x = u >= 1n << 255n ? u - TWO_256 : u;
        const half = 1n << BigInt(kind.bits - 1);
        if (x < -half || x >= half) return undefined;
        out[i] = kind.bits <= 48 ? Number(x) : x;
        break;
      }
      case 'address':
        if (!w.startsWith('000000000000000000000000')) return undefined;
        out[i] = `0x${w.slice(24)}`;
        break;
      case 'bool':
        if (w === ONE) out[i] = true;
        else if (w === ZERO64) out[i] = false;
        else return undefined;
        break;
    }
  }
  return out;
}
