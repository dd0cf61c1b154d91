// @gridledger/kvapp: the minimal key-value application consensus tests and the node run (issue 3).
// Owns the `key=value` transaction format and its incremental Merkle state commitment; persistence goes
// through the store.
export { AppError, KvApp, type KvAppStorage } from './kv-app.ts';
export { encodeStateLeaf, MerkleKvState, STATE_BUCKET_BITS, stateBucketOf } from './merkle-state.ts';
export {
  type DecodeKvTxResult,
  decodeKvTx,
  encodeKvTx,
  type KvTx,
  MAX_KV_KEY_BYTES,
  MAX_KV_TX_BYTES,
  MAX_KV_VALUE_BYTES,
} from './tx.ts';
