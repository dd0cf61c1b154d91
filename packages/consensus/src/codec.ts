// Canonical binary encoding of the consensus types (RLP, @gridledger/base's rlp.ts: lists of byte strings,
// integers big-endian with no leading zeros), hashes derived from it (block, validator set, commit) and the
// domain-separated bytes that votes and proposals sign. Decoders validate every field and reject any non-canonical input: a value has
// exactly one encoding, and decode(encode(x)) equals x.
import {
  GridledgerError,
  RlpError,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpIntBytes,
  utf8,
} from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import {
  type Block,
  type CommitCertificate,
  type CommitSignature,
  type ConsensusMessage,
  type Evidence,
  type Header,
  MAX_ROUND,
  MAX_TOTAL_POWER,
  MAX_UINT63,
  type Proposal,
  type SignedProposalHeader,
  type ValidatorSet,
  type Vote,
  type VoteType,
} from './types.ts';

/** Malformed bytes or an out-of-range field given to an encoder or decoder. */
export class CodecError extends GridledgerError {
  constructor(message: string) {
    super('E_CODEC', message);
    this.name = 'CodecError';
  }
}

type Item = RlpItem;

const HASH_LEN = 32;
const KEY_LEN = 32;
const SIG_LEN = 64;
/** Largest validator count (indices fit in 16 bits). */
export const MAX_VALIDATORS = 10_000;
/** Largest chain id, in UTF-8 bytes. */
export const MAX_CHAIN_ID_BYTES = 64;
const EMPTY = new Uint8Array(0);
const DOMAIN_VOTE = utf8('gridledger/vote/v1');
const DOMAIN_PROPOSAL = utf8('gridledger/proposal/v1');

// ---------- primitive fields ----------

function encUint(v: bigint | number, where: string, max: bigint = MAX_UINT63): Uint8Array {
  const x = typeof v === 'number' ? BigInt(v) : v;
  if (typeof v === 'number' && !Number.isSafeInteger(v))
    throw new CodecError(`${where}: expected an integer, got ${v}`);
  if (x < 0n || x > max) throw new CodecError(`${where}: expected an integer in 0..${max}, got ${x}`);
  return rlpIntBytes(x);
}

function bytesOf(item: Item | undefined, where: string): Uint8Array {
  if (item === undefined) throw new CodecError(`${where}: missing field`);
  if (!(item instanceof Uint8Array)) throw new CodecError(`${where}: expected a byte string, got a list`);
  return item;
}

function listOf(item: Item | undefined, where: string, length?: number): Item[] {
  if (item === undefined) throw new CodecError(`${where}: missing field`);
  if (item instanceof Uint8Array) throw new CodecError(`${where}: expected a list, got a byte string`);
  if (length !== undefined && item.length !== length)
    throw new CodecError(`${where}: expected a list of ${length} fields, got ${item.length}`);
  return item;
}

function decUint(item: Item | undefined, where: string, max: bigint = MAX_UINT63): bigint {
  const b = bytesOf(item, where);
  if (b.length > 0 && b[0] === 0) throw new CodecError(`${where}: integer has a leading zero byte`);
  if (b.length > 8) throw new CodecError(`${where}: integer longer than 8 bytes`);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  if (v > max) throw new CodecError(`${where}: expected an integer in 0..${max}, got ${v}`);
  return v;
}

function decSmall(item: Item | undefined, where: string, max: number): number {
  return Number(decUint(item, where, BigInt(max)));
}

function fixed(b: Uint8Array, len: number, where: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== len)
    throw new CodecError(
      `${where}: expected ${len} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`,
    );
  return b;
}

function decFixed(item: Item | undefined, len: number, where: string): Uint8Array {
  return fixed(bytesOf(item, where).slice(), len, where);
}

function encChainId(chainId: string, where: string): Uint8Array {
  if (typeof chainId !== 'string') throw new CodecError(`${where}: expected a string chain id`);
  const b = utf8(chainId);
  if (b.length < 1 || b.length > MAX_CHAIN_ID_BYTES)
    throw new CodecError(`${where}: chain id must be 1..${MAX_CHAIN_ID_BYTES} UTF-8 bytes, got ${b.length}`);
  return b;
}

