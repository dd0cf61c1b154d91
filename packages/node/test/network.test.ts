// Four validator processes on 127.0.0.1: liveness, one and two validators down, recovery, a SIGKILL
// mid-run with catch-up by block sync, identical chains everywhere, and `verify` finding tampering.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '@gridledger/base';
import {
  decodeBlock,
  decodeCommit,
  encodeBlock,
  encodeCommit,
  hashBlock,
  signEd25519,
  voteSignBytes,
} from '@gridledger/consensus';
import { NodeStore } from '@gridledger/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHome, verifyStoredChain } from '../src/index.ts';
import { BIN, sleep, TestNet } from './harness.ts';

const net = new TestNet(4);
const T = 120_000;
const ALL = [0, 1, 2, 3];

beforeAll(async () => {
  await net.init();
  await Promise.all(ALL.map((k) => net.start(k)));
}, 120_000);

afterAll(async () => {
  await net.destroy();
});

/** Every committed block's hash and header app hash, read from a stopped node's store. */
async function chainOf(k: number): Promise<{ hash: string; appHash: string; txs: number }[]> {
  const store = await NodeStore.open(join(net.home(k), 'data'));
  try {
    const out: { hash: string; appHash: string; txs: number }[] = [];
    for (let h = 1n; h <= store.latestHeight(); h++) {
      const rec = (await store.loadBlock(h))!;
      const b = decodeBlock(rec.block);
      out.push({ hash: toHex(rec.hash), appHash: toHex(b.header.appHash), txs: b.txs.length });
    }
    return out;
  } finally {
    await store.close();
  }
}

