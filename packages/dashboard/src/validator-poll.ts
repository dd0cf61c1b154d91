// The validators' table: each node's gl_status (index, key, height, peers, catching up) polled with a
// short timeout; a node that does not answer is "down" (keeping the identity it had), one more than 3
// blocks below the highest is "behind". A node that answers but serves no gl_status (another EVM node:
// anvil, geth, Besu) is shown from the standard methods: its client, height and peer count.
import { RpcCallError, RpcClient } from '@gridledger/client';
import type { ValidatorRow } from './view.ts';

/**
 * Polls every URL's gl_status once.
 * @example const rows = await pollValidators(['http://127.0.0.1:26601'], []);
 */
export async function pollValidators(
  urls: readonly string[],
  previous: readonly ValidatorRow[],
): Promise<ValidatorRow[]> {
  const rows = await Promise.all(
    urls.map(async (url): Promise<ValidatorRow> => {
      const rpc = new RpcClient(url, { timeoutMs: 1500, attempts: 1 });
      try {
        const st = await rpc.status();
        return {
          url,
          index: st.validator?.index ?? null,
          publicKey: st.validator?.publicKey ?? null,
          height: Number(st.height),
          peers: Number(st.peers),
          status: st.catchingUp ? 'behind' : 'up',
        };
      } catch (err) {
        if (err instanceof RpcCallError && err.rpcCode !== undefined) return ethereumRow(rpc);
        return { url, index: null, publicKey: null, height: null, peers: null, status: 'down' };
      }
    }),
  );
  const top = Math.max(0, ...rows.map((r) => r.height ?? 0));
  for (const r of rows) if (r.status === 'up' && r.height !== null && r.height < top - 3) r.status = 'behind';
  for (const r of rows) {
    const prev = previous.find((v) => v.url === r.url);
    if (r.status === 'down' && prev) {
      r.index = prev.index;
      r.publicKey = prev.publicKey;
    }
  }
  return rows;
}

/** A node without gl_status, from eth_blockNumber, net_peerCount and web3_clientVersion (the last two optional). */
async function ethereumRow(rpc: RpcClient): Promise<ValidatorRow> {
  const [head, peers, client] = await rpc.batch([
    { method: 'eth_blockNumber', params: [] },
    { method: 'net_peerCount', params: [] },
    { method: 'web3_clientVersion', params: [] },
  ] as const);
  if (!head.ok)
    return { url: rpc.url, index: null, publicKey: null, height: null, peers: null, status: 'down' };
  return {
    url: rpc.url,
    index: null,
    publicKey: null,
    height: Number(BigInt(head.result)),
    peers: peers.ok ? Number(BigInt(peers.result)) : null,
    status: 'up',
    client: client.ok ? String(client.result) : null,
  };
}