function decChainId(item: Item | undefined, where: string): string {
  const b = bytesOf(item, where);
  let s: string;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new CodecError(`${where}: chain id is not valid UTF-8`);
  }
  encChainId(s, where);
  return s;
}

function top(bytes: Uint8Array, what: string): Item {
  if (!(bytes instanceof Uint8Array)) throw new CodecError(`${what}: expected a Uint8Array`);
  try {
    return rlpDecode(bytes); // canonical only: shortest prefixes, no trailing bytes
  } catch (e) {
    if (e instanceof RlpError) throw new CodecError(`${what}: malformed RLP (${e.message})`);
    throw e;
  }
}

function rlp(item: Item): Uint8Array {
  return rlpEncode(item);
}

function checkRound(r: number, where: string): number {
  if (!Number.isInteger(r) || r < 0 || r > MAX_ROUND)
    throw new CodecError(`${where}: expected a round in 0..${MAX_ROUND}, got ${r}`);
  return r;
}

function checkIndex(i: number, where: string): number {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_VALIDATORS)
    throw new CodecError(`${where}: expected a validator index in 0..${MAX_VALIDATORS - 1}, got ${i}`);
  return i;
}

function checkPolRound(p: number, round: number, where: string): number {
  if (p === -1 || (Number.isInteger(p) && p >= 0 && p < round)) return p;
  throw new CodecError(`${where}: expected polRound -1 or in 0..${round - 1}, got ${p}`);
}

// ---------- header ----------

function headerItem(h: Header): Item {
  const w = 'encodeHeader';
  if (h.height < 1n) throw new CodecError(`${w}: height must be >= 1, got ${h.height}`);
  if (h.appHash.length > 64)
    throw new CodecError(`${w}: appHash must be 0..64 bytes, got ${h.appHash.length}`);
  return [
    encChainId(h.chainId, `${w}.chainId`),
    encUint(h.height, `${w}.height`),
    encUint(h.timeMs, `${w}.timeMs`),
    fixed(h.proposer, KEY_LEN, `${w}.proposer`),
    fixed(h.lastBlockHash, HASH_LEN, `${w}.lastBlockHash`),
    fixed(h.txRoot, HASH_LEN, `${w}.txRoot`),
    h.appHash,
    fixed(h.validatorsHash, HASH_LEN, `${w}.validatorsHash`),
    fixed(h.lastCommitHash, HASH_LEN, `${w}.lastCommitHash`),
    // Present only for a block with evidence, so the hash of every block without any is unchanged.
    ...(h.evidenceHash === undefined ? [] : [fixed(h.evidenceHash, HASH_LEN, `${w}.evidenceHash`)]),
  ];
}

function headerFrom(item: Item | undefined, w: string): Header {
  const f = listOf(item, w);
  if (f.length !== 9 && f.length !== 10)
    throw new CodecError(`${w}: expected a list of 9 or 10 fields, got ${f.length}`);
  const height = decUint(f[1], `${w}.height`);
  if (height < 1n) throw new CodecError(`${w}.height: must be >= 1, got 0`);
  const appHash = bytesOf(f[6], `${w}.appHash`).slice();
  if (appHash.length > 64) throw new CodecError(`${w}.appHash: must be 0..64 bytes, got ${appHash.length}`);
  return {
    chainId: decChainId(f[0], `${w}.chainId`),
    height,
    timeMs: decUint(f[2], `${w}.timeMs`),
    proposer: decFixed(f[3], KEY_LEN, `${w}.proposer`),
    lastBlockHash: decFixed(f[4], HASH_LEN, `${w}.lastBlockHash`),
    txRoot: decFixed(f[5], HASH_LEN, `${w}.txRoot`),
    appHash,
    validatorsHash: decFixed(f[7], HASH_LEN, `${w}.validatorsHash`),
    lastCommitHash: decFixed(f[8], HASH_LEN, `${w}.lastCommitHash`),
    ...(f.length === 10 ? { evidenceHash: decFixed(f[9], HASH_LEN, `${w}.evidenceHash`) } : {}),
  };
}

