// @gridledger/store: the node's crash-safe embedded database (classic-level). Owns where blocks,
// certificates, application state, evidence and consensus records live on disk; not their encodings,
// and not the application's state types (KVStore, StateBatch, AppCommit: @gridledger/app-api).

export {
  type BlockRecord,
  NodeStore,
  type NodeStoreOptions,
  type SaveBlockInput,
  StoreError,
} from './node-store.ts';
