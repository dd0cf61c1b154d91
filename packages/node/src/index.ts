// @gridledger/node: the validator node. Owns the home folder layout and the node that runs the
// consensus driver with real timers, p2p, mempool, store, application and JSON-RPC.

// The consensus driver lives in @gridledger/consensus since its ports were split out; re-exported here so
// this package's API is unchanged.
export { ConsensusDriver, type ConsensusStats, GOSSIP_INTERVAL_MS } from '@gridledger/consensus';
export {
  type AppKind,
  type LoadedApp,
  loadNodeApp,
  type NodeApp,
  RECOVERY_WORKERS,
} from './app-select.ts';
export {
  type DevInitOptions,
  type DevInitResult,
  defaultDevMarketConfig,
  type ExtraAccount,
  initDevNetwork,
} from './dev-network.ts';
export { genesisEthChainId, genesisTimeMs, genesisValidatorSet } from './genesis.ts';
export {
  type ConsensusTimeouts,
  chooseEthChainId,
  DEFAULT_BASE_PORT,
  DEFAULT_CHAIN_ID,
  DEFAULT_TIMEOUTS,
  type Genesis,
  type Home,
  type InitOptions,
  type InitResult,
  initNetwork,
  isEmptyDir,
  loadGenesis,
  loadHome,
  type NodeConfig,
  saveNodeKey,
} from './home.ts';
export { MempoolPruner, PRUNE_CHUNK } from './mempool-prune.ts';
export { type ChainTip, Node, type NodeAddresses, type NodeOptions, SYNC_BATCH } from './node.ts';
export { nodeRpcBackend, type RpcHandle, type RpcNodeSource, startRpc } from './rpc-backend.ts';
export { decodeSyncBlock, encodeSyncBlock } from './sync-codec.ts';
export { type StoredChainCheck, verifyStoredChain } from './verify-chain.ts';