/** Canonical bytes of a header. */
export function encodeHeader(header: Header): Uint8Array {
  return rlp(headerItem(header));
}

/** Decodes and validates a header; throws {@link CodecError} on malformed bytes. */
export function decodeHeader(bytes: Uint8Array): Header {
  return headerFrom(top(bytes, 'decodeHeader'), 'decodeHeader');
}

/** The block hash: sha256 of the canonical header encoding. */
export function hashBlock(header: Header): Uint8Array {
  return sha256(encodeHeader(header));
}

// ---------- commit certificate ----------

function commitItem(c: CommitCertificate): Item {
  const w = 'encodeCommit';
  if (c.height < 1n) throw new CodecError(`${w}: height must be >= 1, got ${c.height}`);
  let prev = -1;
  const sigs: Item[] = c.signatures.map((s, k) => {
    checkIndex(s.validatorIndex, `${w}.signatures[${k}].validatorIndex`);
    if (s.validatorIndex <= prev)
      throw new CodecError(`${w}.signatures[${k}]: validator indices must be strictly increasing`);
    prev = s.validatorIndex;
    return [encUint(s.validatorIndex, w), fixed(s.signature, SIG_LEN, `${w}.signatures[${k}].signature`)];
  });
  return [
    encUint(c.height, `${w}.height`),
    encUint(checkRound(c.round, `${w}.round`), w),
    fixed(c.blockHash, HASH_LEN, `${w}.blockHash`),
    sigs,
  ];
}

function commitFrom(item: Item | undefined, w: string): CommitCertificate {
  const f = listOf(item, w, 4);
  const height = decUint(f[0], `${w}.height`);
  if (height < 1n) throw new CodecError(`${w}.height: must be >= 1, got 0`);
  let prev = -1;
  const signatures: CommitSignature[] = listOf(f[3], `${w}.signatures`).map((s, k) => {
    const g = listOf(s, `${w}.signatures[${k}]`, 2);
    const validatorIndex = decSmall(g[0], `${w}.signatures[${k}].validatorIndex`, MAX_VALIDATORS - 1);
    if (validatorIndex <= prev)
      throw new CodecError(`${w}.signatures[${k}]: validator indices must be strictly increasing`);
    prev = validatorIndex;
    return { validatorIndex, signature: decFixed(g[1], SIG_LEN, `${w}.signatures[${k}].signature`) };
  });
  return {
    height,
    round: decSmall(f[1], `${w}.round`, MAX_ROUND),
    blockHash: decFixed(f[2], HASH_LEN, `${w}.blockHash`),
    signatures,
  };
}

/** Canonical bytes of a commit certificate (signatures must be sorted by validator index). */
export function encodeCommit(commit: CommitCertificate): Uint8Array {
  return rlp(commitItem(commit));
}

/** Decodes and validates a commit certificate; throws {@link CodecError} on malformed bytes. */
export function decodeCommit(bytes: Uint8Array): CommitCertificate {
  return commitFrom(top(bytes, 'decodeCommit'), 'decodeCommit');
}

/** Hash of a commit certificate as carried in `Header.lastCommitHash`; sha256 of no bytes for null. */
export function hashCommit(commit: CommitCertificate | null): Uint8Array {
  return sha256(commit === null ? EMPTY : encodeCommit(commit));
}

// ---------- block ----------

function blockItem(b: Block): Item {
  const item: Item[] = [
    headerItem(b.header),
    b.txs.map((t) => t),
    b.lastCommit === null ? [] : commitItem(b.lastCommit),
  ];
  // A fourth field only when there is evidence (a block without any encodes as before).
  if (b.evidence !== undefined && b.evidence.length > 0) item.push(b.evidence.map(evidenceItem));
  return item;
}

