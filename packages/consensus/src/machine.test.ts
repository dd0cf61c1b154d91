import { describe, expect, it } from 'vitest';
import { buildBlock, ZERO_HASH } from './block.ts';
import { decodeEvidence, encodeEvidence, hashBlock, proposalSignBytes, voteSignBytes } from './codec.ts';
import { keySigner, type Signer } from './ed25519.ts';
import { SignGuard } from './guard.ts';
import { type ConsensusAction, ConsensusMachine, type WalState } from './machine.ts';
import { makeValidators, signCommit, signVote } from './testkit.ts';
import type { Block, Proposal, Vote } from './types.ts';
import { ProposerSchedule } from './validators.ts';
import { verifyBlock, verifyBlockCommit, verifyEvidence, verifyVote } from './verify.ts';
import { decodeSignState, decodeWalState, encodeSignState, encodeWalState } from './wal.ts';

const CHAIN = 'gl-machine';
const { signers, valset } = makeValidators(4, undefined, 'machine');
const schedule = new ProposerSchedule(valset);
const APP0 = new Uint8Array(32).fill(0xaa);
const GENESIS_MS = 1_000_000n;

function block(height: bigint, proposer: number, tag: number): Block {
  return buildBlock({
    chainId: CHAIN,
    height,
    timeMs: GENESIS_MS + 10n,
    proposer: signers[proposer]!.publicKey,
    lastBlockHash: ZERO_HASH,
    appHash: APP0,
    validators: valset,
    lastCommit: null,
    txs: [new Uint8Array([tag])],
  });
}

function proposal(
  b: Block,
  round: number,
  polRound: number,
  by = schedule.proposer(b.header.height, round),
): Proposal {
  const signBytes = proposalSignBytes(CHAIN, {
    height: b.header.height,
    round,
    polRound,
    blockHash: hashBlock(b.header),
  });
  return {
    height: b.header.height,
    round,
    polRound,
    block: b,
    signature: signers[by]!.sign({ height: b.header.height, round, step: 'proposal', signBytes })!,
  };
}

const vote = (
  i: number,
  type: 'prevote' | 'precommit',
  round: number,
  b: Block | null,
  chain = CHAIN,
): Vote => signVote(chain, signers[i]!, i, type, 1n, round, b === null ? null : hashBlock(b.header));

/** A validator that proposes neither round 0 nor round 1 at height 1. */
const me = [0, 1, 2, 3].find((i) => i !== schedule.proposer(1n, 0) && i !== schedule.proposer(1n, 1))!;
const others = [0, 1, 2, 3].filter((i) => i !== me);

function newMachine(signer: Signer, recovered: WalState | null = null): ConsensusMachine {
  return new ConsensusMachine(
    { chainId: CHAIN, validators: valset, signer },
    { height: 1n, lastBlock: null, lastCommit: null, appHash: APP0, genesisTimeMs: GENESIS_MS, recovered },
  );
}

const broadcasts = (a: ConsensusAction[]) => a.flatMap((x) => (x.type === 'broadcast' ? [x.message] : []));
const votesOut = (a: ConsensusAction[]) => broadcasts(a).flatMap((m) => (m.kind === 'vote' ? [m.vote] : []));
const lastPersist = (a: ConsensusAction[]) =>
  a.filter((x) => x.type === 'persist').at(-1) as { wal: WalState } | undefined;

/** Feeds a proposal and answers the validation request; returns all actions. */
function feedProposal(m: ConsensusMachine, p: Proposal): ConsensusAction[] {
  const r = m.handle({ type: 'message', message: { kind: 'proposal', proposal: p } });
  const out = [...r.actions];
  for (const a of r.actions)
    if (a.type === 'validateBlock')
      out.push(
        ...m.handle({ type: 'blockValidated', height: a.height, blockHash: a.blockHash, valid: true })
          .actions,
      );
  return out;
}

