// Extension hooks of the ExecutionApp: extra built-in modules registered beside the platform's, a genesis
// step run after the platform genesis, and a begin-block step run at the start of every finalizeBlock
// (before the block's transactions) whose logs are recorded in the block with the zero transaction hash.
// Added for @gridledger/energy (market clearing and settlement in the block); kept minimal on purpose.
import type { Address, Log, Module, ModuleRegistry } from './module.ts';
import type { JournaledState } from './state.ts';

/** Transaction hash under which begin-block (system) logs are recorded: 32 zero bytes. */
export const SYSTEM_TX_HASH = `0x${'00'.repeat(32)}` as const;

/** A set of extra modules with their genesis and begin-block steps. */
export interface ExecutionExtension {
  readonly name: string;
  /** Modules to register (at addresses no platform module uses). */
  modules?(): Module[];
  /** Writes the extension's genesis state (after the platform genesis). */
  genesis?(state: JournaledState, modules: ModuleRegistry): void;
  /**
   * Runs at the start of each block with the block's height and time; may await (e.g. a solver), must be
   * deterministic, and returns the logs it emitted. A throw aborts the block (a consensus bug, not a revert)
   * and finalizeBlock reverts every write the block made, so a retry starts from the committed state.
   */
  beginBlock?(
    state: JournaledState,
    modules: ModuleRegistry,
    env: { height: bigint; timeMs: bigint },
  ): Promise<Log[]>;
  /**
   * True for a call the mempool keeps in its reserved lane (a settlement input such as a meter reading
   * or an order cancellation), so spam of other calls cannot keep it out (checkTx's `ordering.reserved`).
   */
  reservedLane?(to: Address, data: Uint8Array): boolean;
}