function blockFrom(item: Item | undefined, w: string): Block {
  const f = listOf(item, w);
  if (f.length !== 3 && f.length !== 4)
    throw new CodecError(`${w}: expected a list of 3 or 4 fields, got ${f.length}`);
  const header = headerFrom(f[0], `${w}.header`);
  const txs = listOf(f[1], `${w}.txs`).map((t, k) => bytesOf(t, `${w}.txs[${k}]`).slice());
  const lc = listOf(f[2], `${w}.lastCommit`);
  const lastCommit = lc.length === 0 ? null : commitFrom(lc, `${w}.lastCommit`);
  if (f.length === 3) return { header, txs, lastCommit };
  const ev = listOf(f[3], `${w}.evidence`);
  if (ev.length === 0) throw new CodecError(`${w}.evidence: an empty evidence list is not encoded`);
  return { header, txs, lastCommit, evidence: ev.map((e, k) => evidenceFrom(e, `${w}.evidence[${k}]`)) };
}

/** Canonical bytes of a block. */
export function encodeBlock(block: Block): Uint8Array {
  return rlp(blockItem(block));
}

/** Decodes and validates a block's encoding (not its contents: see verifyBlock). */
export function decodeBlock(bytes: Uint8Array): Block {
  return blockFrom(top(bytes, 'decodeBlock'), 'decodeBlock');
}

// ---------- vote ----------

function voteTypeByte(t: VoteType, where: string): Uint8Array {
  if (t === 'prevote') return new Uint8Array([1]);
  if (t === 'precommit') return new Uint8Array([2]);
  throw new CodecError(`${where}: expected vote type prevote or precommit, got ${String(t)}`);
}

function voteTypeFrom(item: Item | undefined, where: string): VoteType {
  const v = decSmall(item, where, 255);
  if (v === 1) return 'prevote';
  if (v === 2) return 'precommit';
  throw new CodecError(`${where}: expected vote type 1 (prevote) or 2 (precommit), got ${v}`);
}

function voteItem(v: Vote): Item {
  const w = 'encodeVote';
  if (v.height < 1n) throw new CodecError(`${w}: height must be >= 1, got ${v.height}`);
  return [
    voteTypeByte(v.type, `${w}.type`),
    encUint(v.height, `${w}.height`),
    encUint(checkRound(v.round, `${w}.round`), w),
    v.blockHash === null ? EMPTY : fixed(v.blockHash, HASH_LEN, `${w}.blockHash`),
    encUint(checkIndex(v.validatorIndex, `${w}.validatorIndex`), w),
    fixed(v.signature, SIG_LEN, `${w}.signature`),
  ];
}

function voteFrom(item: Item | undefined, w: string): Vote {
  const f = listOf(item, w, 6);
  const height = decUint(f[1], `${w}.height`);
  if (height < 1n) throw new CodecError(`${w}.height: must be >= 1, got 0`);
  const bh = bytesOf(f[3], `${w}.blockHash`);
  return {
    type: voteTypeFrom(f[0], `${w}.type`),
    height,
    round: decSmall(f[2], `${w}.round`, MAX_ROUND),
    blockHash: bh.length === 0 ? null : fixed(bh.slice(), HASH_LEN, `${w}.blockHash`),
    validatorIndex: decSmall(f[4], `${w}.validatorIndex`, MAX_VALIDATORS - 1),
    signature: decFixed(f[5], SIG_LEN, `${w}.signature`),
  };
}

/** Canonical bytes of a vote. */
export function encodeVote(vote: Vote): Uint8Array {
  return rlp(voteItem(vote));
}

/** Decodes and validates a vote; throws {@link CodecError} on malformed bytes. */
export function decodeVote(bytes: Uint8Array): Vote {
  return voteFrom(top(bytes, 'decodeVote'), 'decodeVote');
}

/**
 * The bytes a validator signs for a vote: domain tag, chain id, type, height, round, block hash (empty
 * for nil). The validator index is not included, so every precommit for one block at one round signs
 * the same bytes and a commit certificate needs only (index, signature) pairs.
 */