const feedVote = (m: ConsensusMachine, v: Vote) =>
  m.handle({ type: 'message', message: { kind: 'vote', vote: v } });

describe('ConsensusMachine: locking, restart and the sign guard', () => {
  const X = block(1n, schedule.proposer(1n, 0), 1);
  const Y = block(1n, schedule.proposer(1n, 1), 2);

  it('locks on a polka, keeps the lock over a restart, never double-signs, unlocks on a later polka', () => {
    let guardSaves = 0;
    const guard = new SignGuard(signers[me]!, null, () => guardSaves++);
    const m = newMachine(guard);
    const wal: WalState[] = [];
    const track = (a: ConsensusAction[]) => {
      const p = lastPersist(a);
      if (p) wal.push(p.wal);
      // persist always comes before the broadcast of anything newly signed
      const ip = a.findIndex((x) => x.type === 'persist');
      const ib = a.findIndex((x) => x.type === 'broadcast');
      if (ib >= 0) expect(ip).toBeGreaterThanOrEqual(0);
      if (ib >= 0) expect(ip).toBeLessThan(ib);
      return a;
    };
    track(m.start().actions);
    // Round 0: proposal X, we prevote X.
    let a = track(feedProposal(m, proposal(X, 0, -1)));
    expect(votesOut(a)).toMatchObject([{ type: 'prevote', round: 0, blockHash: hashBlock(X.header) }]);
    // Polka for X: we precommit X and lock.
    track(feedVote(m, vote(others[0]!, 'prevote', 0, X)).actions);
    a = track(feedVote(m, vote(others[1]!, 'prevote', 0, X)).actions);
    expect(votesOut(a)).toMatchObject([{ type: 'precommit', round: 0, blockHash: hashBlock(X.header) }]);
    expect(m.lockedRound).toBe(0);
    expect(m.gossip().map((g) => g.kind)).toEqual(['proposal', 'vote', 'vote', 'vote', 'vote']);
    expect(m.gossip({ proposals: false }).every((g) => g.kind === 'vote')).toBe(true);
    // The others precommit nil: round 0 ends without a decision.
    track(feedVote(m, vote(others[0]!, 'precommit', 0, null)).actions);
    a = track(feedVote(m, vote(others[1]!, 'precommit', 0, null)).actions);
    expect(a).toContainEqual(
      expect.objectContaining({ type: 'scheduleTimeout', kind: 'precommit', round: 0 }),
    );
    track(m.handle({ type: 'timeout', kind: 'precommit', height: 1n, round: 0 }).actions);
    expect(m.round).toBe(1);
    // Round 1: a new block Y without a polka: locked on X, we prevote nil.
    a = track(feedProposal(m, proposal(Y, 1, -1)));
    const nilVote = votesOut(a)[0]!;
    expect(nilVote).toMatchObject({ type: 'prevote', round: 1, blockHash: null });
    expect(guardSaves).toBe(3);

    // Crash and restart from the last persisted WAL state (decoded from bytes, as from disk).
    const saved = decodeWalState(encodeWalState(wal.at(-1)!));
    expect(saved).toMatchObject({ height: 1n, round: 1, lockedRound: 0, validRound: 0 });
    const guard2 = new SignGuard(signers[me]!, saved.signState);
    const m2 = newMachine(guard2, saved);
    m2.start();
    expect(m2.round).toBe(1);
    expect(m2.lockedRound).toBe(0);
    a = feedProposal(m2, proposal(Y, 1, -1));
    // Same vote as before the crash (the guard returns the saved signature for the same bytes).
    expect(votesOut(a)).toEqual([nilVote]);

    // Amnesia: restart with the guard state but without the WAL lock. At round 0 it would prevote X again
    // (it already signed a later step): the guard refuses, nothing is sent.
    const guard3 = new SignGuard(signers[me]!, decodeSignState(encodeSignState(saved.signState!)));
    const m3 = newMachine(guard3, null);
    m3.start();
    a = feedProposal(m3, proposal(X, 0, -1));
    expect(votesOut(a)).toEqual([]);
    expect(guard3.refused).toBeGreaterThan(0);

    // A polka for Y at round 1 and a round-2 proposal of Y with polRound 1: the lock (round 0) gives way.
    for (const i of others) feedVote(m2, vote(i, 'prevote', 1, Y));
    const p2 = proposal(Y, 2, 1);
    feedVote(m2, vote(others[0]!, 'prevote', 2, null));
    a = feedProposal(m2, p2); // f+1 at round 2 (proposer + one vote): skip to round 2, then lines 28-33
    expect(m2.round).toBe(2);
    expect(votesOut(a)).toMatchObject([{ type: 'prevote', round: 2, blockHash: hashBlock(Y.header) }]);
  });

  it('a validator restarted after its prevote gossips that prevote again (rebuilt from its sign state)', () => {
    const guard = new SignGuard(signers[me]!, null);
    const m = newMachine(guard);
    const wal: WalState[] = [];
    const keep = (a: ConsensusAction[]) => {
      const p = lastPersist(a);
      if (p) wal.push(p.wal);
    };
    keep(m.start().actions);
    keep(feedProposal(m, proposal(X, 0, -1)));
    const recovered = wal.at(-1)!;
    expect(recovered.signState?.step).toBe(2);
    // The prevote left in memory only: the restarted machine holds it again and gossips it.
    const again = newMachine(new SignGuard(signers[me]!, recovered.signState), recovered);
    again.start();
    const mine = again
      .gossip()
      .flatMap((g) => (g.kind === 'vote' && g.vote.validatorIndex === me ? [g.vote] : []));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ type: 'prevote', height: 1n, round: 0, blockHash: hashBlock(X.header) });
    expect(verifyVote(mine[0]!, valset, CHAIN)).toEqual({ ok: true });
  });

  it('the sign guard refuses lower or equal steps with other bytes and re-signs identical bytes', () => {
    const g = new SignGuard(signers[0]!, null);
    const sb = (r: number, t: 'prevote' | 'precommit', h: Uint8Array | null) =>
      voteSignBytes(CHAIN, { type: t, height: 5n, round: r, blockHash: h });
    const s1 = g.sign({ height: 5n, round: 2, step: 'prevote', signBytes: sb(2, 'prevote', null) });
    expect(s1).not.toBeNull();
    expect(g.sign({ height: 5n, round: 2, step: 'prevote', signBytes: sb(2, 'prevote', null) })).toEqual(s1);
    expect(
      g.sign({ height: 5n, round: 2, step: 'prevote', signBytes: sb(2, 'prevote', new Uint8Array(32)) }),
    ).toBeNull();
    expect(
      g.sign({ height: 5n, round: 1, step: 'precommit', signBytes: sb(1, 'precommit', null) }),
    ).toBeNull();
    expect(
      g.sign({ height: 4n, round: 9, step: 'precommit', signBytes: sb(9, 'precommit', null) }),
    ).toBeNull();
    expect(
      g.sign({ height: 5n, round: 2, step: 'precommit', signBytes: sb(2, 'precommit', null) }),
    ).not.toBeNull();
    expect(g.refused).toBe(3);
  });
});

