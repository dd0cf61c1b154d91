// @gridledger/rpc: every JSON-RPC 2.0 method the node serves (HTTP + WebSocket on one port), one module
// per namespace in methods/, each exporting its parameter and result types; the port a node implements
// (RpcBackend); the one error type (RpcError); the server and dispatcher.
export { type DispatcherOptions, RpcDispatcher, type RpcResponse } from './dispatch.ts';
export { invalidParams, RPC_ERRORS, RpcError } from './errors.ts';
export type { RpcContext, RpcMethod, RpcMethodTable } from './method.ts';
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
export {
  type ExecutionBlockView,
  formatEthBlock,
  formatEthTransaction,
  proposerAddress,
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
export { type LogFilter, type LogLimits, parseLogFilter, selectBlockLogs } from './methods/eth-logs.ts';
export type {
  EthGetBalanceParameters,
  EthGetBalanceReturnType,
  EthGetCodeParameters,
  EthGetCodeReturnType,
  GlGetProofParameters,
  GlGetProofReturnType,
} from './methods/eth-state.ts';
export { MODULE_CODE_MARKER } from './methods/eth-state.ts';
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
export {
  type GlAccountParameters,
  type GlAccountReturnType,
  glAccountMethods,
  MAX_ACCOUNT_ORDER_SCAN,
} from './methods/gl-account.ts';
export type {
  GlCommitParameters,
  GlCommitReturnType,
  GlJail,
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
  GlCommitment,
  GlCommitmentStatus,
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
export { type GlMarketDeps, glMarketMethods, MAX_PRICE_INTERVALS } from './methods/gl-market.ts';
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
export { buildMethods, type MethodOptions } from './methods.ts';
export type {
  RpcBackend,
  RpcBlock,
  RpcCommit,
  RpcCommitSignature,
  RpcExecutionApp,
  RpcJail,
  RpcStatus,
  RpcTip,
  RpcValidator,
  SubmitTxResult,
} from './port.ts';
export { GRIDLEDGER_RPC_METHODS, type GridledgerRpcMethod, type GridledgerRpcSchema } from './schema.ts';
export { RpcServer, type RpcServerOptions } from './server.ts';
export { mempoolSubmitter, storeBlockReader } from './store-backend.ts';
export type { AddressHex, BlockTag, DecimalString, Hex, IntegerParameter } from './wire.ts';
