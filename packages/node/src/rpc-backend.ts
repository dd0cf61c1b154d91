// The node's side of the JSON-RPC server: it implements the port packages/rpc declares (RpcBackend)
// over the node's store, mempool (submissions are also gossiped to peers), status, validator set, tip
// and block notifications, and hands over the execution app and the market configuration when genesis
// chose them (rpc then serves their methods); and it starts and stops the server on the configured
// address. Every method lives in packages/rpc.

import { keccak256 } from '@gridledger/crypto';
import { txHash } from '@gridledger/mempool';
import { ethChainIdOf, type RpcBackend, RpcServer, storeBlockReader } from '@gridledger/rpc';
import type { Node } from './node.ts';

/** A running RPC server of a node. */
export interface RpcHandle {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** The RpcBackend (the rpc package's port) of a node. */
export function nodeRpcBackend(node: Node): RpcBackend {
  return {
    ethChainId: ethChainIdOf(node.home.genesis.chainId),
    ...storeBlockReader(node.store),
    submitTx: (tx) => node.submitTx(tx),
    // Ethereum transactions are known by keccak256; kv transactions by the mempool's sha256.
    txHash: node.execution ? keccak256 : txHash,
    status: () => ({
      chainId: node.home.genesis.chainId,
      height: node.tip.height,
      latestHash: node.tip.height === 0n ? undefined : node.tip.hash,
      latestTimeMs: node.tip.height === 0n ? undefined : node.tip.timeMs,
      peers: node.p2p.peers().length,
      validator: { publicKey: node.home.nodeKey.publicKey, index: node.myIndex >= 0 ? node.myIndex : null },
      catchingUp: node.isCatchingUp(),
    }),
    validators: () => node.validators.validators.map((v) => ({ publicKey: v.publicKey, power: v.power })),
    onBlock: (listener) => node.onBlock(listener),
    pendingTxs: () => node.mempool.txs(),
    tip: () => ({ height: node.tip.height, timeMs: node.tip.timeMs, appHash: node.tip.appHash }),
    ...(node.execution ? { execution: node.execution } : {}),
    ...(node.execution && node.energy ? { market: node.energy } : {}),
  };
}

/** Starts the JSON-RPC server (HTTP and WebSocket on one port) of a node. */
export async function startRpc(node: Node): Promise<RpcHandle> {
  const { host, port } = node.home.config.rpc;
  const server = await RpcServer.start({
    backend: nodeRpcBackend(node),
    host,
    port,
    maxBodyBytes: Math.max(1024 * 1024, node.home.config.mempool.maxTxBytes * 2 + 1024),
    onInternalError: (method, err) => node.log.error({ method, err }, 'rpc: internal error'),
  });
  return { address: { host: server.host, port: server.port }, close: () => server.close() };
}
