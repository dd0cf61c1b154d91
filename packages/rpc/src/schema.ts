// The whole wire contract in one type: every JSON-RPC method the node serves, by name, with its
// parameter and result types (for a typed client: `GridledgerRpcSchema['gl_interval']['ReturnType']`).
// The types themselves live in the method modules (methods/*.ts).
import type {
  EthGetBlockByHashParameters,
  EthGetBlockByHashReturnType,
  EthGetBlockByNumberParameters,
  EthGetBlockByNumberReturnType,
  EthGetBlockTransactionCountByNumberParameters,
  EthGetBlockTransactionCountByNumberReturnType,
} from './methods/eth-block.ts';
import type {
  EthCallParameters,
  EthCallReturnType,
  EthEstimateGasParameters,
  EthEstimateGasReturnType,
} from './methods/eth-call.ts';
import type {
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
import type { EthGetLogsParameters, EthGetLogsReturnType } from './methods/eth-logs.ts';
import type {
  EthGetBalanceParameters,
  EthGetBalanceReturnType,
  EthGetCodeParameters,
  EthGetCodeReturnType,
  GlGetProofParameters,
  GlGetProofReturnType,
} from './methods/eth-state.ts';
import type {
  EthSubscribeParameters,
  EthSubscribeReturnType,
  EthUnsubscribeParameters,
  EthUnsubscribeReturnType,
} from './methods/eth-subscribe.ts';
import type {
  EthGetTransactionByHashParameters,
  EthGetTransactionByHashReturnType,
  EthGetTransactionCountParameters,
  EthGetTransactionCountReturnType,
  EthGetTransactionReceiptParameters,
  EthGetTransactionReceiptReturnType,
  EthSendRawTransactionParameters,
  EthSendRawTransactionReturnType,
} from './methods/eth-transaction.ts';
import type { GlAccountParameters, GlAccountReturnType } from './methods/gl-account.ts';
import type {
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
import type {
  GlGridStateParameters,
  GlGridStateReturnType,
  GlIntervalParameters,
  GlIntervalReturnType,
  GlMarketConfigParameters,
  GlMarketConfigReturnType,
  GlOrdersParameters,
  GlOrdersReturnType,
  GlPricesParameters,
  GlPricesReturnType,
} from './methods/gl-market.ts';
import type {
  NetListeningParameters,
  NetListeningReturnType,
  NetPeerCountParameters,
  NetPeerCountReturnType,
  NetVersionParameters,
  NetVersionReturnType,
  Web3ClientVersionParameters,
  Web3ClientVersionReturnType,
} from './methods/web3-net.ts';

/** Every method's `Parameters` and `ReturnType`, by method name. */
export interface GridledgerRpcSchema {
  web3_clientVersion: { Parameters: Web3ClientVersionParameters; ReturnType: Web3ClientVersionReturnType };
  net_version: { Parameters: NetVersionParameters; ReturnType: NetVersionReturnType };
  net_listening: { Parameters: NetListeningParameters; ReturnType: NetListeningReturnType };
  net_peerCount: { Parameters: NetPeerCountParameters; ReturnType: NetPeerCountReturnType };
  eth_chainId: { Parameters: EthChainIdParameters; ReturnType: EthChainIdReturnType };
  eth_blockNumber: { Parameters: EthBlockNumberParameters; ReturnType: EthBlockNumberReturnType };
  eth_syncing: { Parameters: EthSyncingParameters; ReturnType: EthSyncingReturnType };
  eth_gasPrice: { Parameters: EthGasPriceParameters; ReturnType: EthGasPriceReturnType };
  eth_maxPriorityFeePerGas: {
    Parameters: EthMaxPriorityFeePerGasParameters;
    ReturnType: EthMaxPriorityFeePerGasReturnType;
  };
  eth_feeHistory: { Parameters: EthFeeHistoryParameters; ReturnType: EthFeeHistoryReturnType };
  eth_getBlockByNumber: {
    Parameters: EthGetBlockByNumberParameters;
    ReturnType: EthGetBlockByNumberReturnType;
  };
  eth_getBlockByHash: { Parameters: EthGetBlockByHashParameters; ReturnType: EthGetBlockByHashReturnType };
  eth_getBlockTransactionCountByNumber: {
    Parameters: EthGetBlockTransactionCountByNumberParameters;
    ReturnType: EthGetBlockTransactionCountByNumberReturnType;
  };
  eth_sendRawTransaction: {
    Parameters: EthSendRawTransactionParameters;
    ReturnType: EthSendRawTransactionReturnType;
  };
  eth_getTransactionByHash: {
    Parameters: EthGetTransactionByHashParameters;
    ReturnType: EthGetTransactionByHashReturnType;
  };
  eth_getTransactionReceipt: {
    Parameters: EthGetTransactionReceiptParameters;
    ReturnType: EthGetTransactionReceiptReturnType;
  };
  eth_getTransactionCount: {
    Parameters: EthGetTransactionCountParameters;
    ReturnType: EthGetTransactionCountReturnType;
  };
  eth_call: { Parameters: EthCallParameters; ReturnType: EthCallReturnType };
  eth_estimateGas: { Parameters: EthEstimateGasParameters; ReturnType: EthEstimateGasReturnType };
  eth_getBalance: { Parameters: EthGetBalanceParameters; ReturnType: EthGetBalanceReturnType };
  eth_getCode: { Parameters: EthGetCodeParameters; ReturnType: EthGetCodeReturnType };
  gl_getProof: { Parameters: GlGetProofParameters; ReturnType: GlGetProofReturnType };
  eth_getLogs: { Parameters: EthGetLogsParameters; ReturnType: EthGetLogsReturnType };
  eth_subscribe: { Parameters: EthSubscribeParameters; ReturnType: EthSubscribeReturnType };
  eth_unsubscribe: { Parameters: EthUnsubscribeParameters; ReturnType: EthUnsubscribeReturnType };
  gl_status: { Parameters: GlStatusParameters; ReturnType: GlStatusReturnType };
  gl_validators: { Parameters: GlValidatorsParameters; ReturnType: GlValidatorsReturnType };
  gl_commit: { Parameters: GlCommitParameters; ReturnType: GlCommitReturnType };
  gl_query: { Parameters: GlQueryParameters; ReturnType: GlQueryReturnType };
  gl_sendTx: { Parameters: GlSendTxParameters; ReturnType: GlSendTxReturnType };
  broadcast_tx: { Parameters: GlSendTxParameters; ReturnType: GlSendTxReturnType };
  gl_marketConfig: { Parameters: GlMarketConfigParameters; ReturnType: GlMarketConfigReturnType };
  gl_interval: { Parameters: GlIntervalParameters; ReturnType: GlIntervalReturnType };
  gl_orders: { Parameters: GlOrdersParameters; ReturnType: GlOrdersReturnType };
  gl_prices: { Parameters: GlPricesParameters; ReturnType: GlPricesReturnType };
  gl_gridState: { Parameters: GlGridStateParameters; ReturnType: GlGridStateReturnType };
  gl_account: { Parameters: GlAccountParameters; ReturnType: GlAccountReturnType };
}

/** The name of a method the node serves. */
export type GridledgerRpcMethod = keyof GridledgerRpcSchema;

/** Every method name of {@link GridledgerRpcSchema}, at run time (a test checks the served table against it). */
export const GRIDLEDGER_RPC_METHODS = [
  'web3_clientVersion',
  'net_version',
  'net_listening',
  'net_peerCount',
  'eth_chainId',
  'eth_blockNumber',
  'eth_syncing',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getBlockTransactionCountByNumber',
  'eth_sendRawTransaction',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getTransactionCount',
  'eth_call',
  'eth_estimateGas',
  'eth_getBalance',
  'eth_getCode',
  'gl_getProof',
  'eth_getLogs',
  'eth_subscribe',
  'eth_unsubscribe',
  'gl_status',
  'gl_validators',
  'gl_commit',
  'gl_query',
  'gl_sendTx',
  'broadcast_tx',
  'gl_marketConfig',
  'gl_interval',
  'gl_orders',
  'gl_prices',
  'gl_gridState',
  'gl_account',
] as const satisfies readonly GridledgerRpcMethod[];

// Compile-time check that the list above names every method of the schema.
type Unlisted = Exclude<GridledgerRpcMethod, (typeof GRIDLEDGER_RPC_METHODS)[number]>;
const _everyMethodListed: [Unlisted] extends [never] ? true : Unlisted = true;
void _everyMethodListed;
