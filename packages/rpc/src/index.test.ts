// The public API of @gridledger/rpc: a change to this list is an API change and shows up in review.
import { describe, expect, it } from 'vitest';
import * as api from './index.ts';

describe('@gridledger/rpc exports', () => {
  it('exports exactly these runtime names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'GRIDLEDGER_RPC_METHODS',
      'MAX_ACCOUNT_ORDER_SCAN',
      'MAX_PRICE_INTERVALS',
      'MODULE_CODE_MARKER',
      'RPC_ERRORS',
      'RpcDispatcher',
      'RpcError',
      'RpcServer',
      'buildMethods',
      'formatEthBlock',
      'formatEthTransaction',
      'glAccountMethods',
      'glMarketMethods',
      'invalidParams',
      'mempoolSubmitter',
      'parseLogFilter',
      'proposerAddress',
      'selectBlockLogs',
      'storeBlockReader',
    ]);
  });
});
