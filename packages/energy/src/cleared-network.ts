// The network an interval cleared on (issue 17, H4). Clearing records the effective network it solved
// on (buses, branches, reactances, and the line limits and statuses in force at its gate) content-
// addressed by the keccak256 of its JSON, stored once per distinct network; settlement (the digital
// twin) and anything else computed after clearing reads it back with `clearedNetworkOf`, so a network
// re-registered or a limit changed between an interval's clearing and its settlement cannot change or
// break that interval's settlement.
// State keys (prefix <market address>):
//   :iv:<k>:neth          keccak256 of the cleared network's JSON (0: cleared before this record existed)
//   :net:<hash hex>:len, :net:<hash hex>:<i>   the network JSON (blob, words.ts)
import type { CallContext } from '@gridledger/execution';
import type { Network } from '@gridledger/grid';
import { keccak256 } from 'viem';
import { MARKET_ADDRESS } from './addresses.ts';
import { type NetworkJson, networkFromJson, networkToJson } from './network-json.ts';
import { registryView } from './registry.ts';
import { readJsonBlob, type StateReader, writeBlob } from './words.ts';

/** State keys of the cleared networks. */
export const clearedNetworkKeys = {
  /** keccak256 of the JSON of the network interval `k` cleared on. */
  hash: (k: bigint) => `${MARKET_ADDRESS}:iv:${k}:neth`,
  /** The network JSON with that hash (a blob prefix). */
  blob: (hash: bigint) => `${MARKET_ADDRESS}:net:${hash.toString(16)}`,
};

/**
 * Records `network` (as the engine solved it) as the one interval `k` cleared on; with `ac` (markets priced
 * AC) with its AC data (resistances, charging, voltage limits), which the real-time AC prices need.
 */
export function recordClearedNetwork(
  ctx: CallContext,
  k: bigint,
  network: Network,
  options: { ac?: boolean } = {},
): void {
  const bytes = new TextEncoder().encode(JSON.stringify(networkToJson(network, options)));
  const hash = BigInt(keccak256(bytes));
  const blob = clearedNetworkKeys.blob(hash);
  if (ctx.read(`${blob}:len`) === 0n) writeBlob(ctx, blob, bytes);
  ctx.write(clearedNetworkKeys.hash(k), hash);
}

/**
 * The network interval `k` cleared on, with the limits and statuses in force at its gate. For an
 * interval cleared before the record existed (or without a clearing): the registered network with the
 * limits and line statuses in force now.
 * Undefined when neither exists.
 */
export function clearedNetworkOf(state: StateReader, k: bigint): Network | undefined {
  const hash = state.get(clearedNetworkKeys.hash(k));
  if (hash !== 0n) {
    const json = readJsonBlob<NetworkJson>(state, clearedNetworkKeys.blob(hash));
    if (json !== undefined) return networkFromJson(json);
  }
  const json = registryView.network(state);
  return json === undefined ? undefined : registryView.engineNetwork(state, json);
}
