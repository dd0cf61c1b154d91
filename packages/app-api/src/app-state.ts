// What an application hands the node store when a block commits, and what the store reports back on
// restart. Declared here, below both, so that applications (execution layer) and the store (protocol
// layer) share them without importing each other.
import type { StateWrite } from './state-batch.ts';

/** The application's part of a block commit: its state writes and the state root after the block. */
export interface AppCommit {
  writes: readonly StateWrite[];
  appHash: Uint8Array;
}

/** The last committed application state: its height and root. */
export interface AppInfo {
  height: bigint;
  appHash: Uint8Array;
}
