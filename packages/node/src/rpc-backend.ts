// The node's side of the JSON-RPC server: it implements the port packages/rpc declares (RpcBackend)
// over the node's store, mempool (submissions are also gossiped to peers), status, validator set, tip
// and block notifications, and hands over the execution app and the market configuration when genesis
// chose them (rpc then serves their methods); and it starts and stops the server on the configured
// address. Every method lives in packages/rpc. It reads the node through RpcNodeSource, the part of
// Node it needs, so that this file does not import node.ts.

import type { ValidatorHistory } from '@gridledger/consensus';
import { keccak256 } from '@gridledger/crypto';
import type { MarketConfig } from '@gridledger/energy';
import type { ExecutionApp } from '@gridledger/execution';
import { type Mempool, txHash } from '@gridledger/mempool';
import { type RpcBackend, RpcServer, type SubmitTxResult, storeBlockReader } from '@gridledger/rpc';
import type { NodeStore } from '@gridledger/store';
import type { Logger } from 'pino';
import { genesisEthChainId } from './genesis.ts';
import type { Home } from './home.ts';

/** What the RPC side reads from a node (the Node class has all of it). */
export interface RpcNodeSource {
  readonly home: Pick<Home, 'genesis' | 'config' | 'nodeKey'>;
  readonly store: NodeStore;
  readonly mempool: Pick<Mempool, 'txs'>;
  readonly p2p: { peers(): readonly unknown[] };
  readonly validators: { readonly validators: readonly { publicKey: Uint8Array; power: bigint }[] };
  /** The validator set by height and the jails (ValidatorHistory). */
  readonly history: Pick<ValidatorHistory, 'validatorsAt' | 'jails' | 'jailOf'>;
  /** This node's index in the validator set (-1 when it is not a validator). */
  readonly myIndex: number;
  readonly tip: { height: bigint; hash: Uint8Array; timeMs: bigint; appHash: Uint8Array };
  readonly execution: ExecutionApp | undefined;
  readonly energy: MarketConfig | undefined;
  readonly log: Pick<Logger, 'error'>;
  /** Hands a transaction to the mempool and gossips it. */
  submitTx(tx: Uint8Array): Promise<SubmitTxResult>;
  isCatchingUp(): boolean;
  onBlock(listener: (height: bigint) => void): () => void;
}

/** A running RPC server of a node. */
export interface RpcHandle {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** The RpcBackend (the rpc package's port) of a node. */
export function nodeRpcBackend(node: RpcNodeSource): RpcBackend {
  return {
    ethChainId: genesisEthChainId(node.home.genesis),
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
      jailed: node.history.jails().map((j) => ({
        index: j.validatorIndex,
        publicKey: j.publicKey,
        fromHeight: j.fromHeight,
        committedAt: j.committedAt,
        evidence: j.evidenceKey,
      })),
    }),
    // The set in force at the next height (what the next block's votes are counted with).
    validators: () =>
      node.history.validatorsAt(node.tip.height + 1n).validators.map((v, i) => {
        const j = node.history.jailOf(i);
        return {
          publicKey: v.publicKey,
          power: v.power,
          ...(j === undefined
            ? {}
            : { jailed: { fromHeight: j.fromHeight, committedAt: j.committedAt, evidence: j.evidenceKey } }),
        };
      }),
    onBlock: (listener) => node.onBlock(listener),
    pendingTxs: () => node.mempool.txs(),
    tip: () => ({ height: node.tip.height, timeMs: node.tip.timeMs, appHash: node.tip.appHash }),
    ...(node.execution ? { execution: node.execution } : {}),
    ...(node.execution && node.energy ? { market: node.energy } : {}),
  };
}

/** Starts the JSON-RPC server (HTTP and WebSocket on one port) of a node. */
export async function startRpc(node: RpcNodeSource): Promise<RpcHandle> {
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
