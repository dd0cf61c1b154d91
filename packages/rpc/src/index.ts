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
// The wire contract: each method's parameter and result types (viem's `XParameters` / `XReturnType`).
export type {
  EthBlock,
  EthBlockHeader,
  EthGetBlockByHashParameters,
  EthGetBlockByHashReturnType,
  EthGetBlockByNumberParameters,
  EthGetBlockByNumberReturnType,
  EthGetBlockTransactionCountByNumberParameters,
  EthGetBlockTransactionCountByNumberReturnType,
  EthKvTransaction,
} from './methods/eth-block.ts';
export type {
  EthCallParameters,
  EthCallRequest,
  EthCallReturnType,
  EthEstimateGasParameters,
  EthEstimateGasReturnType,
} from './methods/eth-call.ts';
export type {
  EthBlockNumberParameters,
  EthBlockNumberReturnType,
  EthChainIdParameters,
  EthChainIdReturnType,
  EthFeeHistoryParameters,
  EthFeeHistoryReturnType,
  EthGasPriceParameters,
  EthGasPriceReturnType,
  EthMaxPriorityFeePerGasParameters,
  EthMaxPriorityFeePerGasReturnType,
  EthSyncingParameters,
  EthSyncingReturnType,
} from './methods/eth-chain.ts';
export type { EthGetLogsParameters, EthGetLogsReturnType, EthLogFilterRequest } from './methods/eth-logs.ts';
export type {
  EthGetBalanceParameters,
  EthGetBalanceReturnType,
  EthGetCodeParameters,
  EthGetCodeReturnType,
  GlGetProofParameters,
  GlGetProofReturnType,
} from './methods/eth-state.ts';
export type {
  EthSubscribeParameters,
  EthSubscribeReturnType,
  EthSubscriptionResult,
  EthUnsubscribeParameters,
  EthUnsubscribeReturnType,
} from './methods/eth-subscribe.ts';
export type {
  Eth1559Transaction,
  EthGetTransactionByHashParameters,
  EthGetTransactionByHashReturnType,
  EthGetTransactionCountParameters,
  EthGetTransactionCountReturnType,
  EthGetTransactionReceiptParameters,
  EthGetTransactionReceiptReturnType,
  EthLegacyTransaction,
  EthLog,
  EthReceipt,
  EthSendRawTransactionParameters,
  EthSendRawTransactionReturnType,
  EthTransaction,
} from './methods/eth-transaction.ts';
export type {
  GlCommitParameters,
  GlCommitReturnType,
  GlQueryParameters,
  GlQueryReturnType,
  GlSendTxParameters,
  GlSendTxReturnType,
  GlStatusParameters,
  GlStatusReturnType,
  GlValidatorsParameters,
  GlValidatorsReturnType,
} from './methods/gl-chain.ts';
export type {
  GlGridBranch,
  GlGridStateParameters,
  GlGridStateReturnType,
  GlIntervalParameters,
  GlIntervalReturnType,
  GlIntervalStatus,
  GlMarketConfigParameters,
  GlMarketConfigReturnType,
  GlOrder,
  GlOrderStatus,
  GlOrdersParameters,
  GlOrdersReturnType,
  GlPrice,
  GlPricesParameters,
  GlPricesReturnType,
} from './methods/gl-market.ts';
export type {
  NetListeningParameters,
  NetListeningReturnType,
  NetPeerCountParameters,
  NetPeerCountReturnType,
  NetVersionParameters,
  NetVersionReturnType,
  Web3ClientVersionParameters,
  Web3ClientVersionReturnType,
} from './methods/web3-net.ts';
export { buildMethods, type MethodOptions, type RpcContext, type RpcMethod } from './methods.ts';
export type { GridledgerRpcMethod, GridledgerRpcSchema } from './schema.ts';
export { RpcServer, type RpcServerOptions } from './server.ts';
export { ethChainIdOf, mempoolSubmitter, storeBlockReader } from './store-backend.ts';
export type { AddressHex, BlockTag, DecimalString, Hex, IntegerParameter } from './wire.ts';
