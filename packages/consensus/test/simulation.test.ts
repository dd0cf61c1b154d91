// Deterministic simulation of consensus, every validator running the real ConsensusDriver (sim.ts):
// seeded delays, drops, duplicates, partitions that heal, one equivocating Byzantine validator and one
// that crashes (cut before one of its next few writes or sends) and, in most seeds, restarts from its
// persisted WAL and sign-guard state.
import { equalBytes } from '@gridledger/base';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS } from '../src/machine.ts';
import { EPOCH_MS, type SimOptions, type SimResult, scenario, simulate } from './sim.ts';

/** Rounds within which a block must be decided again once a partition heals. */
const HEAL_ROUND_BOUND = 6;

function check(o: SimOptions, res: SimResult): void {
  const tag = `seed ${o.seed} n=${o.n}`;
  expect(res.violations, tag).toEqual([]);
  expect(res.committedHeight, `${tag}: live honest nodes reach the target`).toBeGreaterThanOrEqual(
    o.targetHeight,
  );
  for (const h of res.heals) {
    expect(h.decidedAtMs, `${tag}: a block is decided after the heal`).not.toBeNull();
    expect(h.roundsAfterHeal!, `${tag}: rounds after heal`).toBeLessThanOrEqual(HEAL_ROUND_BOUND);
  }
  // Evidence only ever names the Byzantine validator: the crashed-and-restarted one never double-signed.
  const byz = o.byzantine[0]!;
  for (const list of res.evidence)
    for (const e of list) {
      const who = e.kind === 'duplicate-vote' ? e.voteA.validatorIndex : e.validatorIndex;
      expect(who, `${tag}: evidence names an honest validator`).toBe(byz);
    }
  // Committed evidence jails the Byzantine validator only, from the same height on every honest node.
  const honest = res.jails.filter(
    (_, i) => !o.byzantine.includes(i) && res.nodes[i]!.height >= o.targetHeight,
  );
  for (const list of honest) {
    for (const j of list) expect(j.validatorIndex, `${tag}: an honest validator jailed`).toBe(byz);
    expect(list, `${tag}: honest nodes agree on the jails`).toEqual(honest[0]);
  }
  if (honest[0]!.length > 0) jailedRuns++;
}

let jailedRuns = 0;

let totalHeights = 0;
let evidenceSeen = 0;
let restarts = 0;
const healRounds: number[] = [];

async function runSeeds(n: number, seeds: number[], target: number, powers?: bigint[]): Promise<void> {
  for (const seed of seeds) {
    const o = scenario(seed, n, target, powers);
    const res = await simulate(o);
    check(o, res);
    totalHeights += res.committedHeight;
    evidenceSeen += res.evidence.reduce((s, l) => s + l.length, 0);
    restarts += res.restarts;
    for (const h of res.heals) healRounds.push(h.roundsAfterHeal ?? -1);
  }
}

