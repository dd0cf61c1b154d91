// Hand-written encodings for the driver's hot path (thousands per interval), each tested byte for byte
// against viem's general encoders (encode.test.ts): the placeOrder call data, and the EIP-712 digest of a
// meter reading with the domain separator computed once per chain.
import { readingDomain } from '@gridledger/energy';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, type Hex, hexToBytes, toFunctionSelector } from 'viem';

const PLACE_ORDER = toFunctionSelector('placeOrder(uint64,uint256,uint8,(uint64,uint64)[])').slice(2);
const SUBMIT_READINGS = toFunctionSelector('submitReadings((uint256,uint64,uint64,uint64)[],bytes[])').slice(
  2,
);
const word = (v: bigint | number) => BigInt(v).toString(16).padStart(64, '0');

/** Call data of `placeOrder(interval, bus, side, steps)` (the market's ABI). */
export function encodePlaceOrder(
  interval: bigint,
  bus: number,
  side: 0 | 1,
  steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[],
): Hex {
  let s = `0x${PLACE_ORDER}${word(interval)}${word(bus)}${word(side)}${word(0x80)}${word(steps.length)}`;
  for (const x of steps) s += word(x.energyWh) + word(x.priceMicrosPerMWh);
  return s as Hex;
}

const utf8 = (t: string) => new TextEncoder().encode(t);
const READING_TYPEHASH = keccak_256(
  utf8('Reading(uint256 meter,uint64 interval,uint64 importedWh,uint64 exportedWh)'),
);
const DOMAIN_TYPEHASH = keccak_256(
  utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
);
const domains = new Map<bigint, Uint8Array>();

/** The EIP-712 digest a meter signs for a reading (equal to energy's `readingDigest`). */
export function readingDigestBytes(
  chainId: bigint,
  r: { meter: bigint; interval: bigint; importedWh: bigint; exportedWh: bigint },
): Uint8Array {
  let dom = domains.get(chainId);
  if (dom === undefined) {
    const d = readingDomain(chainId);
    dom = keccak_256(
      hexToBytes(
        `0x${bytesToHex(DOMAIN_TYPEHASH).slice(2)}${bytesToHex(keccak_256(utf8(d.name))).slice(2)}${bytesToHex(keccak_256(utf8(d.version))).slice(2)}${word(d.chainId)}${word(BigInt(d.verifyingContract))}`,
      ),
    );
    domains.set(chainId, dom);
  }
  const struct = new Uint8Array(160);
  struct.set(READING_TYPEHASH, 0);
  struct.set(
    hexToBytes(`0x${word(r.meter)}${word(r.interval)}${word(r.importedWh)}${word(r.exportedWh)}`),
    32,
  );
  const msg = new Uint8Array(66);
  msg[0] = 0x19;
  msg[1] = 0x01;
  msg.set(dom, 2);
  msg.set(keccak_256(struct), 34);
  return keccak_256(msg);
}

/** {@link readingDigestBytes} as hex. */
export const readingDigestHex = (chainId: bigint, r: Parameters<typeof readingDigestBytes>[1]): Hex =>
  bytesToHex(readingDigestBytes(chainId, r));

/** Call data of `submitReadings(readings, signatures)` (the meters' ABI; 65-byte signatures). */
export function encodeSubmitReadings(
  readings: readonly { meter: bigint; interval: bigint; importedWh: bigint; exportedWh: bigint }[],
  signatures: readonly Hex[],
): Hex {
  const n = readings.length;
  const parts: string[] = [`0x${SUBMIT_READINGS}`, word(0x40), word(0x40 + 32 + n * 128), word(n)];
  for (const r of readings)
    parts.push(word(r.meter), word(r.interval), word(r.importedWh), word(r.exportedWh));
  parts.push(word(n));
  let offset = n * 32;
  const tails: string[] = [];
  for (const sig of signatures) {
    const bytes = (sig.length - 2) / 2;
    const padded = Math.ceil(bytes / 32) * 32;
    parts.push(word(offset));
    tails.push(word(bytes), sig.slice(2).padEnd(padded * 2, '0'));
    offset += 32 + padded;
  }
  return (parts.join('') + tails.join('')) as Hex;
}
