// @gridledger/rpc: the JSON-RPC 2.0 read side (HTTP + WebSocket on one port) and transaction submission.
// Owns the wire shapes (Ethereum block JSON, gl_* results) and the RpcBackend interface a node implements.
export type {
  RpcBackend,
  RpcBlock,
  RpcCommit,
  RpcCommitSignature,
  RpcStatus,
  RpcValidator,
  SubmitTxResult,
} from './backend.ts';
export { type DispatcherOptions, RpcDispatcher, type RpcResponse } from './dispatch.ts';
export { invalidParams, RPC_ERRORS, RpcError } from './errors.ts';
export { formatEthBlock, formatEthTransaction, proposerAddress } from './eth-block.ts';
export { buildMethods, type MethodOptions, type RpcContext, type RpcMethod } from './methods.ts';
export { RpcServer, type RpcServerOptions } from './server.ts';
export { ethChainIdOf, mempoolSubmitter, storeBlockReader } from './store-backend.ts';