export function voteSignBytes(
  chainId: string,
  v: { type: VoteType; height: bigint; round: number; blockHash: Uint8Array | null },
): Uint8Array {
  const w = 'voteSignBytes';
  return rlp([
    DOMAIN_VOTE,
    encChainId(chainId, `${w}.chainId`),
    voteTypeByte(v.type, `${w}.type`),
    encUint(v.height, `${w}.height`),
    encUint(checkRound(v.round, `${w}.round`), w),
    v.blockHash === null ? EMPTY : fixed(v.blockHash, HASH_LEN, `${w}.blockHash`),
  ]);
}

/**
 * The vote fields inside bytes made by {@link voteSignBytes} (a sign state's `signBytes`), or null when
 * they are not a vote's sign bytes. Lets a restarted validator rebuild the last vote it signed.
 */
export function decodeVoteSignBytes(
  bytes: Uint8Array,
): { chainId: string; type: VoteType; height: bigint; round: number; blockHash: Uint8Array | null } | null {
  const w = 'decodeVoteSignBytes';
  try {
    const f = listOf(top(bytes, w), w, 6);
    if (!equalBytesLocal(bytesOf(f[0], w), DOMAIN_VOTE)) return null;
    const bh = bytesOf(f[5], `${w}.blockHash`);
    return {
      chainId: decChainId(f[1], `${w}.chainId`),
      type: voteTypeFrom(f[2], `${w}.type`),
      height: decUint(f[3], `${w}.height`),
      round: decSmall(f[4], `${w}.round`, MAX_ROUND),
      blockHash: bh.length === 0 ? null : fixed(bh.slice(), HASH_LEN, `${w}.blockHash`),
    };
  } catch (e) {
    if (e instanceof CodecError) return null;
    throw e;
  }
}

function equalBytesLocal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---------- proposal ----------

function proposalItem(p: Proposal): Item {
  const w = 'encodeProposal';
  checkRound(p.round, `${w}.round`);
  checkPolRound(p.polRound, p.round, `${w}.polRound`);
  if (p.block.header.height !== p.height)
    throw new CodecError(
      `${w}: block height ${p.block.header.height} differs from proposal height ${p.height}`,
    );
  return [
    encUint(p.height, `${w}.height`),
    encUint(p.round, w),
    encUint(p.polRound + 1, w),
    blockItem(p.block),
    fixed(p.signature, SIG_LEN, `${w}.signature`),
  ];
}

function proposalFrom(item: Item | undefined, w: string): Proposal {
  const f = listOf(item, w, 5);
  const height = decUint(f[0], `${w}.height`);
  const round = decSmall(f[1], `${w}.round`, MAX_ROUND);
  const polRound = decSmall(f[2], `${w}.polRound`, MAX_ROUND) - 1;
  if (polRound >= round)
    throw new CodecError(`${w}.polRound: must be -1 or below round ${round}, got ${polRound}`);
  const block = blockFrom(f[3], `${w}.block`);
  if (block.header.height !== height)
    throw new CodecError(`${w}: block height ${block.header.height} differs from proposal height ${height}`);
  return { height, round, polRound, block, signature: decFixed(f[4], SIG_LEN, `${w}.signature`) };
}

/** Canonical bytes of a proposal (with its full block). */
export function encodeProposal(proposal: Proposal): Uint8Array {
  return rlp(proposalItem(proposal));
}

/** Decodes and validates a proposal; throws {@link CodecError} on malformed bytes. */
export function decodeProposal(bytes: Uint8Array): Proposal {
  return proposalFrom(top(bytes, 'decodeProposal'), 'decodeProposal');
}

/** The bytes the proposer signs: domain tag, chain id, height, round, polRound, block hash. */
export function proposalSignBytes(
  chainId: string,
  p: { height: bigint; round: number; polRound: number; blockHash: Uint8Array },
): Uint8Array {
  const w = 'proposalSignBytes';
  checkRound(p.round, `${w}.round`);
  checkPolRound(p.polRound, p.round, `${w}.polRound`);
  return rlp([
    DOMAIN_PROPOSAL,
    encChainId(chainId, `${w}.chainId`),
    encUint(p.height, `${w}.height`),
    encUint(p.round, w),
    encUint(p.polRound + 1, w),
    fixed(p.blockHash, HASH_LEN, `${w}.blockHash`),
  ]);
}

