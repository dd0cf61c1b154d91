// The web3_ and net_ namespaces: the client version and the network identity (chain id, peers).
import { quantity } from '../hex.ts';
import type { RpcMethodTable } from '../method.ts';
import { arity } from '../params.ts';
import type { RpcBackend } from '../port.ts';
import type { DecimalString, Hex } from '../wire.ts';

/** web3_clientVersion: no parameters. */
export type Web3ClientVersionParameters = [];
/** web3_clientVersion: `gridledger/0.1.0/node-vX`. */
export type Web3ClientVersionReturnType = string;

/** net_version: no parameters. */
export type NetVersionParameters = [];
/** net_version: the numeric chain id as a decimal string. */
export type NetVersionReturnType = DecimalString;

/** net_listening: no parameters. */
export type NetListeningParameters = [];
/** net_listening: always true. */
export type NetListeningReturnType = true;

/** net_peerCount: no parameters. */
export type NetPeerCountParameters = [];
/** net_peerCount: connected peers, hex. */
export type NetPeerCountReturnType = Hex;

/** The web3_ and net_ methods. */
export function web3NetMethods(backend: RpcBackend, clientVersion: string): RpcMethodTable {
  const m: RpcMethodTable = new Map();
  m.set('web3_clientVersion', async (p): Promise<Web3ClientVersionReturnType> => {
    arity(p, 0, 0, 'no parameters');
    return clientVersion;
  });
  m.set('net_version', async (p): Promise<NetVersionReturnType> => {
    arity(p, 0, 0, 'no parameters');
    return backend.ethChainId.toString();
  });
  m.set('net_listening', async (p): Promise<NetListeningReturnType> => {
    arity(p, 0, 0, 'no parameters');
    return true;
  });
  m.set('net_peerCount', async (p): Promise<NetPeerCountReturnType> => {
    arity(p, 0, 0, 'no parameters');
    return quantity((await backend.status()).peers);
  });
  return m;
}
