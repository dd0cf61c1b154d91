import { describe, expect, it } from 'vitest';
import { buildBlock, ZERO_HASH } from './block.ts';
import { ChainVerifier, verifyBlockChain } from './chain-verifier.ts';
import { hashBlock } from './codec.ts';
import { makeValidators, signCommit } from './testkit.ts';
import { type Block, type CommitCertificate, MAX_ROUND } from './types.ts';
import { ProposerSchedule } from './validators.ts';
import { verifyCommit } from './verify.ts';

const CHAIN = 'gl-test';
const { signers, valset } = makeValidators(4);
const hash = new Uint8Array(32).fill(9);

describe('verifyCommit', () => {
  it('accepts more than 2/3 of the power with valid distinct signatures', () => {
    expect(verifyCommit(signCommit(CHAIN, signers, [0, 1, 2], 3n, 1, hash), valset, CHAIN)).toEqual({
      ok: true,
    });
    expect(verifyCommit(signCommit(CHAIN, signers, [0, 1, 2, 3], 3n, 1, hash), valset, CHAIN).ok).toBe(true);
  });
  it('rejects exactly 2/3, duplicates, unknown indices, bad signatures, another chain or round', () => {
    const r2 = verifyCommit(signCommit(CHAIN, signers, [0, 1], 3n, 1, hash), valset, CHAIN);
    expect(r2).toEqual({ ok: false, reason: 'commit 3: signed power 20 of 40 is not more than 2/3' });
    const weighted = makeValidators(4, [1n, 1n, 1n, 3n]);
    // 3 of 6 power is exactly half; 4 of 6 is exactly 2/3: neither is a quorum; 5 of 6 is.
    expect(
      verifyCommit(signCommit(CHAIN, weighted.signers, [0, 1, 2], 3n, 0, hash), weighted.valset, CHAIN).ok,
    ).toBe(false);
    expect(
      verifyCommit(signCommit(CHAIN, weighted.signers, [0, 3], 3n, 0, hash), weighted.valset, CHAIN).ok,
    ).toBe(false);
    expect(
      verifyCommit(signCommit(CHAIN, weighted.signers, [0, 1, 3], 3n, 0, hash), weighted.valset, CHAIN).ok,
    ).toBe(true);
    const c = signCommit(CHAIN, signers, [0, 1, 2], 3n, 1, hash);
    const dup: CommitCertificate = {
      ...c,
      signatures: [c.signatures[0]!, c.signatures[0]!, c.signatures[1]!],
    };
    expect(verifyCommit(dup, valset, CHAIN)).toMatchObject({ ok: false, reason: /signs more than once/ });
    const unknown: CommitCertificate = {
      ...c,
      signatures: [...c.signatures, { validatorIndex: 7, signature: c.signatures[0]!.signature }],
    };
    expect(verifyCommit(unknown, valset, CHAIN)).toMatchObject({
      ok: false,
      reason: /index 7 is not in the set of 4/,
    });
    const swapped: CommitCertificate = {
      ...c,
      signatures: [
        { validatorIndex: 0, signature: c.signatures[1]!.signature },
        c.signatures[1]!,
        c.signatures[2]!,
      ],
    };
    expect(verifyCommit(swapped, valset, CHAIN)).toMatchObject({
      ok: false,
      reason: /invalid signature of validator 0/,
    });
    expect(verifyCommit(c, valset, 'other-chain').ok).toBe(false);
    expect(verifyCommit({ ...c, round: 2 }, valset, CHAIN).ok).toBe(false);
    expect(verifyCommit({ ...c, height: 4n }, valset, CHAIN).ok).toBe(false);
    expect(verifyCommit({ ...c, blockHash: new Uint8Array(32) }, valset, CHAIN).ok).toBe(false);
  });
});

function makeChain(n: number): { block: Block; commit: CommitCertificate }[] {
  const out: { block: Block; commit: CommitCertificate }[] = [];
  let last: CommitCertificate | null = null;
  let lastHash = ZERO_HASH;
  for (let h = 1n; h <= BigInt(n); h++) {
    const block = buildBlock({
      chainId: CHAIN,
      height: h,
      timeMs: 1000n * h,
      proposer: signers[Number(h) % 4]!.publicKey,
      lastBlockHash: lastHash,
      appHash: new Uint8Array(32).fill(Number(h)),
      validators: valset,
      lastCommit: last,
      txs: [new Uint8Array([Number(h)]), new Uint8Array([1, 2, 3])],
    });
    lastHash = hashBlock(block.header);
    const commit = signCommit(CHAIN, signers, [0, 1, 3], h, 0, lastHash);
    out.push({ block, commit });
    last = commit;
  }
  return out;
}

