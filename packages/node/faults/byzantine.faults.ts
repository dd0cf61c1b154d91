// A Byzantine validator (`npm run test:faults`): validators 0..2 are honest `gridledger node` processes;
// validator 3's key is held by byzantine-peer.ts, a process that completes the real p2p handshake and then
// equivocates, proposes twice, sends far-future and oversized messages, replays handshakes and lies about
// its height. The honest nodes keep committing, never commit conflicting blocks, store the equivocation
// as evidence, and a restarted honest node catches up while the liar announces height 2^62.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEvidence } from '@gridledger/consensus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestNet } from '../test/harness.ts';
import { ByzantineProcess } from './byzantine-process.ts';
import { chainOf, compareChains, evidenceOf } from './faults-harness.ts';

const net = new TestNet(4);
const HONEST = [0, 1, 2];
const BYZANTINE = 3;
const T = 240_000;
let byz: ByzantineProcess | undefined;
const figures: Record<string, unknown> = {};

/** Sends one command to the Byzantine process and waits for its JSON answer. */
async function command(line: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const hit = await byz!.command(line, timeoutMs);
  figures[line] = hit;
  return hit;
}

const top = async () => {
  const hs = await Promise.all(HONEST.map((k) => net.height(k).catch(() => 0n)));
  return hs.reduce((a, b) => (a > b ? a : b), 0n);
};

beforeAll(async () => {
  await net.init('faults-byzantine');
  await Promise.all(HONEST.map((k) => net.start(k)));
  await net.waitHeight(HONEST, 3n, 120_000);
  byz = new ByzantineProcess(net, BYZANTINE, HONEST);
  await byz.ready(120_000);
  expect(byz.lines[0]).toMatchObject({ cmd: 'ready', handshakes: 3, me: BYZANTINE });
}, T);

afterAll(async () => {
  process.stderr.write(
    `byzantine figures: ${JSON.stringify(figures, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`,
  );
  try {
    process.stderr.write(
      `byzantine-peer stderr:\n${readFileSync(join(net.dir, 'byzantine.log'), 'utf8').slice(-3000)}\n`,
    );
  } catch {}
  await byz?.kill();
  await net.destroy();
}, 60_000);

// Evidence is acted on (docs/node-and-p2p.md "Evidence and jailing"): once its proposals' or votes'
// evidence is committed, validator 3 has power 0, so the attacks that need its power (the height lie,
// where 0 and 1 commit with its votes) run first, and the proposals before the equivocation (once
// jailed it proposes no round of the honest schedule).
describe('a Byzantine validator among 3 honest ones', () => {
  it(
    'far-future messages: heights beyond the next are dropped without blame, a round 200 ahead gets it disconnected',
    async () => {
      const h = await top();
      const r = await command('far');
      expect(r).toMatchObject({ farHeightClosed: false, farRoundClosed: true });
      await net.waitHeight(HONEST, h + 2n, 120_000);
      expect(net.log(0) + net.log(1) + net.log(2)).toMatch(/round \d+ more than 100 ahead/);
    },
    T,
  );

  it(
    'oversized frames, before and after the handshake, close the connection at the header',
    async () => {
      const r = await command('oversize');
      expect(r).toMatchObject({ afterHandshake: true, beforeHandshake: true });
      const log = HONEST.map((k) => net.log(k)).join('');
      expect(log).toMatch(/frame of \d+ bytes exceeds the limit of 4194320/);
      expect(log).toMatch(/frame of 2048 bytes exceeds the limit of 1024/);
    },
    T,
  );

  it(
    'replayed handshakes are refused: a recorded hello+auth, a reflected hello, a hello inside the channel',
    async () => {
      const r = await command('replay');
      expect(r).toMatchObject({ replayed: true, reflected: true, helloInChannel: true });
      const log = HONEST.map((k) => net.log(k)).join('');
      expect(log).toMatch(/frame does not authenticate/);
      expect(log).toMatch(/peer echoed our ephemeral key/);
      expect(log).toMatch(/unexpected hello after handshake/);
    },
    T,
  );

  it(
    'lies about its height (2^62, never backed) while an honest validator is down: that one catches up',
    async () => {
      await command('lie on');
      await net.stop(2, 'SIGKILL');
      // Validators 0 and 1 commit with the liar's votes (it votes along with every proposal meanwhile).
      const h = await top();
      await net.waitHeight([0, 1], h + 5n, 180_000);
      await net.start(2);
      const target = await net.height(0);
      await net.waitHeight([2], target, 120_000);
      figures.liarCatchUp = { stoppedAt: h, caughtUpTo: target };
      await command('lie off');
    },
    T,
  );

  it(
    'signs two proposals for a round it proposes: the chain goes on',
    async () => {
      const h = await top();
      const r = await command('proposals');
      expect(r.error).toBeUndefined();
      await net.waitHeight(HONEST, h + 3n, 120_000);
    },
    T,
  );

  it(
    'equivocates (a different vote to each peer, then all of them) for 5 heights: the chain goes on',
    async () => {
      const h = await top();
      const r = await command('equivocate 5');
      expect(r.heights).toHaveLength(5);
      await net.waitHeight(HONEST, h + 5n, 120_000);
    },
    T,
  );

  it(
    'stopped: 0 conflicting commits among honest nodes, the equivocation stored as evidence against validator 3',
    async () => {
      const report = await command('report');
      // The committed evidence jailed validator 3 on every honest node, with one record.
      const jailed = await Promise.all(
        HONEST.map(async (k) => (await net.rpc(k, 'gl_validators'))[BYZANTINE]),
      );
      for (const v of jailed) {
        expect(v.jailed).not.toBeNull();
        expect(v.jailed).toEqual(jailed[0].jailed);
      }
      await byz!.end();
      const h = await top();
      await net.waitHeight(HONEST, h + 2n, 120_000).catch(() => {}); // 3 honest of 4: live on their own
      await net.stopAll();
      const chains = await Promise.all(HONEST.map((k) => chainOf(net, k)));
      const c = compareChains(chains);
      const kinds: Record<string, number> = {};
      for (const k of HONEST) {
        const ev = (await evidenceOf(net, k)).map(decodeEvidence);
        expect(ev.length).toBeGreaterThan(0);
        for (const e of ev) {
          const who = e.kind === 'duplicate-vote' ? e.voteA.validatorIndex : e.validatorIndex;
          expect(who).toBe(BYZANTINE);
          kinds[`node${k} ${e.kind}`] = (kinds[`node${k} ${e.kind}`] ?? 0) + 1;
        }
      }
      figures.final = { heights: c.top, common: c.common, conflicts: c.conflicts, evidence: kinds, report };
      figures.jailed = jailed;
      expect(c.conflicts).toBe(0);
      expect(c.common).toBeGreaterThan(15);
      expect(Object.keys(kinds).some((k) => k.endsWith('duplicate-proposal'))).toBe(true);
    },
    T,
  );
});