describe('4 validator processes', () => {
  let txCount = 0;
  const submit = async (k: number, n: number) => {
    for (let i = 0; i < n; i++) await net.sendTx(k, `key${txCount}=value${txCount++}`);
  };

  it(
    'commit at least 20 blocks with transactions, all nodes on the same chain',
    async () => {
      await submit(0, 5);
      await submit(2, 5);
      await net.waitHeight(ALL, 20n);
      const b = await Promise.all(ALL.map((k) => net.rpc(k, 'eth_getBlockByNumber', ['0x14', false])));
      expect(new Set(b.map((x) => x.hash)).size).toBe(1);
      const status = await net.rpc(0, 'gl_status');
      expect(status.peers).toBe(3);
      expect(status.catchingUp).toBe(false);
    },
    T,
  );

  it(
    'go on with one validator stopped',
    async () => {
      await net.stop(3);
      const h = await net.height(0);
      await submit(1, 3);
      await net.waitHeight([0, 1, 2], h + 5n);
    },
    T,
  );

  it(
    'commit nothing with two validators stopped (a third SIGKILLed and restarted meanwhile), then all resume',
    async () => {
      await net.stop(2);
      await sleep(1500); // a block already in flight may still land
      const before = await Promise.all([0, 1].map((k) => net.height(k)));
      await submit(0, 2); // accepted into the mempool, but cannot be committed
      await sleep(3000);
      const after = await Promise.all([0, 1].map((k) => net.height(k)));
      expect(after).toEqual(before);
      // Meanwhile node0 has been signing nil votes round after round: kill it mid-round and restart it.
      // It must resume from its write-ahead log (round, lock, last signature), and its sign guard refuses
      // anything conflicting: the evidence check at the end would catch a double signature.
      await net.stop(0, 'SIGKILL');
      const logFrom = net.log(0).length;
      await net.start(0);
      await net.waitLog(0, /recovered from write-ahead log/, logFrom);
      await Promise.all([net.start(2), net.start(3)]);
      let top = 0n;
      for (const x of after) if (x > top) top = x;
      await net.waitHeight(ALL, top + 5n);
    },
    T,
  );

  it(
    'a validator killed with SIGKILL mid-run restarts and catches up by block sync',
    async () => {
      const load = submit(0, 10);
      await sleep(300);
      expect(await net.stop(1, 'SIGKILL')).toBe(128);
      await load;
      const h = await net.height(0);
      await net.waitHeight([0, 2, 3], h + 8n);
      await net.start(1);
      const target = (await net.height(0)) + 2n;
      await net.waitHeight(ALL, target);
      const st = await net.rpc(1, 'gl_status');
      expect(BigInt(st.height)).toBeGreaterThanOrEqual(target);
      await net.waitLog(1, /"source":"sync"/);
    },
    T,
  );

  it(
    'stopped cleanly, every node holds the same block hash and app hash at every height, and no evidence',
    async () => {
      await submit(3, 3);
      const h = await net.height(3);
      await net.waitHeight(ALL, h + 3n);
      await net.stopAll();
      const chains = await Promise.all(ALL.map(chainOf));
      const len = Math.min(...chains.map((c) => c.length));
      expect(len).toBeGreaterThanOrEqual(35);
      for (let i = 0; i < len; i++) {
        for (const c of chains) expect(c[i]).toEqual(chains[0]![i]);
      }
      // every submitted tx committed exactly once (all to distinct keys)
      expect(chains[0]!.slice(0, len).reduce((s, b) => s + b.txs, 0)).toBeLessThanOrEqual(txCount);
      const appHashes = new Set(chains[0]!.map((b) => b.appHash));
      expect(appHashes.size).toBeGreaterThan(3); // the state did change along the way
      for (const k of ALL) {
        const store = await NodeStore.open(join(net.home(k), 'data'));
        expect(await store.listEvidence()).toEqual([]);
        await store.close();
        const r = await verifyStoredChain(loadHome(net.home(k)));
        expect(r.ok).toBe(true);
      }
    },
    T,
  );

  describe('gridledger verify on tampered copies (edited through the store API)', () => {
    /** Copies node0's home, re-writing its database block by block with `edit` applied. */
    async function tamperedCopy(
      name: string,
      edit: (
        h: bigint,
        block: Uint8Array,
        cert: Uint8Array,
      ) => { block: Uint8Array; cert: Uint8Array; hash?: Uint8Array },
    ) {
      const dir = join(net.dir, name);
      rmSync(dir, { recursive: true, force: true });
      cpSync(net.home(0), dir, {
        recursive: true,
        filter: (src) => !src.includes(`${join(net.home(0), 'data')}`),
      });
      mkdirSync(join(dir, 'data'), { recursive: true });
      const src = await NodeStore.open(join(net.home(0), 'data'));
      const dst = await NodeStore.open(join(dir, 'data'));
      try {
        for (let h = 1n; h <= src.latestHeight(); h++) {
          const rec = (await src.loadBlock(h))!;
          const cert = (await src.loadCert(h))!;
          const e = edit(h, rec.block, cert);
          await dst.saveBlock({ height: h, hash: e.hash ?? rec.hash, block: e.block, cert: e.cert });
        }
      } finally {
        await src.close();
        await dst.close();
      }
      return dir;
    }

    it('reports a sound chain with exit code 0', () => {
      const out = execFileSync(process.execPath, [BIN, 'verify', '--home', net.home(2), '--format', 'json'], {
        encoding: 'utf8',
      });
      expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({ ok: true });
    });

    it('finds a modified transaction', async () => {
      let target = 0n;
      const dir = await tamperedCopy('tx', (h, block, cert) => {
        const b = decodeBlock(block);
        if (target === 0n && b.txs.length > 0) {
          target = h;
          b.txs[0] = new TextEncoder().encode('key0=stolen');
          return { block: encodeBlock(b), cert };
        }
        return { block, cert };
      });
      expect(target).toBeGreaterThan(0n);
      const r = spawnSync(process.execPath, [BIN, 'verify', '--home', dir, '--format', 'json'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(j).toMatchObject({ ok: false, badHeight: target.toString() });
      expect(j.reason).toMatch(/transaction root/);
    });

    it('finds a broken hash link', async () => {
      const dir = await tamperedCopy('link', (h, block, cert) => {
        if (h !== 7n) return { block, cert };
        const b = decodeBlock(block);
        b.header.lastBlockHash = new Uint8Array(32).fill(0xab);
        return { block: encodeBlock(b), cert, hash: hashBlock(b.header) };
      });
      const r = await verifyStoredChain(loadHome(dir));
      expect(r).toMatchObject({ ok: false, badHeight: 7n });
      if (!r.ok) expect(r.reason).toMatch(/does not link/);
    });

    it('finds a forged certificate', async () => {
      const forger = new Uint8Array(32).fill(42);
      const dir = await tamperedCopy('cert', (h, block, cert) => {
        if (h !== 9n) return { block, cert };
        const c = decodeCommit(cert);
        const sb = voteSignBytes('test-chain', {
          type: 'precommit',
          height: c.height,
          round: c.round,
          blockHash: c.blockHash,
        });
        c.signatures = c.signatures.map((s) => ({ ...s, signature: signEd25519(sb, forger) }));
        return { block, cert: encodeCommit(c) };
      });
      const r = await verifyStoredChain(loadHome(dir));
      expect(r).toMatchObject({ ok: false, badHeight: 9n });
      if (!r.ok) expect(r.reason).toMatch(/invalid signature/);
      // and the unmodified heights before it were all fine
      if (!r.ok) expect(r.checkedUpTo).toBe(8n);
    });

    /** Copies node0's chain and state through the store API, the state with `edit` applied to its pairs. */
    async function stateCopy(name: string, edit: (pairs: [Uint8Array, Uint8Array][]) => void) {
      const dir = join(net.dir, name);
      rmSync(dir, { recursive: true, force: true });
      cpSync(net.home(0), dir, {
        recursive: true,
        filter: (src) => !src.includes(`${join(net.home(0), 'data')}`),
      });
      mkdirSync(join(dir, 'data'), { recursive: true });
      const src = await NodeStore.open(join(net.home(0), 'data'));
      const dst = await NodeStore.open(join(dir, 'data'));
      try {
        const latest = src.latestHeight();
        const pairs: [Uint8Array, Uint8Array][] = [];
        for await (const kv of src.state.entries()) pairs.push(kv);
        edit(pairs);
        for (let h = 1n; h <= latest; h++) {
          const rec = (await src.loadBlock(h))!;
          const cert = (await src.loadCert(h))!;
          // The whole state with the last block (state is cumulative: the same end state).
          const app =
            h === latest
              ? { writes: pairs.map(([key, value]) => ({ key, value })), appHash: src.loadAppInfo()!.appHash }
              : undefined;
          await dst.saveBlock({ height: h, hash: rec.hash, block: rec.block, cert }, app);
        }
      } finally {
        await src.close();
        await dst.close();
      }
      return dir;
    }

    it('verify --state replays the chain: a faithful copy passes, a state value edited on disk is found', async () => {
      const out = execFileSync(
        process.execPath,
        [BIN, 'verify', '--home', net.home(2), '--state', '--format', 'json'],
        { encoding: 'utf8' },
      );
      expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({ ok: true, stateChecked: true });
      const faithful = await verifyStoredChain(loadHome(await stateCopy('state-ok', () => {})), {
        state: true,
      });
      expect(faithful).toMatchObject({ ok: true, stateChecked: true });
      let edited = '';
      const dir = await stateCopy('state-edited', (pairs) => {
        const last = pairs[pairs.length - 1]!;
        edited = toHex(last[0]);
        last[1] = new TextEncoder().encode('stolen');
      });
      // Without --state the edit goes unseen (no header covers the last block's state yet).
      expect(await verifyStoredChain(loadHome(dir))).toMatchObject({ ok: true, stateChecked: false });
      const r = await verifyStoredChain(loadHome(dir), { state: true });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toMatch(/stored state differs from the replay/);
        expect(r.reason).toContain(`key ${edited.slice(0, 130)}`);
      }
    });
  });
});
