// The record of an energy promise, packed into four uint256 attribute words of the ERC-721 token
// (`<promises>:attr:<id>:p0..p3`) instead of one word per field: a clearing block mints thousands of
// promises, and every state word is a leaf the state commitment hashes. Layout (bit 0 = least significant):
//   p0 = interval (64) << 192 | sellerBus (32) << 160 | seller address (160)
//   p1 = energyWh (64) << 192 | buyerBus (32) << 160 | buyer address (160)
//   p2 = sellerOrder (128) << 128 | buyerOrder (128)
//   p3 = sellerPrice (int128, two's complement) << 128 | buyerPrice (int128)
// Packing checks every field fits (a clearing whose promise would not fit fails with the reason).
import {
  type Address,
  addressToValue,
  PROMISES_ADDRESS,
  revertReason,
  valueToAddress,
} from '@gridledger/execution';
import type { StateReader } from './words.ts';

/** A promise's attributes, as the `promiseOf` view returns them (prices signed, cash units per MWh). */
export interface PromiseRecord {
  interval: bigint;
  seller: Address;
  buyer: Address;
  sellerOrder: bigint;
  buyerOrder: bigint;
  sellerBus: bigint;
  buyerBus: bigint;
  energyWh: bigint;
  sellerPrice: bigint;
  buyerPrice: bigint;
}

/** Names of the four attribute words on the ERC-721 module. */
export const PROMISE_RECORD_WORDS = ['p0', 'p1', 'p2', 'p3'] as const;

const mask = (bits: number) => (1n << BigInt(bits)) - 1n;
const M32 = mask(32);
const M64 = mask(64);
const M128 = mask(128);
const M160 = mask(160);
const I128_MIN = -(1n << 127n);
const I128_MAX = (1n << 127n) - 1n;

function fit(name: string, v: bigint, bits: number): bigint {
  if (v < 0n || v > mask(bits)) throw revertReason(`promise ${name} ${v} does not fit in ${bits} bits`);
  return v;
}

function fitSigned(name: string, v: bigint): bigint {
  if (v < I128_MIN || v > I128_MAX) throw revertReason(`promise ${name} ${v} does not fit in int128`);
  return v & M128;
}

const signed128 = (v: bigint) => (v >= 1n << 127n ? v - (1n << 128n) : v);

/**
 * The four attribute words of a promise record.
 * @example nft.mintInternal(ctx, buyer, id, encodePromiseRecord(record))
 */
export function encodePromiseRecord(r: PromiseRecord): Record<(typeof PROMISE_RECORD_WORDS)[number], bigint> {
  return {
    p0:
      (fit('interval', r.interval, 64) << 192n) |
      (fit('sellerBus', r.sellerBus, 32) << 160n) |
      addressToValue(r.seller),
    p1:
      (fit('energyWh', r.energyWh, 64) << 192n) |
      (fit('buyerBus', r.buyerBus, 32) << 160n) |
      addressToValue(r.buyer),
    p2: (fit('sellerOrder', r.sellerOrder, 128) << 128n) | fit('buyerOrder', r.buyerOrder, 128),
    p3: (fitSigned('sellerPrice', r.sellerPrice) << 128n) | fitSigned('buyerPrice', r.buyerPrice),
  };
}

/** The record from its four words (all zero: no such promise was ever minted). */
export function decodePromiseRecord(w: readonly [bigint, bigint, bigint, bigint]): PromiseRecord {
  const [p0, p1, p2, p3] = w;
  return {
    interval: (p0 >> 192n) & M64,
    sellerBus: (p0 >> 160n) & M32,
    seller: valueToAddress(p0 & M160),
    energyWh: (p1 >> 192n) & M64,
    buyerBus: (p1 >> 160n) & M32,
    buyer: valueToAddress(p1 & M160),
    sellerOrder: (p2 >> 128n) & M128,
    buyerOrder: p2 & M128,
    sellerPrice: signed128((p3 >> 128n) & M128),
    buyerPrice: signed128(p3 & M128),
  };
}

/** State key of one attribute word of promise `id`. */
export const promiseWordKey = (id: bigint, word: (typeof PROMISE_RECORD_WORDS)[number]) =>
  `${PROMISES_ADDRESS}:attr:${id}:${word}`;

/** Reads promise `id`'s record, unmetered (undefined when it was never minted). */
export function readPromiseRecord(s: StateReader, id: bigint): PromiseRecord | undefined {
  const w = PROMISE_RECORD_WORDS.map((n) => s.get(promiseWordKey(id, n))) as [bigint, bigint, bigint, bigint];
  if (w[0] === 0n && w[1] === 0n) return undefined;
  return decodePromiseRecord(w);
}

/** Energy (Wh) of promise `id` alone (one word read). */
export const promiseEnergyWh = (s: StateReader, id: bigint) =>
  (s.get(promiseWordKey(id, 'p1')) >> 192n) & M64;

/** Seller order of promise `id` alone (0 for the upstream connection). */
export const promiseSellerOrder = (s: StateReader, id: bigint) =>
  (s.get(promiseWordKey(id, 'p2')) >> 128n) & M128;
