// WebSocket subscriptions: eth_subscribe ("newHeads"; "logs" with the execution app) and eth_unsubscribe.
// Notifications are `eth_subscription` messages with `{ subscription, result }`.
import type { AddressHex, Hex } from '../wire.ts';
import type { EthBlockHeader } from './eth-block.ts';
import type { EthLog } from './eth-transaction.ts';

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
