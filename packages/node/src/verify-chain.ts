// Re-checks the chain stored in a stopped node's database: every block decodes, its stored hash is the
// hash of its header, it links to the previous block, its transaction root matches its transactions,
// its last commit certifies the previous block, and its own stored certificate is signed by more than
// 2/3 of the voting power. Reports the first bad height. Used by `gridledger verify`.
import { equalBytes, toHex } from '@gridledger/base';
import { ChainVerifier, decodeBlock, decodeCommit, hashBlock } from '@gridledger/consensus';
import { NodeStore } from '@gridledger/store';
import { genesisValidatorSet } from './genesis.ts';
import type { Home } from './home.ts';

/** The outcome of {@link verifyStoredChain}. */
export type StoredChainCheck =
  | { ok: true; height: bigint; latestHash: string | null }
  | { ok: false; checkedUpTo: bigint; badHeight: bigint; reason: string; latestHeight: bigint };

/**
 * Walks heights 1..latest of the node's store. Opens the database, so the node must be stopped.
 * @example
 * const r = await verifyStoredChain(loadHome('net/node0'));
 * if (!r.ok) console.log(`first bad height ${r.badHeight}: ${r.reason}`);
 */
export async function verifyStoredChain(
  home: Home,
  onProgress?: (height: bigint) => void,
): Promise<StoredChainCheck> {
  const store = await NodeStore.open(home.dataDir);
  try {
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
      lastHash = hash;
      if (onProgress && h % 100n === 0n) onProgress(h);
    }
    return { ok: true, height: latest, latestHash: lastHash === null ? null : toHex(lastHash) };
  } finally {
    await store.close();
  }
}
