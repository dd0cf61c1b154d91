// The consensus driver against in-memory ports: the WAL is durable before anything newly signed leaves,
// a malformed message costs its sender the connection, and a machine replaced by block sync is fed the
// next-height messages the old one had buffered (their re-gossip would be dropped by p2p's seen-filter).
// The whole driver under faults is exercised by test/simulation.test.ts.

import { toHex } from '@gridledger/base';
import { describe, expect, it, vi } from 'vitest';
import { buildBlock, ZERO_HASH } from './block.ts';
import { decodeMessage, encodeEvidence, encodeMessage, hashBlock, proposalSignBytes } from './codec.ts';
import { ConsensusDriver } from './driver.ts';
import type { ChainTipView, ConsensusPorts, ConsensusWireMessage } from './driver-ports.ts';
import { makeValidators, signCommit, signVote } from './testkit.ts';
import { type Block, type CommitCertificate, type Evidence, MAX_ROUND } from './types.ts';
import { ValidatorHistory } from './validator-history.ts';
import { ProposerSchedule } from './validators.ts';
import { decodeWalState } from './wal.ts';

const CHAIN = 'gl-driver';
const { signers, valset } = makeValidators(4, undefined, 'driver');
const schedule = new ProposerSchedule(valset);
const APP0 = new Uint8Array(32).fill(0xaa);
const GENESIS_MS = 1_000_000n;

/** Lets every pending continuation of the driver's action queue run (the ports answer at once). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A driver for validator `me` whose ports record, in order, what it wrote and sent. */
function harness(
  me: number,
  proposerSchedule?: ProposerSchedule,
  options: {
    wal?: Map<bigint, Uint8Array[]>;
    holdWal?: () => boolean;
    /** Evidence in the store at start (encoded), and the chain's validator history. */
    evidence?: Uint8Array[];
    history?: ValidatorHistory;
  } = {},
) {
  const events: string[] = [];
  /** Durable WAL entries by height (pass one map to a second harness to restart from it). */
  const wal = options.wal ?? new Map<bigint, Uint8Array[]>();
  /** The gossip tick and the timers the driver scheduled, to fire by hand. */
  const ticks: (() => void)[] = [];
  const timers: (() => void)[] = [];
  const sent: ConsensusWireMessage[] = [];
  const disconnected: string[] = [];
  const chain: { block: Block; commit: CommitCertificate }[] = [];
  const tip = (): ChainTipView => {
    const last = chain[chain.length - 1];
    return {
      height: BigInt(chain.length),
      header: last?.block.header ?? null,
      cert: last?.commit ?? null,
      appHash: APP0,
    };
  };
  const ports: ConsensusPorts = {
    chain: {
      tip,
      commitDecided: async () => false,
    },
    store: {
      async appendWal(height, entry) {
        // A held write never becomes durable: the process is killed before its fsync returns.
        if (options.holdWal?.()) return new Promise(() => {});
        events.push(`wal ${decodeWalState(entry).signState?.step ?? 0}`);
        wal.set(height, [...(wal.get(height) ?? []), entry]);
      },
      loadWal: async (height) => wal.get(height) ?? [],
      async pruneWal() {},
      async saveEvidence() {},
      listEvidence: async () => (options.evidence ?? []).map((evidence) => ({ evidence })),
    },
    txs: { reap: () => [] },
    app: {
      prepareProposal: async () => [new Uint8Array([1, 2, 3])],
      processProposal: async () => true,
    },
    network: {
      broadcast(m) {
        events.push(`broadcast ${m.kind}`);
        sent.push(m);
      },
      relay(m) {
        events.push(`relay ${m.kind}`);
      },
      send(_peer, m) {
        events.push(`send ${m.kind}`);
        sent.push(m);
      },
      disconnect(peer) {
        disconnected.push(peer);
      },
      peerCount: () => 3,
    },
    clock: {
      nowMs: () => GENESIS_MS + 100n,
      after: (_ms, callback) => {
        timers.push(callback);
        return () => {};
      },
      every: (_ms, callback) => {
        ticks.push(callback);
        return () => {};
      },
    },
    log: {
      isLevelEnabled: () => false,
      trace() {},
      debug() {},
      info() {},
      warn() {},
      error() {},
    },
  };
  const driver = new ConsensusDriver(
    {
      chainId: CHAIN,
      validators: valset,
      genesisTimeMs: GENESIS_MS,
      signer: signers[me]!,
      maxBlockTxBytes: 1 << 20,
      ...(proposerSchedule ? { proposerSchedule } : {}),
      ...(options.history ? { history: options.history } : {}),
    },
    ports,
  );
  return { driver, events, sent, disconnected, chain, wal, ticks, timers };
}

