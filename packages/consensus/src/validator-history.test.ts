import { describe, expect, it } from 'vitest';
import { buildBlock, ZERO_HASH } from './block.ts';
import { ChainVerifier } from './chain-verifier.ts';
import {
  CodecError,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodeHeader,
  hashBlock,
  hashEvidenceList,
  hashValidatorSet,
} from './codec.ts';
import { type ConsensusAction, ConsensusMachine } from './machine.ts';
import { makeValidators, signCommit, signVote } from './testkit.ts';
import type { Block, CommitCertificate, Evidence, Proposal, ValidatorSet } from './types.ts';
import {
  decodeCommittedEvidence,
  encodeCommittedEvidence,
  evidenceKey,
  JAIL_DELAY_HEIGHTS,
  MAX_EVIDENCE_AGE_HEIGHTS,
  MAX_EVIDENCE_PER_BLOCK,
  ValidatorHistory,
} from './validator-history.ts';
import { ProposerSchedule } from './validators.ts';
import { verifyBlock } from './verify.ts';

const CHAIN = 'gl-jail';
const { signers, valset } = makeValidators(4, undefined, 'jail');
const APP = new Uint8Array(32).fill(7);
const h1 = new Uint8Array(32).fill(1);
const h2 = new Uint8Array(32).fill(2);

type DuplicateVote = Extract<Evidence, { kind: 'duplicate-vote' }>;

/** Two conflicting prevotes of validator `i` at `height`/`round`. */
function doubleVote(
  i: number,
  height: bigint,
  round = 0,
  type: 'prevote' | 'precommit' = 'prevote',
): DuplicateVote {
  return {
    kind: 'duplicate-vote',
    voteA: signVote(CHAIN, signers[i]!, i, type, height, round, h1),
    voteB: signVote(CHAIN, signers[i]!, i, type, height, round, h2),
  };
}