describe('ConsensusMachine: bad input is ignored with a reason, state unchanged', () => {
  it('rejects non-validators, bad signatures, other chains, future heights; keeps equivocation as evidence', () => {
    const m = newMachine(new SignGuard(signers[me]!, null));
    m.start();
    const before = JSON.stringify([m.round, m.step, m.lockedRound]);
    const good = vote(others[0]!, 'prevote', 0, null);
    const cases: [Vote, RegExp][] = [
      [{ ...good, validatorIndex: 9 }, /index 9, not in the set of 4/],
      [{ ...good, signature: new Uint8Array(64) }, /invalid prevote signature/],
      [vote(others[0]!, 'prevote', 0, null, 'other-chain'), /invalid prevote signature/],
      [{ ...good, validatorIndex: others[1]! }, /invalid prevote signature/],
    ];
    for (const [v, why] of cases) {
      const r = feedVote(m, v);
      expect(r.ignored).toMatch(why);
      expect(r.actions).toEqual([]);
    }
    const future = signVote(CHAIN, signers[others[0]!]!, others[0]!, 'prevote', 7n, 0, null);
    expect(feedVote(m, future)).toMatchObject({ ignored: /future height 7/, behind: 1n, actions: [] });
    const outsider = keySigner(new Uint8Array(32).fill(5));
    const forged = signVote(CHAIN, outsider, others[0]!, 'prevote', 1n, 0, null);
    expect(feedVote(m, forged).ignored).toMatch(/invalid/);
    // A proposal signed by someone who is not the round's proposer.
    const X = block(1n, schedule.proposer(1n, 0), 1);
    const wrong = proposal(X, 0, -1, me);
    expect(m.handle({ type: 'message', message: { kind: 'proposal', proposal: wrong } }).ignored).toMatch(
      /not from the proposer/,
    );
    expect(JSON.stringify([m.round, m.step, m.lockedRound])).toBe(before);

    // Equivocation: two prevotes from one validator at one round, two proposals from the proposer.
    expect(feedVote(m, good).ignored).toBeUndefined();
    expect(feedVote(m, good).ignored).toBe('duplicate vote');
    const r = feedVote(m, vote(others[0]!, 'prevote', 0, X));
    expect(r.ignored).toMatch(/conflicting prevote .* kept as evidence/);
    const ev = r.actions.find((a) => a.type === 'evidence');
    expect(ev).toBeDefined();
    if (ev?.type !== 'evidence' || ev.evidence.kind !== 'duplicate-vote')
      throw new Error('expected vote evidence');
    expect(verifyVote(ev.evidence.voteA, valset, CHAIN).ok).toBe(true);
    expect(verifyVote(ev.evidence.voteB, valset, CHAIN).ok).toBe(true);
    expect(decodeEvidence(encodeEvidence(ev.evidence))).toEqual(ev.evidence);
    expect(verifyEvidence(ev.evidence, valset, CHAIN)).toEqual({ ok: true });
    expect(verifyEvidence(ev.evidence, valset, 'other-chain').ok).toBe(false);
    expect(verifyEvidence({ ...ev.evidence, voteB: ev.evidence.voteA }, valset, CHAIN)).toMatchObject({
      ok: false,
      reason: /same value/,
    });
    expect(
      verifyEvidence({ ...ev.evidence, voteB: { ...ev.evidence.voteB, validatorIndex: me } }, valset, CHAIN)
        .ok,
    ).toBe(false);
    feedProposal(m, proposal(X, 0, -1));
    const r2 = m.handle({
      type: 'message',
      message: { kind: 'proposal', proposal: proposal(block(1n, schedule.proposer(1n, 0), 9), 0, -1) },
    });
    expect(r2.ignored).toMatch(/second proposal .* evidence/);
    expect(m.evidence.map((e) => e.kind)).toEqual(['duplicate-vote', 'duplicate-proposal']);
    expect(verifyEvidence(m.evidence[1]!, valset, CHAIN)).toEqual({ ok: true });
    const pe = m.evidence[1]!;
    if (pe.kind !== 'duplicate-proposal') throw new Error('expected proposal evidence');
    expect(verifyEvidence({ ...pe, validatorIndex: me }, valset, CHAIN)).toMatchObject({
      ok: false,
      reason: /invalid proposal signature/,
    });
  });
});