// ---------- validator set ----------

function valsetItem(vs: ValidatorSet, allowJailed = false): Item {
  const w = 'encodeValidatorSet';
  checkValidatorSet(vs, w, allowJailed);
  return vs.validators.map((v, k) => [
    fixed(v.publicKey, KEY_LEN, `${w}[${k}].publicKey`),
    encUint(v.power, `${w}[${k}].power`, MAX_TOTAL_POWER),
  ]);
}

/**
 * Throws {@link CodecError} unless the set is non-empty, keys are distinct and the power is in range.
 * With `allowJailed`, a validator may have power 0 (jailed: see validator-history.ts) as long as the
 * total is positive; a genesis set may not.
 */
export function checkValidatorSet(vs: ValidatorSet, w = 'validator set', allowJailed = false): void {
  if (vs.validators.length < 1 || vs.validators.length > MAX_VALIDATORS)
    throw new CodecError(`${w}: expected 1..${MAX_VALIDATORS} validators, got ${vs.validators.length}`);
  const seen = new Set<string>();
  let total = 0n;
  vs.validators.forEach((v, k) => {
    fixed(v.publicKey, KEY_LEN, `${w}[${k}].publicKey`);
    if (typeof v.power !== 'bigint' || v.power < (allowJailed ? 0n : 1n))
      throw new CodecError(
        `${w}[${k}].power: expected a ${allowJailed ? 'non-negative' : 'positive'} bigint, got ${String(v.power)}`,
      );
    const key = Buffer.from(v.publicKey).toString('hex');
    if (seen.has(key)) throw new CodecError(`${w}[${k}]: duplicate public key`);
    seen.add(key);
    total += v.power;
  });
  if (total > MAX_TOTAL_POWER) throw new CodecError(`${w}: total power ${total} exceeds ${MAX_TOTAL_POWER}`);
  if (total === 0n) throw new CodecError(`${w}: no validator has any power`);
}

/** Canonical bytes of a validator set (order preserved: it defines the indices). */
export function encodeValidatorSet(vs: ValidatorSet): Uint8Array {
  return rlp(valsetItem(vs));
}

/** Decodes and validates a validator set; throws {@link CodecError} on malformed bytes. */
export function decodeValidatorSet(bytes: Uint8Array): ValidatorSet {
  const w = 'decodeValidatorSet';
  const vs: ValidatorSet = {
    validators: listOf(top(bytes, w), w).map((it, k) => {
      const g = listOf(it, `${w}[${k}]`, 2);
      return {
        publicKey: decFixed(g[0], KEY_LEN, `${w}[${k}].publicKey`),
        power: decUint(g[1], `${w}[${k}].power`, MAX_TOTAL_POWER),
      };
    }),
  };
  checkValidatorSet(vs, w);
  return vs;
}

/**
 * sha256 of the validator set's canonical encoding, as carried in `Header.validatorsHash`: the set in
 * force at the block's height, in genesis order, a jailed validator with power 0 (a set without any
 * jailed validator hashes as it always did).
 */
export function hashValidatorSet(vs: ValidatorSet): Uint8Array {
  return sha256(rlp(valsetItem(vs, true)));
}

// ---------- messages and evidence ----------

/** Canonical bytes of a peer message: [1, proposal] or [2, vote]. */
export function encodeMessage(m: ConsensusMessage): Uint8Array {
  if (m.kind === 'proposal') return rlp([new Uint8Array([1]), proposalItem(m.proposal)]);
  if (m.kind === 'vote') return rlp([new Uint8Array([2]), voteItem(m.vote)]);
  throw new CodecError(`encodeMessage: unknown kind ${String((m as { kind: unknown }).kind)}`);
}