describe('ValidatorHistory: the set by height', () => {
  it('evidence committed at H sets the validator power 0 from H+2, for good; indices stay', () => {
    const h = new ValidatorHistory(valset);
    const e = doubleVote(2, 8n);
    expect(evidenceKey(e)).toBe('2/8/0/prevote');
    expect(h.checkEvidence([e], 10n, CHAIN)).toEqual({ ok: true });
    h.apply(10n, [e]);
    expect(JAIL_DELAY_HEIGHTS).toBe(2n);
    for (const at of [1n, 10n, 11n]) expect(h.validatorsAt(at)).toBe(valset);
    for (const at of [12n, 13n, 1000n]) {
      const vs = h.validatorsAt(at);
      expect(vs.validators.map((v) => v.power)).toEqual([10n, 10n, 0n, 10n]);
      expect(vs.validators.map((v) => v.publicKey)).toEqual(valset.validators.map((v) => v.publicKey));
    }
    expect(h.jails()).toEqual([
      {
        validatorIndex: 2,
        publicKey: valset.validators[2]!.publicKey,
        fromHeight: 12n,
        committedAt: 10n,
        evidenceKey: '2/8/0/prevote',
      },
    ]);
    expect(h.isCommitted('2/8/0/prevote')).toBe(true);
    // validatorsHash: the genesis hash while nobody is jailed, another one after.
    expect(hashValidatorSet(h.validatorsAt(11n))).toEqual(hashValidatorSet(valset));
    expect(hashValidatorSet(h.validatorsAt(12n))).not.toEqual(hashValidatorSet(valset));
    // A second offence of the jailed validator (earlier height, other key) keeps the first jail record.
    const later = doubleVote(2, 9n, 1);
    h.apply(11n, [later]);
    expect(h.jailOf(2)?.committedAt).toBe(10n);
    // The records survive a restart (the store keeps them) and rebuild the same history.
    const bytes = encodeCommittedEvidence(h.committed());
    const back = new ValidatorHistory(valset, decodeCommittedEvidence(bytes));
    expect(back.jails()).toEqual(h.jails());
    expect(back.committed()).toEqual(h.committed());
    expect(back.validatorsAt(12n)).toEqual(h.validatorsAt(12n));
    expect(() => decodeCommittedEvidence(new Uint8Array([0xc1, 0x01]))).toThrow(CodecError);
    expect(() => decodeCommittedEvidence(new Uint8Array([0xff]))).toThrow(CodecError);
  });

  it('refuses invalid, duplicated, too old, future, already committed and powerless evidence', () => {
    const h = new ValidatorHistory(valset);
    const e = doubleVote(1, 50n);
    const reason = (list: Evidence[], height: bigint) => {
      const r = h.checkEvidence(list, height, CHAIN);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason([e], 50n)).toBe('ok');
    // Invalid: a forged signature, the same value twice, two validators.
    const forged: Evidence = { ...e, voteB: { ...e.voteB, signature: e.voteA.signature } };
    expect(reason([forged], 51n)).toMatch(
      /evidence 0 \(1\/50\/0\/prevote\): evidence: invalid prevote signature/,
    );
    const same: Evidence = { kind: 'duplicate-vote', voteA: e.voteA, voteB: e.voteA };
    expect(reason([same], 51n)).toMatch(/both votes are for the same value/);
    const mixed: Evidence = {
      kind: 'duplicate-vote',
      voteA: signVote(CHAIN, signers[0]!, 0, 'prevote', 50n, 0, h1),
      voteB: signVote(CHAIN, signers[1]!, 1, 'prevote', 50n, 0, h2),
    };
    expect(reason([mixed], 51n)).toMatch(/votes from different validators/);
    const stranger: Evidence = {
      ...e,
      voteA: { ...e.voteA, validatorIndex: 9 },
      voteB: { ...e.voteB, validatorIndex: 9 },
    };
    expect(reason([stranger], 51n)).toMatch(/validator 9 is not in the set/);
    // Duplicated in one block (a different pair of votes for the same offence is the same key).
    expect(reason([e, e], 51n)).toMatch(/twice in the block/);
    // Too old, or from a later height than the block.
    expect(reason([e], 50n + MAX_EVIDENCE_AGE_HEIGHTS)).toBe('ok');
    expect(reason([e], 51n + MAX_EVIDENCE_AGE_HEIGHTS)).toMatch(/older than 100 heights/);
    expect(reason([e], 49n)).toMatch(/from height 50, after the block's 49/);
    // Already committed.
    h.apply(52n, [e]);
    expect(reason([e], 53n)).toMatch(/already committed/);
    // The jailed validator has no power from 54 on: evidence of what it signed then proves nothing.
    expect(reason([doubleVote(1, 53n)], 60n)).toBe('ok');
    expect(reason([doubleVote(1, 54n)], 60n)).toMatch(/validator 1 had no power at height 54/);
    // At most MAX_EVIDENCE_PER_BLOCK pieces.
    const many = Array.from({ length: MAX_EVIDENCE_PER_BLOCK + 1 }, (_, r) => doubleVote(0, 60n, r));
    expect(reason(many, 60n)).toMatch(/more than 16/);
    // A set of one validator cannot jail itself into a set without power.
    const solo = makeValidators(1, undefined, 'jail');
    const s = new ValidatorHistory(solo.valset);
    expect(s.checkEvidence([doubleVote(0, 3n)], 4n, CHAIN)).toMatchObject({
      ok: false,
      reason: 'the evidence would jail every validator',
    });
  });
});

describe('ProposerSchedule with jailed validators', () => {
  it('follows the genesis schedule until the jail, then never picks the jailed validator', () => {
    const weighted = makeValidators(5, [10n, 20n, 30n, 10n, 40n], 'sched').valset;
    const plain = new ProposerSchedule(weighted);
    const jailedFrom = 40n;
    const jailed = 4; // the heaviest: it proposes most often
    const at = (h: bigint): ValidatorSet =>
      h >= jailedFrom
        ? { validators: weighted.validators.map((v, i) => (i === jailed ? { ...v, power: 0n } : v)) }
        : weighted;
    const s = new ProposerSchedule(weighted, undefined, at);
    const picked = new Map<number, number>();
    for (let h = 1n; h < 400n; h++) {
      if (h < jailedFrom) {
        expect(s.proposer(h, 0)).toBe(plain.proposer(h, 0));
        expect(s.proposer(h, 3)).toBe(plain.proposer(h, 3));
        continue;
      }
      for (const r of [0, 1, 2, 7]) {
        const p = s.proposer(h, r);
        expect(p).not.toBe(jailed);
        if (r === 0) picked.set(p, (picked.get(p) ?? 0) + 1);
      }
    }
    // The others keep proposing in proportion to their power (10:20:30:10 over 360 heights).
    expect([...picked.keys()].sort()).toEqual([0, 1, 2, 3]);
    const share = (i: number) => picked.get(i)! / 360;
    for (const [i, power] of [
      [0, 10],
      [1, 20],
      [2, 30],
      [3, 10],
    ] as const)
      expect(Math.abs(share(i) - power / 70)).toBeLessThan(0.01);
    // A restart from genesis (advanceTo an earlier height) walks the same way.
    s.advanceTo(10n);
    plain.advanceTo(10n);
    expect(s.proposer(10n, 0)).toBe(plain.proposer(10n, 0));
    s.advanceTo(200n);
    const again = new ProposerSchedule(weighted, undefined, at);
    again.advanceTo(200n);
    expect(s.proposer(200n, 0)).toBe(again.proposer(200n, 0));
  });
});

/** A chain of `n` blocks on `valset`, block `withEvidenceAt` carrying `evidence`, each certified by `signersOf(h)`. */
function chain(
  n: number,
  evidenceAt: Map<bigint, Evidence[]>,
  signersOf: (h: bigint) => number[],
  proposerOf: (h: bigint) => number = () => 0,
): { block: Block; commit: CommitCertificate }[] {
  const out: { block: Block; commit: CommitCertificate }[] = [];
  const history = new ValidatorHistory(valset);
  let prev: Block | null = null;
  let prevCommit: CommitCertificate | null = null;
  for (let h = 1n; h <= BigInt(n); h++) {
    const ev = evidenceAt.get(h);
    const block = buildBlock({
      chainId: CHAIN,
      height: h,
      timeMs: 1000n + h,
      proposer: signers[proposerOf(h)]!.publicKey,
      lastBlockHash: prev === null ? ZERO_HASH : hashBlock(prev.header),
      appHash: APP,
      validators: history.validatorsAt(h),
      lastCommit: prevCommit,
      txs: [],
      ...(ev ? { evidence: ev } : {}),
    });
    const commit = signCommit(CHAIN, signers, signersOf(h), h, 0, hashBlock(block.header));
    out.push({ block, commit });
    history.apply(h, ev ?? []);
    prev = block;
    prevCommit = commit;
  }
  return out;
}

describe('blocks with evidence', () => {
  it('a block without evidence encodes and hashes as before evidence existed', () => {
    const parts = {
      chainId: CHAIN,
      height: 3n,
      timeMs: 5n,
      proposer: signers[0]!.publicKey,
      lastBlockHash: ZERO_HASH,
      appHash: APP,
      validators: valset,
      lastCommit: null,
      txs: [new Uint8Array([1])],
    };
    const plain = buildBlock(parts);
    const empty = buildBlock({ ...parts, evidence: [] });
    expect(empty).toEqual(plain);
    expect('evidenceHash' in plain.header).toBe(false);
    expect(hashBlock(empty.header)).toEqual(hashBlock(plain.header));
    // Pinned: the header of 9 fields hashes to what it always did (this value predates evidence).
    expect(Buffer.from(hashBlock(plain.header)).toString('hex')).toBe(PLAIN_HASH);
    const withEv = buildBlock({ ...parts, evidence: [doubleVote(1, 2n)] });
    expect(withEv.header.evidenceHash).toEqual(hashEvidenceList([doubleVote(1, 2n)]));
    expect(hashBlock(withEv.header)).not.toEqual(hashBlock(plain.header));
    expect(decodeBlock(encodeBlock(withEv))).toEqual(withEv);
    expect(decodeHeader(encodeHeader(withEv.header))).toEqual(withEv.header);
    expect(decodeBlock(encodeBlock(plain))).toEqual(plain);
    // An explicitly empty evidence list is not canonical.
    const bytes = encodeBlock(withEv);
    const tampered = encodeBlock({ ...plain });
    expect(bytes.length).toBeGreaterThan(tampered.length);
  });

  it('verifyBlock refuses a missing or wrong evidence hash, evidence nothing can check, invalid evidence', () => {
    const blocks = chain(3, new Map([[2n, [doubleVote(3, 1n)]]]), () => [0, 1, 2]);
    const b2 = blocks[1]!.block;
    const history = new ValidatorHistory(valset);
    const ctx = {
      chainId: CHAIN,
      validators: valset,
      previous: blocks[0]!.block.header,
      appHash: APP,
      history,
    };
    expect(verifyBlock(b2, ctx)).toEqual({ ok: true });
    const { history: _h, ...noHistory } = ctx;
    expect(verifyBlock(b2, noHistory)).toMatchObject({
      ok: false,
      reason: /carries evidence and nothing can check it/,
    });
    const { evidenceHash: _e, ...header } = b2.header;
    expect(verifyBlock({ ...b2, header }, ctx)).toMatchObject({ ok: false, reason: /evidence hash missing/ });
    const { evidence: _v, ...noEvidence } = b2;
    expect(verifyBlock(noEvidence, ctx)).toMatchObject({
      ok: false,
      reason: /evidence hash without evidence/,
    });
    expect(verifyBlock({ ...b2, evidence: [doubleVote(2, 1n)] }, ctx)).toMatchObject({
      ok: false,
      reason: /evidence hash does not match/,
    });
    history.apply(2n, b2.evidence!);
    expect(verifyBlock(b2, ctx)).toMatchObject({ ok: false, reason: /already committed/ });
  });

  it('gridledger verify (ChainVerifier) follows the jail: commits need 2/3 of the remaining power', () => {
    const ev = new Map([[5n, [doubleVote(3, 4n)]]]);
    // Jailed from 7: blocks 7.. certified by 0, 1, 2 (30 of 30); before that 0, 1, 2 of 40 is enough too.
    const good = chain(10, ev, () => [0, 1, 2]);
    const v = new ChainVerifier(CHAIN, valset);
    for (const e of good) expect(v.push(e.block, e.commit).ok).toBe(true);
    expect(v.history.jailOf(3)?.fromHeight).toBe(7n);
    // With the jailed validator's signature in place of an honest one, block 7's commit is 20 of 30.
    const bad = chain(10, ev, (h) => (h >= 7n ? [0, 1, 3] : [0, 1, 2]));
    const w = new ChainVerifier(CHAIN, valset);
    for (const e of bad) w.push(e.block, e.commit);
    expect(w.result()).toMatchObject({ ok: false, height: 7n, reason: /signed power 20 of 30/ });
    // The same chain's commits would pass at height 6 (the jail is not in force yet).
    const early = chain(6, ev, (h) => (h >= 6n ? [0, 1, 3] : [0, 1, 2]));
    const x = new ChainVerifier(CHAIN, valset);
    for (const e of early) expect(x.push(e.block, e.commit).ok).toBe(true);
    // The jailed validator cannot propose from 7 on.
    const byJailed = chain(
      7,
      ev,
      () => [0, 1, 2],
      (h) => (h === 7n ? 3 : 0),
    );
    const y = new ChainVerifier(CHAIN, valset);
    for (const e of byJailed) y.push(e.block, e.commit);
    expect(y.result()).toMatchObject({ ok: false, height: 7n, reason: /is not a validator with power/ });
  });
});

describe('ConsensusMachine with a validator history', () => {
  const history = new ValidatorHistory(valset);
  const blocks = chain(3, new Map([[1n, [doubleVote(3, 1n)]]]), () => [0, 1, 2]);
  history.apply(1n, blocks[0]!.block.evidence!);
  const start = (h: bigint) => {
    const last = blocks[Number(h) - 2]!;
    return { height: h, lastBlock: last.block.header, lastCommit: last.commit, appHash: APP };
  };
  const votes = (a: ConsensusAction[]) =>
    a.flatMap((x) => (x.type === 'broadcast' && x.message.kind === 'vote' ? [x.message.vote] : []));

  it('a jailed validator follows without voting; the others ignore its votes', () => {
    const jailed = new ConsensusMachine(
      { chainId: CHAIN, validators: valset, history, signer: signers[3]! },
      start(3n),
    );
    expect(jailed.validators.validators[3]!.power).toBe(0n);
    expect(jailed.validatorIndex).toBe(-1);
    const r = jailed.start();
    const t = jailed.handle({ type: 'timeout', kind: 'propose', height: 3n, round: 0 });
    expect(votes([...r.actions, ...t.actions])).toEqual([]);
    // At height 2 it still had power.
    const before = new ConsensusMachine(
      { chainId: CHAIN, validators: valset, history, signer: signers[3]! },
      start(2n),
    );
    expect(before.validatorIndex).toBe(3);
    const honest = new ConsensusMachine(
      { chainId: CHAIN, validators: valset, history, signer: signers[0]! },
      start(3n),
    );
    honest.start();
    const v = signVote(CHAIN, signers[3]!, 3, 'prevote', 3n, 0, null);
    expect(honest.handle({ type: 'message', message: { kind: 'vote', vote: v } }).ignored).toBe(
      'vote from jailed validator 3 (power 0 at height 3)',
    );
  });

  it('prevotes nil for a proposal whose evidence is already committed, and proposes pending evidence', () => {
    const s = new ProposerSchedule(valset, undefined, (h) => history.validatorsAt(h));
    s.advanceTo(3n);
    const proposer = s.proposer(3n, 0);
    const other = [0, 1, 2].find((i) => i !== proposer)!;
    const m = new ConsensusMachine(
      { chainId: CHAIN, validators: valset, history, signer: signers[other]! },
      start(3n),
    );
    m.start();
    // The proposer's machine builds the block with the evidence it is given.
    const p = new ConsensusMachine(
      { chainId: CHAIN, validators: valset, history, signer: signers[proposer]! },
      start(3n),
    );
    const req = p.start().actions.find((a) => a.type === 'requestProposal');
    expect(req).toBeDefined();
    const stale = blocks[0]!.block.evidence!; // committed at 1
    const fresh = [doubleVote(3, 2n, 1)];
    const propose = (evidence: Evidence[]) => {
      const q = new ConsensusMachine(
        { chainId: CHAIN, validators: valset, history, signer: signers[proposer]! },
        start(3n),
      );
      q.start();
      const a = q.handle({ type: 'proposalTxs', height: 3n, round: 0, txs: [], timeMs: 5000n, evidence });
      const out = a.actions.find((x) => x.type === 'broadcast' && x.message.kind === 'proposal');
      return (out as { message: { kind: 'proposal'; proposal: Proposal } }).message.proposal;
    };
    const good = propose(fresh);
    expect(good.block.evidence).toEqual(fresh);
    const r1 = m.handle({ type: 'message', message: { kind: 'proposal', proposal: good } });
    expect(r1.actions.some((a) => a.type === 'validateBlock')).toBe(true);
    const m2 = new ConsensusMachine(
      { chainId: CHAIN, validators: valset, history, signer: signers[other]! },
      start(3n),
    );
    m2.start();
    const bad = propose(stale);
    const r2 = m2.handle({ type: 'message', message: { kind: 'proposal', proposal: bad } });
    expect(r2.actions.some((a) => a.type === 'validateBlock')).toBe(false);
    expect(votes(r2.actions)).toMatchObject([{ type: 'prevote', blockHash: null }]);
  });
});

/** Hash of the fixed plain block above, computed before blocks could carry evidence. */
const PLAIN_HASH = '3340114dc3637653a132c182323dc0e243e7d42fbe4afb5ba635b804ddf0d4fd';
