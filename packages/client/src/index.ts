// @gridledger/client: the one typed JSON-RPC client the simulator, dashboard and CLI use to talk to a
// chain. Calls are typed by @gridledger/rpc's wire contract; batches are split by count and body size;
// WebSocket subscriptions for newHeads and logs; viem's chain and clients for contract calls; the market
// views behind one interface on both chains (gl_* on ours, the contracts' views on an EVM chain).

export { RpcCallError, type RpcCallErrorOptions } from './errors.ts';
export { type EvmMarketContracts, EvmMarketViews } from './evm-market-views.ts';
export {
  type BatchOutcomes,
  DEFAULT_MAX_BATCH_BYTES,
  type ParametersOf,
  type ResultOf,
  RpcClient,
  type RpcClientOptions,
  type RpcErrorObject,
  type RpcOutcome,
  type RpcRequest,
} from './http.ts';
export { MARKET_VIEW_METHODS, MarketRpcClient, type MarketViews, rpcMarketViews } from './market-views.ts';
export { type Subscription, subscribe, subscribeLogs, subscribeNewHeads, wsUrlOf } from './subscribe.ts';
export { gridledgerChain, publicClientOf, walletClientOf } from './viem.ts';
