// A real single-validator chain for the RPC tests: NodeStore + KvApp + Mempool, blocks built and hashed
// with the consensus codecs, certificates signed by 4 validators (3 of 4 precommits). `produceBlock`
// runs one height the way a node does (reap, finalize, save atomically, commit, update the mempool).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8 } from '@gridledger/base';
import {
  type Block,
  buildBlock,
  buildCommit,
  type CommitCertificate,
  encodeBlock,
  encodeCommit,
  hashBlock,
  keySigner,
  type Signer,
  type ValidatorSet,
  voteSignBytes,
  ZERO_HASH,
} from '@gridledger/consensus';
import { sha256 } from '@gridledger/crypto';
import { KvApp } from '@gridledger/kvapp';
import { Mempool } from '@gridledger/mempool';
import { NodeStore } from '@gridledger/store';
import { mempoolSubmitter, type RpcBackend, storeBlockReader } from '../src/index.ts';

export const CHAIN_ID = 'gridledger-rpc-test';
/** The fixture chain's Ethereum chain id (EIP-155). */
export const ETH_CHAIN_ID = 4_242_001n;

export interface Chain {
  store: NodeStore;
  app: KvApp;
  mempool: Mempool;
  signers: Signer[];
  valset: ValidatorSet;
  backend: RpcBackend;
  blocks: Block[];
  produceBlock(): Promise<Block>;
  close(): Promise<void>;
}

export async function openChain(opts: { maxTxs?: number } = {}): Promise<Chain> {
  const dir = mkdtempSync(join(tmpdir(), 'gl-rpc-'));
  const store = await NodeStore.open(dir, { sync: false });
  const app = await KvApp.load(store);
  const mempool = new Mempool({ app, ...(opts.maxTxs ? { maxTxs: opts.maxTxs } : {}) });
  const signers = [0, 1, 2, 3].map((i) => keySigner(sha256(utf8(`rpc-test/${i}`))));
  const valset: ValidatorSet = { validators: signers.map((s) => ({ publicKey: s.publicKey, power: 10n })) };
  const listeners = new Set<(h: bigint) => void>();
  const blocks: Block[] = [];
  let lastCommit: CommitCertificate | null = null;
  let lastHash = ZERO_HASH;

  async function produceBlock(): Promise<Block> {
    const height = store.latestHeight() + 1n;
    const info = await app.info();
    const txs = await app.prepareProposal({
      height,
      timeMs: 0n,
      txs: mempool.reap({ maxBytes: 1 << 20 }),
      maxBytes: 1 << 20,
    });
    const block = buildBlock({
      chainId: CHAIN_ID,
      height,
      timeMs: 1_700_000_000_000n + height * 1000n + 250n,
      proposer: signers[Number(height % 4n)]!.publicKey,
      lastBlockHash: lastHash,
      appHash: info.appHash,
      validators: valset,
      lastCommit,
      txs,
    });
    const hash = hashBlock(block.header);
    const signBytes = voteSignBytes(CHAIN_ID, { type: 'precommit', height, round: 0, blockHash: hash });
    const cert = buildCommit(
      height,
      0,
      hash,
      [0, 1, 2].map((i) => ({
        validatorIndex: i,
        signature: signers[i]!.sign({ height, round: 0, step: 'precommit', signBytes })!,
      })),
    );
    await app.finalizeBlock({ height, timeMs: block.header.timeMs, proposer: block.header.proposer, txs });
    await store.saveBlock(
      { height, hash, block: encodeBlock(block), cert: encodeCommit(cert) },
      app.pendingCommit(height),
    );
    await app.commit(height);
    await mempool.update(height, txs);
    lastCommit = cert;
    lastHash = hash;
    blocks.push(block);
    for (const l of listeners) l(height);
    return block;
  }

  const backend: RpcBackend = {
    ethChainId: ETH_CHAIN_ID,
    ...storeBlockReader(store),
    ...mempoolSubmitter(mempool),
    async status() {
      const h = store.latestHeight();
      const last = blocks[blocks.length - 1];
      return {
        chainId: CHAIN_ID,
        height: h,
        latestHash: h === 0n ? undefined : lastHash,
        latestTimeMs: last?.header.timeMs,
        peers: 3,
        validator: { publicKey: signers[0]!.publicKey, index: 0 },
        catchingUp: false,
      };
    },
    validators: () => valset.validators,
    async query(key) {
      return { height: (await app.info()).height, value: app.query(key) };
    },
    onBlock(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };

  return {
    store,
    app,
    mempool,
    signers,
    valset,
    backend,
    blocks,
    produceBlock,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