describe('deterministic simulation', () => {
  it('n=4: safety, valid certificates and liveness after heal, across seeds', async () => {
    await runSeeds(4, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 60);
  }, 180_000);

  it('n=7: the same with a crashed validator that may never return', async () => {
    await runSeeds(7, [31, 32, 33, 34, 35, 36], 70);
  }, 180_000);

  it('n=5 with unequal voting power (1,1,1,1,3): proposer rotation and quorums by power', async () => {
    await runSeeds(5, [21, 22, 23], 40, [1n, 1n, 1n, 1n, 3n]);
  }, 60_000);

  it('covered >= 1,000 committed heights, saw evidence and restarts', () => {
    console.log(
      `simulation: ${totalHeights} heights, ${evidenceSeen} evidence records, ${restarts} restarts, ${jailedRuns} runs jailed the equivocator, rounds after heal ${JSON.stringify(healRounds)}`,
    );
    expect(totalHeights).toBeGreaterThanOrEqual(1000);
    expect(evidenceSeen).toBeGreaterThan(0);
    // Evidence is committed and acts: the equivocating validator lost its power in these runs.
    expect(jailedRuns).toBeGreaterThan(0);
    expect(restarts).toBeGreaterThan(0);
  });

  it('is not vacuous: beyond f (2 Byzantine of 4) the split adversary forks the chain and it is reported', async () => {
    let forks = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const res = await simulate({
        ...scenario(seed, 4, 20),
        byzantine: [1, 2],
        crashes: [],
        partitions: [],
        adversary: 'split',
        stopOnViolation: true,
      });
      if (res.violations.some((v) => v.startsWith('SAFETY'))) forks++;
      if (forks > 0) break;
    }
    expect(forks).toBeGreaterThan(0);
  }, 30_000);

  it('with default timeouts: a block about every second, every few seconds with one of four down', async () => {
    const run = async (down: boolean) => {
      const r = await simulate({
        ...scenario(5, 4, 30),
        gossipEveryMs: 1000,
        dropRate: 0,
        maxDelayMs: 5,
        byzantine: [],
        partitions: [],
        crashes: down ? [{ node: 0, atMs: 1, restartAtMs: null }] : [],
        timeouts: DEFAULT_TIMEOUTS,
      });
      const t = r.decisionTimesMs;
      const gaps = t.slice(1).map((x, i) => x - t[i]!);
      return { mean: (t.at(-1)! - t[0]!) / gaps.length, max: Math.max(...gaps) };
    };
    const up = await run(false);
    const down = await run(true);
    console.log(
      `block interval (simulated): all up mean ${up.mean.toFixed(0)} ms max ${up.max} ms; one of four down mean ${down.mean.toFixed(0)} ms max ${down.max} ms`,
    );
    expect(up.mean).toBeGreaterThan(900);
    expect(up.mean).toBeLessThan(1100);
    expect(down.max).toBeLessThan(3000);
    expect(down.mean).toBeLessThan(1600);
  });

  it('block time: a proposer with a skewed clock cannot move chain time beyond the bounds', async () => {
    // Node 0's clock is off by `skew`. Blocks are ~4 s apart (commit timeout), so a proposer that holds
    // time back (its clock behind: it proposes the previous block's time + 1 ms) would stamp its blocks
    // ~4 s in the past; one whose clock runs ahead would stamp them a minute in the future. With bounds
    // of 1 s, the honest validators prevote nil for those proposals and the next round's proposer's
    // block is decided instead. Every committed block's time is within the bounds of when it was decided.
    const maxMs = 1000;
    for (const skew of [-60_000, 60_000]) {
      const o: SimOptions = {
        ...scenario(21, 4, 12),
        dropRate: 0,
        dupRate: 0,
        minDelayMs: 5,
        maxDelayMs: 50,
        byzantine: [],
        partitions: [],
        crashes: [],
        timeouts: { ...DEFAULT_TIMEOUTS, commitMs: 4000 },
        clockSkewMs: [skew, 0, 0, 0],
        maxFutureBlockTimeMs: maxMs,
        maxPastBlockTimeMs: maxMs,
      };
      const r = await simulate(o);
      expect(r.violations).toEqual([]);
      expect(r.committedHeight).toBeGreaterThanOrEqual(12);
      const chain = r.nodes[1]!.chain;
      let byNode0 = 0;
      for (const { block } of chain) {
        const h = Number(block.header.height);
        const decidedMs = BigInt(r.decisionTimesMs[h - 1]!) + EPOCH_MS;
        const lagMs = decidedMs - block.header.timeMs;
        // Decided within a few message delays of the honest prevotes that checked the time.
        expect(lagMs, `height ${h}: block time ${lagMs} ms before its decision`).toBeLessThanOrEqual(
          BigInt(maxMs + 500),
        );
        expect(-lagMs, `height ${h}: block time ${-lagMs} ms after its decision`).toBeLessThanOrEqual(
          BigInt(maxMs),
        );
        if (equalBytes(block.header.proposer, r.validatorKeys[0]!)) byNode0++;
      }
      // Node 0 proposed at its turns and was refused each time: none of its blocks was committed.
      expect(byNode0, `skew ${skew}`).toBe(0);
    }
  });

  it('is deterministic: the same seed gives the same chain', async () => {
    const o = scenario(3, 4, 15);
    const a = await simulate(o);
    const b = await simulate(o);
    expect([...a.blockHashes]).toEqual([...b.blockHashes]);
    expect(a.messages).toBe(b.messages);
  });
});
