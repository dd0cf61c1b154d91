// Adapters that build most of an RpcBackend from the node's parts: blocks and certificates from the
// NodeStore (decoded with the consensus codecs) and transaction submission through the Mempool. The node
// supplies the Ethereum chain id (from genesis), status(), validators() and the rest of the port itself.
import { decodeBlock, decodeCommit } from '@gridledger/consensus';
import { type Mempool, txHash } from '@gridledger/mempool';
import type { NodeStore } from '@gridledger/store';
import type { RpcBackend, RpcBlock } from './port.ts';

/** Reads blocks and certificates for the RPC server from the node store. */
export function storeBlockReader(
  store: NodeStore,
): Pick<RpcBackend, 'latestHeight' | 'getBlock' | 'commit' | 'blockHash' | 'blockHeight'> {
  return {
    latestHeight: () => store.latestHeight(),
    blockHash: async (height) => (await store.loadBlock(height))?.hash,
    blockHeight: async (hash) => (await store.loadBlockByHash(hash))?.height,
    async getBlock(ref) {
      const rec = 'height' in ref ? await store.loadBlock(ref.height) : await store.loadBlockByHash(ref.hash);
      if (rec === undefined) return undefined;
      const { header, txs } = decodeBlock(rec.block);
      const block: RpcBlock = {
        height: rec.height,
        hash: rec.hash,
        parentHash: header.lastBlockHash,
        timeMs: header.timeMs,
        proposer: header.proposer,
        appHash: header.appHash,
        txRoot: header.txRoot,
        validatorsHash: header.validatorsHash,
        lastCommitHash: header.lastCommitHash,
        txs,
        sizeBytes: rec.block.length,
      };
      return block;
    },
    async commit(height) {
      const bytes = await store.loadCert(height);
      return bytes === undefined ? undefined : decodeCommit(bytes);
    },
  };
}

/** Submits transactions to the mempool; rejections keep the mempool's code and reason. */
export function mempoolSubmitter(mempool: Mempool): Pick<RpcBackend, 'submitTx' | 'txHash'> {
  return {
    submitTx: (tx) => mempool.add(tx),
    txHash,
  };
}
