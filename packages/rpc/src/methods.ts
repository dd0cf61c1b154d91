// The method table a node serves, composed from the method modules (methods/*.ts) by what the port
// offers: the chain methods always (web3_/net_, eth_ chain and blocks, gl_ chain, newHeads); with the
// execution app its methods, which replace the key-value view of blocks and subscriptions; with the
// energy market its gl_ views.
import type { RpcMethodTable } from './method.ts';
import { ethBlockMethods, ethExecutionBlockMethods, executionBlockView } from './methods/eth-block.ts';
import { ethCallMethods } from './methods/eth-call.ts';
import { ethChainMethods, ethGasMethods } from './methods/eth-chain.ts';
import { ethLogMethods, type LogLimits } from './methods/eth-logs.ts';
import { ethStateMethods } from './methods/eth-state.ts';
import { ethExecutionSubscribeMethods, ethSubscribeMethods } from './methods/eth-subscribe.ts';
import { ethTransactionMethods } from './methods/eth-transaction.ts';
import { glAccountMethods } from './methods/gl-account.ts';
import { glChainMethods } from './methods/gl-chain.ts';
import { glMarketMethods } from './methods/gl-market.ts';
import { web3NetMethods } from './methods/web3-net.ts';
import type { RpcBackend } from './port.ts';

/** Options of {@link buildMethods}. */
export interface MethodOptions extends LogLimits {
  backend: RpcBackend;
  /** web3_clientVersion's answer. */
  clientVersion: string;
  /** Largest transaction accepted by gl_sendTx (bytes). */
  maxTxBytes: number;
}

/**
 * Builds the method table over `options.backend`.
 * @example new RpcDispatcher(buildMethods({ backend, clientVersion: 'test', maxTxBytes: 4096 }))
 */
export function buildMethods(options: MethodOptions): RpcMethodTable {
  const { backend } = options;
  const tables: RpcMethodTable[] = [
    web3NetMethods(backend, options.clientVersion),
    ethChainMethods(backend),
    ethBlockMethods(backend),
    glChainMethods(backend, options.maxTxBytes),
    ethSubscribeMethods(backend),
  ];
  const app = backend.execution;
  if (app !== undefined) {
    const view = executionBlockView(backend, app);
    tables.push(
      ethGasMethods(app),
      ethStateMethods(app),
      ethCallMethods(app),
      ethTransactionMethods(backend, app),
      ethLogMethods(backend, app, {
        ...(options.maxLogBlocks === undefined ? {} : { maxLogBlocks: options.maxLogBlocks }),
        ...(options.maxLogs === undefined ? {} : { maxLogs: options.maxLogs }),
      }),
      ethExecutionBlockMethods(backend, app, view),
      ethExecutionSubscribeMethods(backend, app, view),
    );
    if (backend.market !== undefined) {
      tables.push(
        glMarketMethods({
          app,
          config: backend.market,
          latestBlock: () => {
            const tip = backend.tip?.();
            return tip === undefined || tip.height === 0n
              ? undefined
              : { number: tip.height, timeMs: tip.timeMs };
          },
        }),
        glAccountMethods({ app }),
      );
    }
  }
  const m: RpcMethodTable = new Map();
  for (const t of tables) for (const [name, fn] of t) m.set(name, fn);
  return m;
}
