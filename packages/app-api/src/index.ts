// @gridledger/app-api: the contracts below consensus, the store and the applications (base layer).
// Owns the Application interface (how consensus drives a state machine), the key-value state types an
// application reads and writes, and what it commits with a block; owns no implementation of either side.

export type { AppCommit, AppInfo } from './app-state.ts';
export type { Application, CheckTxResult, TxOrdering, TxResult } from './application.ts';
export { MemoryKVStore } from './memory-kv.ts';
export { type KVStore, MAX_STATE_KEY_BYTES, StateBatch, type StateWrite } from './state-batch.ts';
