// One test world per test file (or describe block): the vitest hooks around world.ts's setUpWorld. The
// node starts and the market is deployed once, `setup` adds what the file needs (meters, contracts,
// client options), then the state is snapshotted and, with `isolate` (the default), every test starts from
// that snapshot (evm_revert / evm_snapshot). After the file the node is closed and its process group is
// checked gone. Kept apart from world.ts, which the gas benchmark imports outside vitest.
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { EvmMarketConfig } from '../src/deploy.ts';
import { rpc, setUpWorld, type World } from './world.ts';

export interface UseWorldOptions {
  /** Runs once after deployment, before the snapshot. */
  setup?: (w: World) => Promise<void>;
  /** Every test starts from the state after `setup` (default true). */
  isolate?: boolean;
  /** Time allowed for starting the node, deploying and `setup`, ms (vitest's hook default otherwise). */
  timeoutMs?: number;
}

/**
 * Registers the hooks of a world with `overrides` to the market's configuration; returns the world (valid
 * inside tests and later hooks).
 * @example const world = useWorld({ realtime: WORLD_REALTIME }); it('…', async () => { const w = world(); … });
 */
export function useWorld(overrides: Partial<EvmMarketConfig> = {}, opts: UseWorldOptions = {}): () => World {
  let w: World | undefined;
  let snapshot = '';
  beforeAll(async () => {
    w = await setUpWorld(overrides);
    await opts.setup?.(w);
    snapshot = await rpc<string>(w, 'evm_snapshot');
  }, opts.timeoutMs);
  afterAll(async () => {
    const pid = w?.anvil.process.pid;
    await w?.anvil.close();
    // anvil and its process group are gone
    if (pid !== undefined) expect(() => process.kill(-pid, 0)).toThrow();
  });
  if (opts.isolate ?? true) {
    beforeEach(async () => {
      const world = w!;
      expect(await rpc<boolean>(world, 'evm_revert', [snapshot])).toBe(true);
      snapshot = await rpc<string>(world, 'evm_snapshot');
    });
  }
  return () => {
    if (w === undefined)
      throw new Error('useWorld: the world is set up in beforeAll; read it inside a test or hook');
    return w;
  };
}