describe('ConsensusDriver', () => {
  it('makes the WalState with the sign guard durable before it broadcasts what it signed', async () => {
    const proposer = schedule.proposer(1n, 0);
    const h = harness(proposer);
    await h.driver.start();
    await settle();
    // The round's WalState (nothing signed yet); then prepareProposal answered and the machine signed the
    // proposal and its prevote for it: one WalState whose guard state is the prevote (sign step 2, which
    // also refuses any other proposal of the round) is durable before either is sent.
    expect(h.events).toEqual(['wal 0', 'wal 2', 'broadcast proposal', 'broadcast vote']);
    const first = decodeMessage(h.sent[0]!.data);
    expect(first.kind === 'proposal' && first.proposal.block.txs).toEqual([new Uint8Array([1, 2, 3])]);
    expect(h.driver.stats.walWrites).toBe(2);
  });

  it('proposes the evidence found in its store at start, unless the chain committed it already', async () => {
    const proposer = schedule.proposer(1n, 0);
    const accused = (proposer + 1) % 4;
    const twin = (hash: Uint8Array) => signVote(CHAIN, signers[accused]!, accused, 'prevote', 1n, 0, hash);
    const e: Evidence = {
      kind: 'duplicate-vote',
      voteA: twin(new Uint8Array(32).fill(1)),
      voteB: twin(new Uint8Array(32).fill(2)),
    };
    const proposed = async (history?: ValidatorHistory) => {
      const h = harness(proposer, undefined, {
        evidence: [encodeEvidence(e)],
        ...(history ? { history } : {}),
      });
      await h.driver.start();
      await settle();
      const m = decodeMessage(h.sent[0]!.data);
      h.driver.stop();
      return m.kind === 'proposal' ? m.proposal.block : undefined;
    };
    const block = await proposed();
    expect(block?.evidence).toEqual([e]);
    expect(block?.header.evidenceHash).toBeDefined();
    const committed = new ValidatorHistory(valset);
    committed.apply(1n, [e]); // as if an earlier block had committed it
    const again = await proposed(committed);
    expect(again?.evidence).toBeUndefined();
  });

  it('disconnects the sender of a message that does not decode', async () => {
    const h = harness(0);
    await h.driver.start();
    h.driver.onPeerMessage({ kind: 'vote', data: new Uint8Array([0xc0, 1]) }, 'peer-x');
    expect(h.disconnected).toEqual(['peer-x']);
    expect(h.driver.stats.malformedMessages).toBe(1);
  });

  it('feeds a machine that block sync replaced the next-height messages the old one had buffered', async () => {
    const me = schedule.proposer(1n, 0) === 0 ? 1 : 0;
    const h = harness(me);
    await h.driver.start();
    await settle();
    // Two of four validators (> 1/3 of the power) prevote at height 2, round 1: received at height 1,
    // the machine buffers them and the driver relays them.
    const others = [0, 1, 2, 3].filter((i) => i !== me).slice(0, 2);
    for (const i of others) {
      const vote = signVote(CHAIN, signers[i]!, i, 'prevote', 2n, 1, null);
      h.driver.onPeerMessage({ kind: 'vote', data: encodeMessage({ kind: 'vote', vote }) }, `peer-${i}`);
    }
    expect(h.events.filter((e) => e === 'relay vote')).toHaveLength(2);
    expect(h.driver.position()).toMatchObject({ height: 1n, round: 0 });
    // Block sync commits block 1: the machine is replaced by one at height 2, which gets the two votes
    // again and skips to their round (Algorithm 1, line 55).
    const block = buildBlock({
      chainId: CHAIN,
      height: 1n,
      timeMs: GENESIS_MS + 10n,
      proposer: signers[schedule.proposer(1n, 0)]!.publicKey,
      lastBlockHash: ZERO_HASH,
      appHash: APP0,
      validators: valset,
      lastCommit: null,
      txs: [],
    });
    h.chain.push({ block, commit: signCommit(CHAIN, signers, [0, 1, 2], 1n, 0, hashBlock(block.header)) });
    h.driver.onCommitted(1n, 'sync');
    expect(h.driver.position()).toMatchObject({ height: 2n, round: 1 });
    h.driver.stop();
  });

  // Issue 17, H3: the 300 ms gossip tick (and a new peer's catch-up) sent our own vote from the machine's
  // state before the WAL entry covering it was durable; killed in that window, the restarted validator
  // had no record of the vote and signed a conflicting one (valid equivocation evidence against itself).
  it('never gossips its own vote before the WAL entry covering it is durable (crash in the window)', async () => {
    const proposer = schedule.proposer(1n, 0);
    const me = proposer === 0 ? 1 : 0;
    let hold = false;
    const first = harness(me, undefined, { holdWal: () => hold });
    await first.driver.start();
    await settle();
    const block = buildBlock({
      chainId: CHAIN,
      height: 1n,
      timeMs: GENESIS_MS + 10n,
      proposer: signers[proposer]!.publicKey,
      lastBlockHash: ZERO_HASH,
      appHash: APP0,
      validators: valset,
      lastCommit: null,
      txs: [],
    });
    const blockHash = hashBlock(block.header);
    const signBytes = proposalSignBytes(CHAIN, { height: 1n, round: 0, polRound: -1, blockHash });
    const signature = signers[proposer]!.sign({ height: 1n, round: 0, step: 'proposal', signBytes })!;
    const proposal = { height: 1n, round: 0, polRound: -1, block, signature };
    // From here the WAL write of our prevote for the block never completes (the window).
    hold = true;
    first.driver.onPeerMessage(
      { kind: 'proposal', data: encodeMessage({ kind: 'proposal', proposal }) },
      'p',
    );
    await settle();
    await settle();
    first.driver.onPeerConnected('new-peer');
    for (const tick of first.ticks) tick();
    first.driver.stop();
    // Restart from the durable WAL (round 0, nothing signed); the propose timeout has passed: prevote nil.
    const second = harness(me, undefined, { wal: first.wal });
    await second.driver.start();
    await settle();
    for (const fire of second.timers.splice(0)) fire();
    await settle();
    second.driver.stop();
    const mine = [...first.sent, ...second.sent]
      .map((m) => decodeMessage(m.data))
      .flatMap((m) => (m.kind === 'vote' && m.vote.validatorIndex === me ? [m.vote] : []))
      .filter((v) => v.type === 'prevote' && v.height === 1n && v.round === 0);
    expect(mine.map((v) => (v.blockHash ? toHex(v.blockHash) : 'nil'))).toEqual(['nil']);
  });

  // Issue 17, C2: a proposal for a far height or round made the driver walk the proposer schedule one
  // step per height/round before it looked at the signature (height +2^50: years; round 2^31-2: minutes).
  describe('bounds a peer message before any work on it', () => {
    /** A harness whose schedule records what it was asked and refuses (instead of walking) a far target. */
    function bounded() {
      const sched = new ProposerSchedule(valset);
      const asked: string[] = [];
      const real = sched.proposer.bind(sched);
      vi.spyOn(sched, 'proposer').mockImplementation((height: bigint, round: number) => {
        asked.push(`${height}/${round}`);
        if (height > 10n || round > 1000) throw new Error(`walked to ${height}/${round}`);
        return real(height, round);
      });
      const me = schedule.proposer(1n, 0) === 0 ? 1 : 0;
      return { h: harness(me, sched), asked };
    }
    /** A 313-byte-class proposal: an empty block at (height, round), signed by someone (it is never checked). */
    function farProposal(height: bigint, round: number): ConsensusWireMessage {
      const block = buildBlock({
        chainId: CHAIN,
        height,
        timeMs: GENESIS_MS + 10n,
        proposer: signers[0]!.publicKey,
        lastBlockHash: ZERO_HASH,
        appHash: APP0,
        validators: valset,
        lastCommit: null,
        txs: [],
      });
      const proposal = { height, round, polRound: -1, block, signature: new Uint8Array(64).fill(7) };
      return { kind: 'proposal', data: encodeMessage({ kind: 'proposal', proposal }) };
    }

    it('drops a proposal for height +2^50 unverified, without walking the schedule', async () => {
      const { h, asked } = bounded();
      await h.driver.start();
      await settle();
      const before = asked.length;
      h.driver.onPeerMessage(farProposal(1n + 2n ** 50n, 0), 'peer-far');
      expect(asked.slice(before)).toEqual([]);
      expect(h.events).not.toContain('relay proposal');
      expect(h.driver.stats.messagesOutOfBounds).toBe(1);
      h.driver.stop();
    });

    it('drops a proposal for round 2^31-2 at the current and the next height, and its sender', async () => {
      const { h, asked } = bounded();
      await h.driver.start();
      await settle();
      const before = asked.length;
      h.driver.onPeerMessage(farProposal(1n, MAX_ROUND), 'peer-r1');
      h.driver.onPeerMessage(farProposal(2n, MAX_ROUND), 'peer-r2');
      const vote = signVote(CHAIN, signers[2]!, 2, 'prevote', 1n, MAX_ROUND, null);
      h.driver.onPeerMessage({ kind: 'vote', data: encodeMessage({ kind: 'vote', vote }) }, 'peer-r3');
      expect(asked.slice(before)).toEqual([]);
      expect(h.events.filter((e) => e.startsWith('relay'))).toEqual([]);
      expect(h.disconnected).toEqual(['peer-r1', 'peer-r2', 'peer-r3']);
      expect(h.driver.stats.messagesOutOfBounds).toBe(3);
      h.driver.stop();
    });

    it('still verifies and relays an in-bounds next-height vote', async () => {
      const { h } = bounded();
      await h.driver.start();
      await settle();
      const vote = signVote(CHAIN, signers[2]!, 2, 'prevote', 2n, 3, null);
      h.driver.onPeerMessage({ kind: 'vote', data: encodeMessage({ kind: 'vote', vote }) }, 'peer-ok');
      expect(h.events).toContain('relay vote');
      expect(h.disconnected).toEqual([]);
      h.driver.stop();
    });
  });
});
