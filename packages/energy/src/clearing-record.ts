// The clearing record of an interval: the engine's result and its optimality certificate as JSON texts,
// emitted once as the ClearingRecorded log of the clearing block, with the keccak256 of each text in
// state (`marketKeys.interval(k).resultHash` / `.certificateHash`, and the block height in
// `.clearedAtHeight`). The state root thus commits to both texts while the commitment hashes two words
// instead of one word per 32 bytes of JSON (about 30,000 words for 10^4 orders on case118). Anyone can
// fetch the log (eth_getLogs: the market's address, topic ClearingRecorded, topic interval), check its
// texts against the hashes in state (gl_getProof proves those) and re-run verifyCertificate.
import { GridledgerError } from '@gridledger/base';
import type { Certificate } from '@gridledger/market';
import { decodeEventLog, type Hex, keccak256, stringToBytes } from 'viem';
import { decodeCertificateJson } from './certificate-json.ts';
import { MARKET_ABI, MARKET_EVENTS } from './market.ts';
import { marketKeys } from './market-keys.ts';
import type { StateReader } from './words.ts';

/** The ClearingRecorded event's fields. */
export interface ClearingRecordFields {
  resultHash: Hex;
  certificateHash: Hex;
  /** The result as JSON text. */
  result: string;
  /** The certificate as JSON text (certificate-json.ts). */
  certificate: string;
}

/** The event fields of a clearing's result and certificate (JSON values). */
export function encodeClearingRecord(result: unknown, certificate: unknown): ClearingRecordFields {
  const r = JSON.stringify(result);
  const c = JSON.stringify(certificate);
  return {
    resultHash: keccak256(stringToBytes(r)),
    certificateHash: keccak256(stringToBytes(c)),
    result: r,
    certificate: c,
  };
}

/** A clearing record read back from the chain and checked against the hashes in state. */
export interface ClearingRecord {
  interval: bigint;
  /** The engine's result as stored (welfare, buses, branches, orders with floats). */
  result: unknown;
  certificate: Certificate;
  resultHash: Hex;
  certificateHash: Hex;
}

/** A clearing record's texts, checked against the hashes in state. */
export interface ClearingRecordTexts {
  result: string;
  certificate: string;
  resultHash: Hex;
  certificateHash: Hex;
}

/**
 * Finds interval `k`'s ClearingRecorded log among `logs` and checks both texts against the hashes in
 * `state` (whatever the pricing model). Undefined when there is no such log.
 * @throws GridledgerError (E_CLEARING_RECORD) when a text does not match its hash.
 */
export function findClearingRecordTexts(
  logs: readonly { topics: readonly Hex[]; data: Hex }[],
  state: StateReader,
  k: bigint,
): ClearingRecordTexts | undefined {
  for (const log of logs) {
    if (log.topics[0] !== MARKET_EVENTS.clearingRecorded.topic0) continue;
    const ev = decodeEventLog({
      abi: MARKET_ABI,
      eventName: 'ClearingRecorded',
      topics: log.topics as [Hex, ...Hex[]],
      data: log.data,
    });
    if (ev.args.interval !== k) continue;
    const iv = marketKeys.interval(k);
    const check = (text: string, field: Hex, key: string, what: string) => {
      const h = keccak256(stringToBytes(text));
      if (h !== field || BigInt(h) !== state.get(key)) {
        throw new GridledgerError(
          'E_CLEARING_RECORD',
          `clearing record of interval ${k}: the ${what} text does not match its hash in state`,
        );
      }
    };
    check(ev.args.result, ev.args.resultHash, iv.resultHash, 'result');
    check(ev.args.certificate, ev.args.certificateHash, iv.certificateHash, 'certificate');
    return {
      result: ev.args.result,
      certificate: ev.args.certificate,
      resultHash: ev.args.resultHash,
      certificateHash: ev.args.certificateHash,
    };
  }
  return undefined;
}

/**
 * Finds interval `k`'s ClearingRecorded log of a DC-priced market among `logs` (for example the logs of
 * the block at `marketKeys.interval(k).clearedAtHeight`), decodes it, and checks both texts against the
 * hashes in `state`. Returns undefined when there is no such log; throws when a text does not match its
 * hash, or when the record is an AC clearing's (read those with clearing-ac.ts findAcClearingRecord).
 * @example const rec = findClearingRecord(block.logs, state, 10n); verifyCertificate(rec!.certificate)
 */
export function findClearingRecord(
  logs: readonly { topics: readonly Hex[]; data: Hex }[],
  state: StateReader,
  k: bigint,
): ClearingRecord | undefined {
  const t = findClearingRecordTexts(logs, state, k);
  if (t === undefined) return undefined;
  const cert = JSON.parse(t.certificate) as { format?: string };
  if (cert.format === 'gridledger-ac-v1') {
    throw new GridledgerError(
      'E_CLEARING_RECORD',
      `clearing record of interval ${k} is an AC clearing's: read it with findAcClearingRecord`,
    );
  }
  return {
    interval: k,
    result: JSON.parse(t.result),
    certificate: decodeCertificateJson(cert),
    resultHash: t.resultHash,
    certificateHash: t.certificateHash,
  };
}