describe('ChainVerifier', () => {
  const chain = makeChain(6);
  it('accepts a good chain', () => {
    expect(verifyBlockChain(CHAIN, valset, chain)).toEqual({ ok: true, height: 6n });
  });
  it('names the first bad height for a modified transaction, a broken link and a forged certificate', () => {
    const tx = structuredClone(chain);
    tx[3]!.block.txs[0] = new Uint8Array([99]);
    expect(verifyBlockChain(CHAIN, valset, tx)).toMatchObject({
      ok: false,
      height: 4n,
      reason: /transaction root/,
    });

    const link = structuredClone(chain);
    link[2]!.block.header.appHash = new Uint8Array(32); // changes block 3's hash: its certificate no longer matches
    expect(verifyBlockChain(CHAIN, valset, link)).toMatchObject({
      ok: false,
      height: 3n,
      reason: /certificate is for another block/,
    });

    const link2 = structuredClone(chain);
    link2[4]!.block.header.lastBlockHash = new Uint8Array(32).fill(1);
    expect(verifyBlockChain(CHAIN, valset, link2)).toMatchObject({
      ok: false,
      height: 5n,
      reason: /does not link/,
    });

    const forged = structuredClone(chain);
    const sig = forged[1]!.commit.signatures[2]!;
    sig.signature = sig.signature.slice();
    sig.signature[10]! ^= 0xff;
    expect(verifyBlockChain(CHAIN, valset, forged)).toMatchObject({
      ok: false,
      height: 2n,
      reason: /invalid signature of validator 3/,
    });

    const weak = structuredClone(chain);
    weak[5]!.commit.signatures = weak[5]!.commit.signatures.slice(0, 2);
    expect(verifyBlockChain(CHAIN, valset, weak)).toMatchObject({
      ok: false,
      height: 6n,
      reason: /not more than 2\/3/,
    });

    const v = new ChainVerifier(CHAIN, valset);
    expect(v.push(chain[0]!.block, chain[0]!.commit).ok).toBe(true);
    expect(v.push(chain[2]!.block, chain[2]!.commit)).toMatchObject({
      ok: false,
      height: 2n,
      reason: /expected height 2/,
    });
  });
});

describe('ProposerSchedule (CometBFT weighted round robin)', () => {
  it("matches CometBFT's reference sequence (types/validator_set_test.go TestProposerSelection1)", () => {
    // Powers 1000, 300, 330 with tie-break addresses "foo", "bar", "baz"; 99 heights, as validator indices.
    const expected =
      '020100201002001020010020100201002001020010200102001020002100020100201002010020100200102001020010200';
    const w = makeValidators(3, [1000n, 300n, 330n]);
    const s = new ProposerSchedule(
      w.valset,
      ['foo', 'bar', 'baz'].map((n) => new TextEncoder().encode(n)),
    );
    let got = '';
    for (let h = 1n; h <= 99n; h++) got += s.proposer(h, 0);
    expect(got).toBe(expected);
  });

  it('rotates evenly among equal powers', () => {
    const s = new ProposerSchedule(valset);
    const seq = Array.from({ length: 8 }, (_, h) => s.proposer(BigInt(h + 1), 0));
    expect(new Set(seq.slice(0, 4)).size).toBe(4);
    expect(seq.slice(4)).toEqual(seq.slice(0, 4));
  });
  it('chooses in proportion to voting power, the same when asked out of order', () => {
    const w = makeValidators(3, [1n, 2n, 7n]);
    const s = new ProposerSchedule(w.valset);
    const counts = [0, 0, 0];
    const seq: number[] = [];
    for (let h = 1n; h <= 1000n; h++) {
      const p = s.proposer(h, 0);
      counts[p]!++;
      seq.push(p);
    }
    expect(counts).toEqual([100, 200, 700]);
    const t = new ProposerSchedule(w.valset);
    t.advanceTo(500n);
    expect(t.proposer(500n, 0)).toBe(seq[499]);
    t.advanceTo(3n);
    expect(t.proposer(3n, 0)).toBe(seq[2]);
    // Round r at height h: r further increments of the set at h (so round 1 at h is never the round-0 proposer
    // when powers are equal).
    const e = new ProposerSchedule(valset);
    for (let h = 1n; h < 20n; h++) expect(e.proposer(h, 1)).not.toBe(e.proposer(h, 0));
    e.advanceTo(5n);
    expect([0, 1, 2, 3].map((r) => e.proposer(5n, r)).sort()).toEqual([0, 1, 2, 3]);
  });

  // Issue 17, C2: the schedule walked one step per height or round to any target a peer named.
  it('refuses a far height or round without walking, and keeps the current and next height', () => {
    const s = new ProposerSchedule(valset);
    s.advanceTo(1000n);
    const walked = s.steps;
    expect(() => s.proposer(1000n + 2n ** 50n, 0)).toThrow(RangeError);
    expect(() => s.proposer(1000n, MAX_ROUND)).toThrow(/more than 10000 steps/);
    expect(() => s.proposer(1001n, MAX_ROUND)).toThrow(RangeError);
    expect(() => s.proposer(998n, 0)).toThrow(/before the heights kept/);
    expect(s.steps).toBe(walked);
    // The next height costs one step; going back to the current one costs nothing (it used to restart
    // from genesis: 1,000 steps), and so do both again; the height before stays kept too.
    expect(() => s.proposer(999n, 0)).not.toThrow();
    const b = s.proposer(1000n, 0);
    const a = s.proposer(1001n, 0);
    expect(s.steps).toBe(walked + 1);
    expect([s.proposer(1001n, 0), s.proposer(1000n, 0)]).toEqual([a, b]);
    expect(s.steps).toBe(walked + 1);
    const fresh = new ProposerSchedule(valset);
    fresh.advanceTo(1001n);
    expect(fresh.proposer(1001n, 0)).toBe(a);
    expect(fresh.proposer(1000n, 3)).toBe(s.proposer(1000n, 3));
  });
});
