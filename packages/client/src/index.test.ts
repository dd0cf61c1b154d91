// The package's public values, listed: a change to the client's API shows up here in review.
import { expect, it } from 'vitest';
import * as client from './index.ts';

it('exports exactly these values', () => {
  expect(Object.keys(client).sort()).toEqual([
    'DEFAULT_MAX_BATCH_BYTES',
    'EvmMarketViews',
    'MARKET_VIEW_METHODS',
    'MarketRpcClient',
    'RpcCallError',
    'RpcClient',
    'gridledgerChain',
    'publicClientOf',
    'rpcMarketViews',
    'subscribe',
    'subscribeLogs',
    'subscribeNewHeads',
    'walletClientOf',
    'wsUrlOf',
  ]);
});
