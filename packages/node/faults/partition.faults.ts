// Partitions (`npm run test:faults`): 4 validator processes whose every connection runs through a TCP
// proxy (proxy.ts). Delayed links, a reordering (hence corrupting) link, one validator cut off, a 2|2
// split that stops all commits, and a silent 2|2 split (a blackhole: nothing passes, nothing closes, so
// only the p2p keepalive tells the peers); after healing, the first block commits within 3 rounds of the
// round in progress at the heal. Every node ends with the same block and app hash at every height.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, TestNet } from '../test/harness.ts';
import { chainOf, compareChains, evidenceOf, faultSeed, seededRandom } from './faults-harness.ts';
import { ProxyMesh } from './proxy.ts';

const net = new TestNet(4);
const ALL = [0, 1, 2, 3];
const T = 240_000;
let mesh: ProxyMesh | undefined;
const figures: Record<string, unknown> = {};

const heights = () => Promise.all(ALL.map((k) => net.height(k)));
const top = (hs: bigint[]) => hs.reduce((a, b) => (a > b ? a : b), 0n);

beforeAll(async () => {
  const seed = faultSeed('partition');
  figures.seed = seed;
  await net.init('faults-partition');
  // Debug logs: the consensus actions name the height/round each node is in (to count rounds after heal).
  for (const k of ALL) {
    const path = join(net.home(k), 'config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    c.log.level = 'debug';
    writeFileSync(path, JSON.stringify(c, null, 2));
  }
  mesh = await ProxyMesh.install(net, seededRandom(seed));
  await Promise.all(ALL.map((k) => net.start(k)));
  await net.waitHeight(ALL, 3n, 120_000);
}, T);

afterAll(async () => {
  process.stderr.write(
    `partition figures: ${JSON.stringify(figures, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
  );
  await net.destroy();
  await mesh?.close();
}, 60_000);

/** The highest round node k's consensus had reached at `height` by wall time `atMs` (from its debug log). */
function roundAt(k: number, height: bigint, atMs: number): number {
  let round = -1;
  for (const line of net.log(k).split('\n')) {
    if (!line.includes('consensus: action')) continue;
    let j: { time: number; action: string };
    try {
      j = JSON.parse(line);
    } catch {
      continue;
    }
    if (j.time > atMs) break;
    const m = /(?:timeout \w+|broadcast \w+|persist) (\d+)\/(\d+)/.exec(j.action);
    if (m && BigInt(m[1]!) === height && Number(m[2]) > round) round = Number(m[2]);
  }
  return round;
}

/** The certificate round of block `height` as node k logged its commit. */
function commitRoundOf(k: number, height: bigint): number {
  for (const line of net.log(k).split('\n')) {
    if (!line.includes('"committed block"')) continue;
    const j = JSON.parse(line) as { height: string | number; round: number };
    if (BigInt(j.height) === height) return j.round;
  }
  throw new Error(`node${k} logged no commit of height ${height}`);
}

/**
 * With a partition in place: waits for a block already decided to land, checks that no node commits for
 * `stallMs`, heals, and checks that the next block commits within 3 rounds of the round in progress at the
 * heal (each side sees 2 of 4 prevotes: no side reaches the prevote timeout, so the rounds stand still).
 * Rounds at the heal are -1 for a node that was still a height behind.
 */
async function stallThenHeal(stallMs: number): Promise<Record<string, unknown>> {
  await sleep(2_000); // a block already decided may still land
  const stalled = await heights();
  await sleep(stallMs);
  expect(await heights()).toEqual(stalled);
  const next = top(stalled) + 1n;
  const healedAt = Date.now();
  mesh!.heal();
  await net.waitHeight(ALL, next, 120_000);
  const rounds = ALL.map((k) => roundAt(k, next, healedAt));
  const commitRound = commitRoundOf(0, next);
  const inProgress = Math.max(...rounds);
  // Read from the log of every node that was on height `next` at the heal (one still catching up from the
  // test before, one height behind, was on an earlier height: it has no round of `next` to report).
  const onNext = ALL.filter((k) => stalled[k] === next - 1n);
  expect(onNext.length).toBeGreaterThanOrEqual(2);
  for (const k of onNext) expect(rounds[k]).toBeGreaterThanOrEqual(0);
  expect(commitRound - inProgress + 1).toBeLessThanOrEqual(3);
  return {
    stalledAt: stalled,
    roundsAtHeal: rounds,
    commitRound,
    roundsAfterHeal: commitRound - inProgress + 1,
    secondsToCommit: (Date.now() - healedAt) / 1000,
  };
}

describe('4 validators behind TCP proxies', () => {
  it(
    'keep committing with every link delayed by 150 ms',
    async () => {
      mesh!.setAll(ALL, { kind: 'delay', ms: 150 });
      const h = top(await heights());
      await net.waitHeight(ALL, h + 4n, 120_000);
      mesh!.heal();
      figures.delayedChunks = mesh!.stats.chunksDelayed;
    },
    T,
  );

  it(
    'keep committing while the 0-1 link reorders its bytes (the sealed channel refuses them and reconnects)',
    async () => {
      const before = mesh!.stats.batchesReordered;
      mesh!.set(0, 1, { kind: 'reorder', window: 4 });
      const h = top(await heights());
      await net.waitHeight(ALL, h + 4n, 120_000);
      mesh!.heal();
      figures.reorderedBatches = mesh!.stats.batchesReordered - before;
      const refused = [0, 1].map(
        (k) =>
          net
            .log(k)
            .split('\n')
            .filter((l) =>
              /does not authenticate|exceeds the limit|unknown message type|message: expected/.test(l),
            ).length,
      );
      figures.reorderRefusals = refused;
      expect(figures.reorderedBatches as number).toBeGreaterThan(0);
    },
    T,
  );

  it(
    'three validators go on while one is cut off; it catches up once healed',
    async () => {
      mesh!.partition([3], [0, 1, 2]);
      const h = top(await heights());
      await net.waitHeight([0, 1, 2], h + 5n, 120_000);
      const cut = await net.height(3);
      mesh!.heal();
      const target = (await net.height(0)) + 1n;
      await net.waitHeight(ALL, target, 120_000);
      figures.cutOff = { node3At: cut, othersReached: target - 1n };
    },
    T,
  );

  it(
    'a 2|2 split commits nothing; once healed the next block commits within 3 rounds',
    async () => {
      mesh!.partition([0, 1], [2, 3]);
      figures.split = await stallThenHeal(6_000);
    },
    T,
  );

  it(
    'a silent 2|2 split (a blackhole: no byte passes, no connection closes) commits nothing; once healed the next block commits within 3 rounds',
    async () => {
      // The connections open at the split stay silent for good (a middlebox that lost their state): the
      // peers must notice by the p2p keepalive, drop them and redial; the redials pass once healed.
      const silenced = mesh!.stats.blackholed;
      mesh!.partition([0, 2], [1, 3], { kind: 'blackhole' });
      const r = await stallThenHeal(12_000);
      const keepaliveCloses = ALL.map(
        (k) =>
          net
            .log(k)
            .split('\n')
            .filter((l) => /keepalive/.test(l)).length,
      );
      figures.silentSplit = { ...r, silenced: mesh!.stats.blackholed - silenced, keepaliveCloses };
      // The 4 connections across the split went silent, and the keepalive (not a close) ended each.
      expect(mesh!.stats.blackholed - silenced).toBeGreaterThanOrEqual(4);
      expect(keepaliveCloses.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
    },
    T,
  );

  it(
    'stopped, every node holds the same block and app hash at every height, and no evidence',
    async () => {
      const h = top(await heights());
      await net.waitHeight(ALL, h + 2n, 120_000);
      await net.stopAll();
      const chains = await Promise.all(ALL.map((k) => chainOf(net, k)));
      const c = compareChains(chains);
      figures.final = { heights: c.top, conflicts: c.conflicts, proxy: mesh!.stats };
      expect(c.conflicts).toBe(0);
      expect(c.common).toBeGreaterThan(15);
      for (const k of ALL) expect(await evidenceOf(net, k)).toEqual([]);
    },
    T,
  );
});