describe('ConsensusMachine: block time', () => {
  it('prevotes nil for a new proposal whose time is too far ahead of the local clock', () => {
    const X = block(1n, schedule.proposer(1n, 0), 1); // time GENESIS_MS + 10
    const run = (nowMs: bigint | undefined) => {
      const m = newMachine(new SignGuard(signers[me]!, null));
      m.start();
      const r = m.handle({
        type: 'message',
        message: { kind: 'proposal', proposal: proposal(X, 0, -1) },
        nowMs,
      });
      const out = [...r.actions];
      for (const a of r.actions)
        if (a.type === 'validateBlock')
          out.push(
            ...m.handle({ type: 'blockValidated', height: a.height, blockHash: a.blockHash, valid: true })
              .actions,
          );
      return votesOut(out)[0]?.blockHash ?? null;
    };
    expect(run(GENESIS_MS + 10n)).toEqual(hashBlock(X.header));
    expect(run(GENESIS_MS + 10n - 5000n)).toEqual(hashBlock(X.header)); // exactly at the 5 s bound
    expect(run(GENESIS_MS + 10n - 5001n)).toBeNull();
    expect(run(undefined)).toEqual(hashBlock(X.header)); // no clock given: no check
  });

  it('prevotes nil for a new proposal whose time is too far behind the local clock (held back)', () => {
    const X = block(1n, schedule.proposer(1n, 0), 1); // time GENESIS_MS + 10
    const run = (nowMs: bigint, maxPastBlockTimeMs?: number) => {
      const m = new ConsensusMachine(
        {
          chainId: CHAIN,
          validators: valset,
          signer: new SignGuard(signers[me]!, null),
          ...(maxPastBlockTimeMs === undefined ? {} : { maxPastBlockTimeMs }),
        },
        { height: 1n, lastBlock: null, lastCommit: null, appHash: APP0, genesisTimeMs: GENESIS_MS },
      );
      m.start();
      const r = m.handle({
        type: 'message',
        message: { kind: 'proposal', proposal: proposal(X, 0, -1) },
        nowMs,
      });
      const out = [...r.actions];
      for (const a of r.actions)
        if (a.type === 'validateBlock')
          out.push(
            ...m.handle({ type: 'blockValidated', height: a.height, blockHash: a.blockHash, valid: true })
              .actions,
          );
      return votesOut(out)[0]?.blockHash ?? null;
    };
    expect(run(GENESIS_MS + 10n + 5000n)).toEqual(hashBlock(X.header)); // exactly at the default 5 s bound
    expect(run(GENESIS_MS + 10n + 5001n)).toBeNull();
    expect(run(GENESIS_MS + 10n + 600_000n)).toBeNull(); // a proposer holding time back 10 minutes
    expect(run(GENESIS_MS + 10n + 1001n, 1000)).toBeNull(); // configured bound
    expect(run(GENESIS_MS + 10n + 1000n, 1000)).toEqual(hashBlock(X.header));
  });
});

