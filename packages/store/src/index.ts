// @gridledger/store: the node's crash-safe embedded database (classic-level). Owns where blocks,
// certificates, application state, evidence and consensus records live on disk; not their encodings.

export { MemoryKVStore } from './memory-kv.ts';
export {
  type AppCommit,
  type AppInfo,
  type BlockRecord,
  NodeStore,
  type NodeStoreOptions,
  type SaveBlockInput,
  StoreError,
} from './node-store.ts';
export { type KVStore, MAX_STATE_KEY_BYTES, StateBatch, type StateWrite } from './state-batch.ts';
