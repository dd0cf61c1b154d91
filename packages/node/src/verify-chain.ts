// Re-checks the chain stored in a stopped node's database: every block decodes, its stored hash is the
// hash of its header, it links to the previous block, its transaction root matches its transactions,
// its last commit certifies the previous block, and its own stored certificate is signed by more than
// 2/3 of the voting power. Reports the first bad height. Used by `gridledger verify`.
// With `state`, it also re-executes every block from genesis on a scratch database: each block's header
// must carry the app hash the replay had before it, and the stored state must equal the replayed state
// key by key (a state edited on disk, which no header covers yet, is found too).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { equalBytes, toHex } from '@gridledger/base';
import { ChainVerifier, decodeBlock, decodeCommit, hashBlock } from '@gridledger/consensus';
import { NodeStore } from '@gridledger/store';
import { type LoadedApp, loadNodeApp } from './app-select.ts';
import { genesisValidatorSet } from './genesis.ts';
import type { Home } from './home.ts';

/** The outcome of {@link verifyStoredChain}. */
export type StoredChainCheck =
  | { ok: true; height: bigint; latestHash: string | null; stateChecked: boolean }
  | { ok: false; checkedUpTo: bigint; badHeight: bigint; reason: string; latestHeight: bigint };

/** Options of {@link verifyStoredChain}. */
export interface VerifyOptions {
  /** Called every 100 heights. */
  onProgress?: (height: bigint) => void;
  /** Re-execute every block and compare app hashes and the stored state (slower: a full replay). */
  state?: boolean;
}

/**
 * Walks heights 1..latest of the node's store. Opens the database, so the node must be stopped.
 * @example
 * const r = await verifyStoredChain(loadHome('net/node0'));
 * if (!r.ok) console.log(`first bad height ${r.badHeight}: ${r.reason}`);
 */
export async function verifyStoredChain(home: Home, options: VerifyOptions = {}): Promise<StoredChainCheck> {
  const { onProgress } = options;
  const store = await NodeStore.open(home.dataDir);
  let scratchDir: string | undefined;
  let scratch: NodeStore | undefined;
  let replay: LoadedApp | undefined;
  try {
    if (options.state) {
      scratchDir = mkdtempSync(join(tmpdir(), 'gl-verify-'));
      scratch = await NodeStore.open(join(scratchDir, 'data'), { sync: false });
      replay = await loadNodeApp(home, scratch);
    }
    const latest = store.latestHeight();
    const verifier = new ChainVerifier(home.genesis.chainId, genesisValidatorSet(home.genesis));
    let lastHash: Uint8Array | null = null;
    const bad = (h: bigint, reason: string): StoredChainCheck => ({
      ok: false,
      checkedUpTo: h - 1n,
      badHeight: h,
      reason,
      latestHeight: latest,
    });
    for (let h = 1n; h <= latest; h++) {
      const rec = await store.loadBlock(h);
      const certBytes = await store.loadCert(h);
      if (rec === undefined) return bad(h, `block ${h} is missing from the store`);
      if (certBytes === undefined) return bad(h, `certificate of block ${h} is missing from the store`);
      let block: ReturnType<typeof decodeBlock>;
      let cert: ReturnType<typeof decodeCommit>;
      try {
        block = decodeBlock(rec.block);
        cert = decodeCommit(certBytes);
      } catch (err) {
        return bad(h, `block ${h} does not decode: ${(err as Error).message}`);
      }
      if (block.header.height !== h)
        return bad(h, `record ${h} holds block of height ${block.header.height}`);
      const hash = hashBlock(block.header);
      if (!equalBytes(hash, rec.hash)) {
        return bad(
          h,
          `block ${h}: stored hash ${toHex(rec.hash)} is not the hash of its header ${toHex(hash)}`,
        );
      }
      const r = verifier.push(block, cert);
      if (!r.ok) return bad(r.height, r.reason);
      if (replay !== undefined && scratch !== undefined) {
        const before = (await replay.app.info()).appHash;
        if (!equalBytes(before, block.header.appHash)) {
          return bad(
            h,
            `block ${h}: its header's app hash ${toHex(block.header.appHash)} is not the replayed state's ${toHex(before)} after block ${h - 1n}`,
          );
        }
        await replay.app.finalizeBlock({
          height: h,
          timeMs: block.header.timeMs,
          proposer: block.header.proposer,
          txs: block.txs,
        });
        await scratch.saveBlock(
          { height: h, hash, block: rec.block, cert: certBytes },
          replay.app.pendingCommit(h),
        );
        await replay.app.commit(h);
      }
      lastHash = hash;
      if (onProgress && h % 100n === 0n) onProgress(h);
    }
    if (replay !== undefined && scratch !== undefined) {
      const diff = await firstStateDifference(store, scratch);
      if (diff !== undefined)
        return bad(latest, `stored state differs from the replay of blocks 1..${latest}: ${diff}`);
    }
    return {
      ok: true,
      height: latest,
      latestHash: lastHash === null ? null : toHex(lastHash),
      stateChecked: replay !== undefined,
    };
  } finally {
    await replay?.close();
    await scratch?.close();
    if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
    await store.close();
  }
}

/** The first key (ascending) whose value differs between the two stores' states, described; or undefined. */
async function firstStateDifference(stored: NodeStore, replayed: NodeStore): Promise<string | undefined> {
  const a = stored.state.entries()[Symbol.asyncIterator]();
  const b = replayed.state.entries()[Symbol.asyncIterator]();
  const show = (k: Uint8Array) => toHex(k.subarray(0, 64));
  for (;;) {
    const [x, y] = await Promise.all([a.next(), b.next()]);
    if (x.done && y.done) {
      const sa = stored.loadAppInfo()?.appHash;
      const sb = replayed.loadAppInfo()?.appHash;
      if (sa !== undefined && sb !== undefined && !equalBytes(sa, sb))
        return `the stored app hash ${toHex(sa)} is not the replay's ${toHex(sb)}`;
      return undefined;
    }
    if (x.done) return `key ${show(y.value![0])} is missing from the stored state`;
    if (y.done) return `key ${show(x.value[0])} is in the stored state but not in the replay's`;
    const [ka, va] = x.value;
    const [kb, vb] = y.value;
    if (!equalBytes(ka, kb)) {
      return Buffer.compare(Buffer.from(ka), Buffer.from(kb)) < 0
        ? `key ${show(ka)} is in the stored state but not in the replay's`
        : `key ${show(kb)} is missing from the stored state`;
    }
    if (!equalBytes(va, vb))
      return `key ${show(ka)} holds ${toHex(va.subarray(0, 64))}, the replay ${toHex(vb.subarray(0, 64))}`;
  }
}
