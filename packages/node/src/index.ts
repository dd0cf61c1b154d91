// @gridledger/node: the validator node. Owns the home folder layout and the adapter that runs the pure
// consensus state machine with real timers, p2p, mempool, store, application and JSON-RPC.
export {
  type ConsensusTimeouts,
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
