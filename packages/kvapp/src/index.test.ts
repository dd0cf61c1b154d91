// The public API of @gridledger/kvapp: a change to this list is an API change and shows up in review.
import { describe, expect, it } from 'vitest';
import * as api from './index.ts';

describe('@gridledger/kvapp exports', () => {
  it('exports exactly these runtime names', () => {
    expect(Object.keys(api).sort()).toEqual([
      'AppError',
      'KvApp',
      'MAX_KV_KEY_BYTES',
      'MAX_KV_TX_BYTES',
      'MAX_KV_VALUE_BYTES',
      'MerkleKvState',
      'STATE_BUCKET_BITS',
      'decodeKvTx',
      'encodeKvTx',
      'encodeStateLeaf',
      'stateBucketOf',
    ]);
  });
});
