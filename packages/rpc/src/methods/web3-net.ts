// The web3_ and net_ namespaces: the client version and the network identity (chain id, peers).
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