describe('ConsensusMachine: decision, next height and block sync', () => {
  it('decides with a valid certificate, then proposes a block that links to it', () => {
    const X = block(1n, schedule.proposer(1n, 0), 1);
    const p1 = schedule.proposer(2n, 0);
    const m = newMachine(new SignGuard(signers[p1]!, null));
    m.start();
    feedProposal(m, proposal(X, 0, -1));
    for (const i of [0, 1, 2, 3].filter((i) => i !== p1)) feedVote(m, vote(i, 'prevote', 0, X));
    let decide: ConsensusAction | undefined;
    for (const i of [0, 1, 2, 3].filter((i) => i !== p1)) {
      const acts = feedVote(m, vote(i, 'precommit', 0, X)).actions;
      decide ??= acts.find((a) => a.type === 'decide');
    }
    if (decide?.type !== 'decide') throw new Error('no decision');
    expect(verifyBlockCommit(decide.block, decide.commit, valset, CHAIN)).toEqual({ ok: true });
    expect(m.step).toBe('commit');
    const app1 = new Uint8Array(32).fill(1);
    expect(m.handle({ type: 'blockExecuted', height: 1n, appHash: app1 }).actions).toEqual([]);
    const next = m.handle({ type: 'timeout', kind: 'commit', height: 1n, round: 0 }).actions;
    expect(m.height).toBe(2n);
    expect(next).toContainEqual({ type: 'requestProposal', height: 2n, round: 0 });
    const out = m.handle({
      type: 'proposalTxs',
      height: 2n,
      round: 0,
      txs: [new Uint8Array([7])],
      timeMs: 5n,
    }).actions;
    const prop = broadcasts(out).find((x) => x.kind === 'proposal');
    if (prop?.kind !== 'proposal') throw new Error('no proposal');
    const b2 = prop.proposal.block;
    expect(b2.header.timeMs).toBe(X.header.timeMs + 1n); // never before the previous block
    expect(
      verifyBlock(b2, { chainId: CHAIN, validators: valset, previous: X.header, appHash: app1 }),
    ).toEqual({ ok: true });
  });

  it('block sync decides a certified block and ignores a forged certificate', () => {
    const X = block(1n, schedule.proposer(1n, 0), 1);
    const m = newMachine(new SignGuard(signers[me]!, null));
    m.start();
    const weak = signCommit(CHAIN, signers, others.slice(0, 2), 1n, 3, hashBlock(X.header));
    expect(m.handle({ type: 'syncCommit', block: X, commit: weak }).ignored).toMatch(/not more than 2\/3/);
    const other = signCommit(CHAIN, signers, others, 1n, 3, hashBlock(block(1n, 0, 5).header));
    expect(m.handle({ type: 'syncCommit', block: X, commit: other }).ignored).toMatch(/another block hash/);
    expect(m.decided).toBeNull();
    const good = signCommit(CHAIN, signers, others, 1n, 3, hashBlock(X.header));
    const r = m.handle({ type: 'syncCommit', block: X, commit: good });
    expect(r.actions).toContainEqual({ type: 'decide', block: X, commit: good, round: 3 });
  });
});

