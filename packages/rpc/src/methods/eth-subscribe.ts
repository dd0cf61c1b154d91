// WebSocket subscriptions: eth_subscribe ("newHeads"; "logs" with the execution app) and eth_unsubscribe.
// Notifications are `eth_subscription` messages with `{ subscription, result }`.
import { toHex } from '@gridledger/base';
import { invalidParams, RPC_ERRORS, RpcError } from '../errors.ts';
import type { RpcMethodTable } from '../method.ts';
import { arity } from '../params.ts';
import type { RpcBackend, RpcExecutionApp } from '../port.ts';
import type { AddressHex, Hex } from '../wire.ts';
import { chainTxHash, type EthBlockHeader, type ExecutionBlockView, formatEthBlock } from './eth-block.ts';
import { type LogFilter, parseLogFilter, selectBlockLogs } from './eth-logs.ts';
import { type EthLog, formatLog } from './eth-transaction.ts';

/** eth_subscribe: "newHeads", or "logs" with an address/topics filter. */
export type EthSubscribeParameters =
  | ['newHeads']
  | ['logs', { address?: AddressHex | AddressHex[]; topics?: (Hex | Hex[] | null)[] }?];
/** eth_subscribe: the subscription id. */
export type EthSubscribeReturnType = Hex;

/** What a notification carries for each kind. */
export interface EthSubscriptionResult {
  newHeads: EthBlockHeader;
  logs: EthLog;
}

/** eth_unsubscribe: the subscription id. */
export type EthUnsubscribeParameters = [id: string];
/** eth_unsubscribe: whether it existed. */
export type EthUnsubscribeReturnType = boolean;

/** eth_subscribe "newHeads" (key-value app) and eth_unsubscribe. */
export function ethSubscribeMethods(backend: RpcBackend): RpcMethodTable {
  const txHash = chainTxHash(backend);
  const m: RpcMethodTable = new Map();
  m.set('eth_subscribe', async (p, ctx): Promise<EthSubscribeReturnType> => {
    arity(p, 1, 1, '["newHeads"]');
    if (p[0] !== 'newHeads')
      throw invalidParams(`only "newHeads" subscriptions exist, got ${JSON.stringify(p[0])}`);
    if (ctx.subscribe === undefined) {
      throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, 'eth_subscribe is only available over WebSocket');
    }
    if (backend.onBlock === undefined) {
      throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, 'this node does not publish new blocks');
    }
    const onBlock = backend.onBlock;
    let off: () => void = () => {};
    const id = ctx.subscribe(
      'newHeads',
      () => off(),
      (send) => {
        off = onBlock((height) => {
          void backend.getBlock({ height }).then((b) => {
            if (b !== undefined) {
              const { transactions: _t, ...head } = formatEthBlock(b, false, txHash, backend.ethChainId);
              send(head satisfies EthBlockHeader);
            }
          });
        });
      },
    );
    return id as Hex;
  });
  m.set('eth_unsubscribe', async (p, ctx): Promise<EthUnsubscribeReturnType> => {
    arity(p, 1, 1, '[subscription id]');
    if (typeof p[0] !== 'string') throw invalidParams('subscription id must be a string');
    return ctx.unsubscribe?.(p[0]) ?? false;
  });
  return m;
}

/** eth_subscribe with the execution app: "newHeads" (its block view) and "logs" with a filter. */
export function ethExecutionSubscribeMethods(
  backend: RpcBackend,
  app: RpcExecutionApp,
  view: ExecutionBlockView,
): RpcMethodTable {
  const m: RpcMethodTable = new Map();
  m.set('eth_subscribe', async (p, ctx): Promise<EthSubscribeReturnType> => {
    const kind = p[0];
    if (kind !== 'newHeads' && kind !== 'logs')
      throw invalidParams(`subscriptions are "newHeads" and "logs", got ${JSON.stringify(kind)}`);
    if (ctx.subscribe === undefined)
      throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, 'eth_subscribe is only available over WebSocket');
    if (backend.onBlock === undefined)
      throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, 'this node does not publish new blocks');
    const onBlock = backend.onBlock;
    let filter: LogFilter | undefined;
    if (kind === 'logs') {
      const f = p[1] ?? {};
      if (typeof f !== 'object' || f === null || Array.isArray(f))
        throw invalidParams('logs subscription: expected a filter object {address?, topics?}');
      filter = parseLogFilter(f as Record<string, unknown>);
    }
    let off: () => void = () => {};
    const id = ctx.subscribe(
      kind,
      () => off(),
      (send) => {
        // Blocks are published in height order: each push waits for the previous one.
        let chain: Promise<void> = Promise.resolve();
        off = onBlock((height) => {
          chain = chain
            .then(async () => {
              const b = await backend.getBlock({ height });
              if (b === undefined) return;
              if (kind === 'newHeads') {
                const head = await view.ethBlock(b, false);
                if (head !== null) {
                  const { transactions: _t, ...rest } = head;
                  send(rest satisfies EthBlockHeader);
                }
                return;
              }
              const rec = await app.loadBlock(height);
              if (rec === undefined || filter === undefined) return;
              const hash = toHex(b.hash);
              for (const log of selectBlockLogs(rec, filter)) {
                send(formatLog(log, height, hash, log.txHash, log.txIndex, log.logIndex) satisfies EthLog);
              }
            })
            .catch(() => {});
        });
      },
    );
    return id as Hex;
  });
  return m;
}
