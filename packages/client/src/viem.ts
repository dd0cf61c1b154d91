// viem on a gridledger chain: the chain definition for a node's chain id, and viem's public and wallet
// clients over viem's HTTP transport, for contract reads, gas estimates, signing, sending and waiting for
// receipts with viem's own revert decoding.
import {
  type Chain,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type LocalAccount,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';

/**
 * The viem chain of a gridledger node (no native currency: gas is free).
 * @example const chain = gridledgerChain('http://127.0.0.1:26601', 1337);
 */
export function gridledgerChain(url: string, chainId: number): Chain {
  return defineChain({
    id: chainId,
    name: 'gridledger',
    nativeCurrency: { name: 'none', symbol: 'NONE', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
}

/** A viem public client of the node at `url` (requests time out after `timeoutMs`; receipts polled every 250 ms). */
export function publicClientOf(chain: Chain, url: string, timeoutMs: number): PublicClient {
  return createPublicClient({ chain, transport: http(url, { timeout: timeoutMs }), pollingInterval: 250 });
}

/** A viem wallet client that signs with `account` and sends to the node at `url`. */
export function walletClientOf(
  account: LocalAccount,
  chain: Chain,
  url: string,
  timeoutMs: number,
): WalletClient<Transport, Chain, LocalAccount> {
  return createWalletClient({ account, chain, transport: http(url, { timeout: timeoutMs }) });
}