describe('ConsensusMachine: a scripted fork attempt', () => {
  it('a Byzantine proposer cannot get a second block decided past a locked validator', () => {
    const f = makeValidators(4, undefined, 'fork');
    const sch = new ProposerSchedule(f.valset);
    const byz = sch.proposer(1n, 0);
    const c = sch.proposer(1n, 1);
    const [a, b] = [0, 1, 2, 3].filter((i) => i !== byz && i !== c) as [number, number];
    const mk = (i: number) =>
      new ConsensusMachine(
        { chainId: CHAIN, validators: f.valset, signer: new SignGuard(f.signers[i]!, null) },
        { height: 1n, lastBlock: null, lastCommit: null, appHash: APP0, genesisTimeMs: GENESIS_MS },
      );
    const m: Record<number, ConsensusMachine> = { [a]: mk(a), [b]: mk(b), [c]: mk(c) };
    const sent: Record<number, Vote[]> = { [a]: [], [b]: [], [c]: [] };
    const decided: Record<number, Uint8Array> = {};
    let cProposal: Proposal | undefined;
    const run = (i: number, actions: ConsensusAction[]) => {
      for (const x of actions) {
        if (x.type === 'broadcast' && x.message.kind === 'vote') sent[i]!.push(x.message.vote);
        if (x.type === 'broadcast' && x.message.kind === 'proposal') cProposal = x.message.proposal;
        if (x.type === 'decide') decided[i] = hashBlock(x.block.header);
        if (x.type === 'validateBlock')
          run(
            i,
            m[i]!.handle({ type: 'blockValidated', height: 1n, blockHash: x.blockHash, valid: true }).actions,
          );
      }
    };
    const deliver = (i: number, message: Proposal | Vote) =>
      run(
        i,
        m[i]!.handle({
          type: 'message',
          message:
            'block' in message ? { kind: 'proposal', proposal: message } : { kind: 'vote', vote: message },
        }).actions,
      );
    const fire = (i: number, kind: 'propose' | 'prevote' | 'precommit', round: number) =>
      run(i, m[i]!.handle({ type: 'timeout', kind, height: 1n, round }).actions);
    const last = (i: number) => sent[i]!.at(-1)!;
    const byzVote = (type: 'prevote' | 'precommit', round: number, blk: Block | null) =>
      signVote(CHAIN, f.signers[byz]!, byz, type, 1n, round, blk === null ? null : hashBlock(blk.header));
    for (const i of [a, b, c]) run(i, m[i]!.start().actions);

    // Round 0: the Byzantine proposer shows X to a and b only; c times out and prevotes nil.
    const X = buildBlock({
      chainId: CHAIN,
      height: 1n,
      timeMs: GENESIS_MS + 1n,
      proposer: f.signers[byz]!.publicKey,
      lastBlockHash: ZERO_HASH,
      appHash: APP0,
      validators: f.valset,
      lastCommit: null,
      txs: [new Uint8Array([1])],
    });
    const signBytes = proposalSignBytes(CHAIN, {
      height: 1n,
      round: 0,
      polRound: -1,
      blockHash: hashBlock(X.header),
    });
    const px: Proposal = {
      height: 1n,
      round: 0,
      polRound: -1,
      block: X,
      signature: f.signers[byz]!.sign({ height: 1n, round: 0, step: 'proposal', signBytes })!,
    };
    deliver(a, px);
    deliver(b, px);
    fire(c, 'propose', 0);
    const [pa, pb, pc] = [last(a), last(b), last(c)];
    expect(pc.blockHash).toBeNull();
    // a and b see a polka for X (a, b, Byzantine) and lock; c never gets the block and precommits nil.
    for (const v of [pb, byzVote('prevote', 0, X)]) deliver(a, v);
    for (const v of [pa, byzVote('prevote', 0, X)]) deliver(b, v);
    for (const v of [pa, pb, byzVote('prevote', 0, X)]) deliver(c, v);
    fire(c, 'prevote', 0);
    const [ca, cb, cc] = [last(a), last(b), last(c)];
    expect([ca.blockHash, cb.blockHash, cc.blockHash]).toEqual([
      hashBlock(X.header),
      hashBlock(X.header),
      null,
    ]);
    // The Byzantine validator precommits X to a (a decides X) and nil to b and c; a's precommit is delayed.
    for (const v of [cb, byzVote('precommit', 0, X)]) deliver(a, v);
    expect(decided[a]).toEqual(hashBlock(X.header));
    for (const v of [cc, byzVote('precommit', 0, null)]) deliver(b, v);
    for (const v of [cb, byzVote('precommit', 0, null)]) deliver(c, v);
    fire(b, 'precommit', 0);
    fire(c, 'precommit', 0);
    expect([m[b]!.round, m[c]!.round]).toEqual([1, 1]);

    // Round 1: c proposes a new block Y; the Byzantine validator backs it. b is locked on X.
    run(
      c,
      m[c]!.handle({
        type: 'proposalTxs',
        height: 1n,
        round: 1,
        txs: [new Uint8Array([2])],
        timeMs: GENESIS_MS + 2n,
      }).actions,
    );
    const py = cProposal!;
    const Y = py.block;
    expect(hashBlock(Y.header)).not.toEqual(hashBlock(X.header));
    deliver(b, py);
    const [b1, c1] = [last(b), last(c)];
    expect(b1).toMatchObject({ type: 'prevote', round: 1, blockHash: null }); // the lock holds
    for (const v of [c1, byzVote('prevote', 1, Y)]) deliver(b, v);
    for (const v of [b1, byzVote('prevote', 1, Y)]) deliver(c, v);
    for (const i of [b, c])
      if (last(i).type === 'precommit') for (const j of [b, c]) if (j !== i) deliver(j, last(i));
    for (const i of [b, c]) deliver(i, byzVote('precommit', 1, Y));
    // Nobody decided Y: the only decision is X.
    for (const h of Object.values(decided)) expect(h).toEqual(hashBlock(X.header));
  });
});
