// The chain's own gl_ methods: gl_status, gl_validators, gl_commit, gl_query (key-value app) and
// transaction submission (gl_sendTx, broadcast_tx). Integers are decimal strings, bytes 0x-hex.
import type { DecimalString, Hex, IntegerParameter } from '../wire.ts';

/** gl_status: no parameters. */
export type GlStatusParameters = [];
/** gl_status: the node's view of itself. */
export interface GlStatusReturnType {
  chainId: string;
  height: DecimalString;
  latestHash: Hex | null;
  latestTimeMs: DecimalString | null;
  peers: number;
  /** This node's validator key and index in the set (index null when it is not a validator). */
  validator: { publicKey: Hex; index: number | null } | null;
  catchingUp: boolean;
}

/** gl_validators: no parameters. */
export type GlValidatorsParameters = [];
/** gl_validators: the validator set in order. */
export type GlValidatorsReturnType = { index: number; publicKey: Hex; power: DecimalString }[];

/** gl_commit: the height (hex, decimal string or number). */
export type GlCommitParameters = [height: IntegerParameter];
/** gl_commit: the commit certificate, or null. */
export type GlCommitReturnType = {
  height: DecimalString;
  round: number;
  blockHash: Hex;
  signatures: { validatorIndex: number; signature: Hex }[];
} | null;

/** gl_query: an application key as 0x-hex (key-value app only). */
export type GlQueryParameters = [key: Hex];
/** gl_query: the committed value (null when absent) and its height. */
export interface GlQueryReturnType {
  height: DecimalString;
  key: Hex;
  value: Hex | null;
}

/** gl_sendTx and broadcast_tx: the transaction as 0x-hex. */
export type GlSendTxParameters = [tx: Hex];
/** gl_sendTx and broadcast_tx: the hash the node knows the transaction by. */
export interface GlSendTxReturnType {
  hash: Hex;
}