/** Decodes a peer message; throws {@link CodecError} on malformed bytes. */
export function decodeMessage(bytes: Uint8Array): ConsensusMessage {
  const w = 'decodeMessage';
  const f = listOf(top(bytes, w), w, 2);
  const kind = decSmall(f[0], `${w}.kind`, 255);
  if (kind === 1) return { kind: 'proposal', proposal: proposalFrom(f[1], `${w}.proposal`) };
  if (kind === 2) return { kind: 'vote', vote: voteFrom(f[1], `${w}.vote`) };
  throw new CodecError(`${w}.kind: expected 1 (proposal) or 2 (vote), got ${kind}`);
}

function sphItem(p: SignedProposalHeader, w: string): Item {
  checkRound(p.round, `${w}.round`);
  checkPolRound(p.polRound, p.round, `${w}.polRound`);
  return [
    encUint(p.height, `${w}.height`),
    encUint(p.round, w),
    encUint(p.polRound + 1, w),
    fixed(p.blockHash, HASH_LEN, `${w}.blockHash`),
    fixed(p.signature, SIG_LEN, `${w}.signature`),
  ];
}

function sphFrom(item: Item | undefined, w: string): SignedProposalHeader {
  const f = listOf(item, w, 5);
  const round = decSmall(f[1], `${w}.round`, MAX_ROUND);
  const polRound = decSmall(f[2], `${w}.polRound`, MAX_ROUND) - 1;
  if (polRound >= round)
    throw new CodecError(`${w}.polRound: must be -1 or below round ${round}, got ${polRound}`);
  return {
    height: decUint(f[0], `${w}.height`),
    round,
    polRound,
    blockHash: decFixed(f[3], HASH_LEN, `${w}.blockHash`),
    signature: decFixed(f[4], SIG_LEN, `${w}.signature`),
  };
}

function evidenceItem(e: Evidence): Item {
  if (e.kind === 'duplicate-vote') return [new Uint8Array([1]), voteItem(e.voteA), voteItem(e.voteB)];
  return [
    new Uint8Array([2]),
    encUint(checkIndex(e.validatorIndex, 'encodeEvidence.validatorIndex'), 'encodeEvidence'),
    sphItem(e.proposalA, 'encodeEvidence.proposalA'),
    sphItem(e.proposalB, 'encodeEvidence.proposalB'),
  ];
}

/** Canonical bytes of a piece of evidence: [1, voteA, voteB] or [2, index, proposalA, proposalB]. */
export function encodeEvidence(e: Evidence): Uint8Array {
  return rlp(evidenceItem(e));
}

/**
 * The `evidenceHash` of a block header: sha256 of the RLP list of the evidence items, in block order.
 * @example const header = { ...fields, evidenceHash: hashEvidenceList(block.evidence) };
 */
export function hashEvidenceList(evidence: readonly Evidence[]): Uint8Array {
  return sha256(rlp(evidence.map(evidenceItem)));
}

/** Decodes evidence; throws {@link CodecError} on malformed bytes (it does not check signatures). */
export function decodeEvidence(bytes: Uint8Array): Evidence {
  return evidenceFrom(top(bytes, 'decodeEvidence'), 'decodeEvidence');
}

function evidenceFrom(item: Item | undefined, w: string): Evidence {
  const f = listOf(item, w);
  const kind = decSmall(f[0], `${w}.kind`, 255);
  if (kind === 1 && f.length === 3)
    return {
      kind: 'duplicate-vote',
      voteA: voteFrom(f[1], `${w}.voteA`),
      voteB: voteFrom(f[2], `${w}.voteB`),
    };
  if (kind === 2 && f.length === 4)
    return {
      kind: 'duplicate-proposal',
      validatorIndex: decSmall(f[1], `${w}.validatorIndex`, MAX_VALIDATORS - 1),
      proposalA: sphFrom(f[2], `${w}.proposalA`),
      proposalB: sphFrom(f[3], `${w}.proposalB`),
    };
  throw new CodecError(`${w}: expected [1, vote, vote] or [2, index, proposal, proposal]`);
}
