// Choosing and loading the node's application from genesis.json: `"app": "kv"` (the default, the
// key-value app of the consensus tests) or `"app": "execution"` (Ethereum transactions and the
// platform's modules, with `appState` the execution genesis as written by `encodeGenesisJson`).
// Both apps commit the same way: finalizeBlock stages the block's writes, the node saves them with the
// block in one store batch (`store.saveBlock(block, app.pendingCommit(h))`), then `app.commit(h)`.
// That shared shape is {@link NodeApp}. The execution app recovers senders on worker threads when the
// native secp256k1 binding is there (SenderRecoveryPool), inline otherwise. When the execution genesis
// carries `energy` (the market configuration's JSON, @gridledger/energy), the app runs the energy
// extension: the registry, market and meters modules with clearing and settlement in every block.
import type { AppCommit, Application } from '@gridledger/app-api';
import { InputError } from '@gridledger/base';
import {
  decodeMarketConfigJson,
  energyExtension,
  type IntervalStepObserver,
  type MarketConfig,
} from '@gridledger/energy';
import { decodeGenesisJson, ExecutionApp, SenderRecoveryPool } from '@gridledger/execution';
import { KvApp } from '@gridledger/kvapp';
import type { NodeStore } from '@gridledger/store';
import { genesisEthChainId } from './genesis.ts';
import type { Home } from './home.ts';

/** What the node needs from an application: the consensus interface plus the store commit hook. */
export interface NodeApp extends Application {
  /** The store writes and root of finalized, not yet committed block `height` (for NodeStore.saveBlock). */
  pendingCommit(height: bigint): AppCommit;
}

/** The applications a genesis may name. */
export type AppKind = 'kv' | 'execution';

/** A loaded application and how to release what it holds (worker threads). */
export interface LoadedApp {
  kind: AppKind;
  app: NodeApp;
  /** Set when the app is the execution app (the RPC server serves its methods). */
  execution: ExecutionApp | undefined;
  /** The energy market's configuration when genesis enables it (the RPC server serves gl_* then). */
  energy: MarketConfig | undefined;
  close(): Promise<void>;
}

/** Recovery worker threads per node (the 4 validators of a local testnet share the machine's cores). */
export const RECOVERY_WORKERS = 1;

/**
 * Loads the application genesis.json names, over the node's store.
 * @example const { app, close } = await loadNodeApp(home, store);
 */
export async function loadNodeApp(
  home: Home,
  store: NodeStore,
  options: { observeIntervalSteps?: IntervalStepObserver } = {},
): Promise<LoadedApp> {
  const kind: AppKind = home.genesis.app ?? 'kv';
  if (kind === 'kv') {
    return {
      kind,
      app: await KvApp.load(store),
      execution: undefined,
      energy: undefined,
      close: async () => {},
    };
  }
  const genesis = decodeGenesisJson(home.genesis.appState);
  const energyJson = home.genesis.appState.energy;
  const energy =
    energyJson === undefined ? undefined : decodeMarketConfigJson(energyJson, 'genesis.json appState.energy');
  const ethChainId = genesisEthChainId(home.genesis);
  if (energy && energy.chainId !== ethChainId) {
    throw new InputError(
      `${home.dir}/genesis.json: appState.energy.chainId ${energy.chainId} differs from ethChainId ${ethChainId} (meter readings would be signed for another chain)`,
    );
  }
  const pool = SenderRecoveryPool.create(RECOVERY_WORKERS);
  try {
    const app = await ExecutionApp.load({
      chainId: ethChainId,
      genesis,
      storage: store,
      maxTxBytes: home.config.mempool.maxTxBytes,
      ...(pool ? { recoveryPool: pool } : {}),
      ...(energy ? { extensions: [energyExtension(energy, options)] } : {}),
    });
    return { kind, app, execution: app, energy, close: async () => pool?.close() };
  } catch (err) {
    await pool?.close();
    throw err;
  }
}
