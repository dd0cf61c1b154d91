// The public API of @gridledger/rpc: a change to this list is an API change and shows up in review.
import { describe, expect, it } from 'vitest';
import * as api from './index.ts';

describe('@gridledger/rpc exports', () => {
  it('exports exactly these runtime names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'RPC_ERRORS',
      'RpcDispatcher',
      'RpcError',
      'RpcServer',
      'buildMethods',
      'ethChainIdOf',
      'formatEthBlock',
      'formatEthTransaction',
      'invalidParams',
      'mempoolSubmitter',
      'proposerAddress',
      'storeBlockReader',
    ]);
  });
});
