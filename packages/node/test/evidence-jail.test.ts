// Equivocation evidence acted on, end to end: validators 0..2 are honest `gridledger node` processes;
// validator 3's key is held by the fault tests' Byzantine peer (faults/byzantine-peer.ts), which signs
// conflicting prevotes and precommits. The honest nodes detect it, an honest proposer commits the evidence
// in a block, and validator 3's power is 0 from two heights later on every honest node (gl_validators,
// gl_status); the chain goes on without it, a restarted honest node rebuilds the same jail from its store,
// and `gridledger verify` replays the chain, evidence and jail included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByzantineProcess } from '../faults/byzantine-process.ts';
import { loadHome } from '../src/home.ts';
import { verifyStoredChain } from '../src/verify-chain.ts';
import { sleep, TestNet } from './harness.ts';

const net = new TestNet(4);
const HONEST = [0, 1, 2];
const BYZANTINE = 3;
const T = 120_000;
let byz: ByzantineProcess | undefined;
const command = (line: string, timeoutMs = 60_000) => byz!.command(line, timeoutMs);

async function until<X>(what: string, f: () => Promise<X | undefined>, timeoutMs = 90_000): Promise<X> {
  const t0 = Date.now();
  for (;;) {
    const x = await f().catch(() => undefined);
    if (x !== undefined) return x;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${what}`);
    await sleep(250);
  }
}

beforeAll(async () => {
  await net.init('evidence-jail');
  await Promise.all(HONEST.map((k) => net.start(k)));
  await net.waitHeight(HONEST, 2n, 60_000);
  byz = new ByzantineProcess(net, BYZANTINE, HONEST);
  await byz.ready(90_000);
}, T);

afterAll(async () => {
  await byz?.kill();
  await net.destroy();
}, 60_000);

describe('an equivocating validator is jailed', () => {
  it(
    'its evidence is committed, its power is 0 from two heights later on every honest node, the chain goes on',
    async () => {
      // Before: every validator has its genesis power and nobody is jailed.
      const before = await net.rpc(0, 'gl_validators');
      expect(before.map((v: { power: string }) => v.power)).toEqual(['10', '10', '10', '10']);
      expect((await net.rpc(0, 'gl_status')).jailed).toEqual([]);
      await command('equivocate 2');
      const jails = await Promise.all(
        HONEST.map((k) =>
          until(`node${k} to jail validator 3`, async () => {
            const vs = await net.rpc(k, 'gl_validators');
            return vs[BYZANTINE].power === '0' ? vs : undefined;
          }),
        ),
      );
      const record = jails[0][BYZANTINE].jailed;
      expect(record).toMatchObject({ evidence: expect.stringMatching(/^3\/\d+\/\d+\/(prevote|precommit)$/) });
      expect(BigInt(record.fromHeight)).toBe(BigInt(record.committedAt) + 2n);
      for (const vs of jails) {
        expect(vs[BYZANTINE].jailed).toEqual(record);
        for (const k of HONEST) expect(vs[k]).toMatchObject({ power: '10', jailed: null });
      }
      for (const k of HONEST) {
        const s = await net.rpc(k, 'gl_status');
        expect(s.jailed).toEqual([{ index: BYZANTINE, publicKey: jails[0][BYZANTINE].publicKey, ...record }]);
      }
      // The block that committed it carries the evidence (the header's evidenceHash is set).
      const committedAt = BigInt(record.committedAt);
      expect(net.log(0) + net.log(1) + net.log(2)).toMatch(/validator jailed/);
      // Blocks after the jail commit with 3 of 3 remaining validators; validator 3 signs none of them.
      const from = BigInt(record.fromHeight);
      await net.waitHeight(HONEST, from + 2n, 60_000);
      for (let h = from; h <= from + 2n; h++) {
        const c = await net.rpc(0, 'gl_commit', [h.toString()]);
        expect(c.signatures.map((s: { validatorIndex: number }) => s.validatorIndex)).not.toContain(
          BYZANTINE,
        );
      }
      // Its later equivocation is not even evidence any more: its votes are ignored (power 0).
      await command('equivocate 1');
      const top = await net.height(0);
      await net.waitHeight(HONEST, top + 2n, 60_000);
      expect((await net.rpc(1, 'gl_status')).jailed).toHaveLength(1);

      // A restarted honest node rebuilds the same jail from its store and keeps committing.
      await byz!.end();
      await net.stop(0);
      await net.start(0);
      const after = await net.rpc(0, 'gl_validators');
      expect(after[BYZANTINE]).toEqual(jails[0][BYZANTINE]);
      const h = await net.height(1);
      await net.waitHeight(HONEST, h + 2n, 60_000);
      // `gridledger verify` replays the stored chain: evidence, jail and the later commits check out.
      await net.stopAll();
      const v = await verifyStoredChain(loadHome(net.home(1)));
      expect(v).toMatchObject({ ok: true });
      expect(committedAt).toBeGreaterThan(0n);
    },
    T * 2,
  );
});
