// The public API of @gridledger/store: a change to this list is an API change and shows up in review.
import { describe, expect, it } from 'vitest';
import * as api from './index.ts';

describe('@gridledger/store exports', () => {
  it('exports exactly these runtime names', () => {
    expect(Object.keys(api).sort()).toEqual(['NodeStore', 'StoreError']);
  });
});
