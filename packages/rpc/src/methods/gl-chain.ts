// The chain's own gl_ methods: gl_status, gl_validators, gl_commit, gl_query (key-value app) and
// transaction submission (gl_sendTx, broadcast_tx). Integers are decimal strings, bytes 0x-hex.
import { toHex } from '@gridledger/base';
import { invalidParams, RPC_ERRORS, RpcError } from '../errors.ts';
import { data } from '../hex.ts';
import type { RpcMethodTable } from '../method.ts';
import { arity, parseData, parseHeight } from '../params.ts';
import type { RpcBackend } from '../port.ts';
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
  /** Validators jailed by committed equivocation evidence (power 0 from `fromHeight` on). */
  jailed: GlJail[];
}

/** A jailed validator as gl_status and gl_validators show it. */
export interface GlJail {
  index: number;
  publicKey: Hex;
  /** First height at which its power is 0. */
  fromHeight: DecimalString;
  /** Height of the block that committed the evidence. */
  committedAt: DecimalString;
  /** The evidence key `validator/height/round/type`. */
  evidence: string;
}

/** gl_validators: no parameters. */
export type GlValidatorsParameters = [];
/**
 * gl_validators: the validator set in genesis order, each with its power in force at the next height
 * (0 once jailed) and its jail record or null.
 */
export type GlValidatorsReturnType = {
  index: number;
  publicKey: Hex;
  power: DecimalString;
  jailed: { fromHeight: DecimalString; committedAt: DecimalString; evidence: string } | null;
}[];

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

/** The gl_ chain methods; `maxTxBytes` bounds gl_sendTx. */
export function glChainMethods(backend: RpcBackend, maxTxBytes: number): RpcMethodTable {
  async function submit(params: unknown[]): Promise<GlSendTxReturnType> {
    arity(params, 1, 1, '[transaction as 0x-hex]');
    const tx = parseData(params[0], 'transaction', { maxBytes: maxTxBytes });
    if (tx.length === 0) throw invalidParams('transaction must not be empty');
    const r = await backend.submitTx(tx);
    if (!r.ok) {
      throw new RpcError(RPC_ERRORS.TX_REJECTED, `transaction rejected: ${r.reason}`, {
        code: r.code,
        reason: r.reason,
        hash: r.hash === undefined ? undefined : toHex(r.hash),
      });
    }
    return { hash: data(r.hash) };
  }

  const m: RpcMethodTable = new Map();
  m.set('gl_status', async (p): Promise<GlStatusReturnType> => {
    arity(p, 0, 0, 'no parameters');
    const s = await backend.status();
    return {
      chainId: s.chainId,
      height: s.height.toString(),
      latestHash: s.latestHash === undefined ? null : data(s.latestHash),
      latestTimeMs: s.latestTimeMs === undefined ? null : s.latestTimeMs.toString(),
      peers: s.peers,
      validator:
        s.validator === undefined
          ? null
          : { publicKey: data(s.validator.publicKey), index: s.validator.index },
      catchingUp: s.catchingUp,
      jailed: (s.jailed ?? []).map((j) => ({
        index: j.index,
        publicKey: data(j.publicKey),
        fromHeight: j.fromHeight.toString(),
        committedAt: j.committedAt.toString(),
        evidence: j.evidence,
      })),
    };
  });
  m.set('gl_validators', async (p): Promise<GlValidatorsReturnType> => {
    arity(p, 0, 0, 'no parameters');
    const vs = await backend.validators();
    return vs.map((v, index) => ({
      index,
      publicKey: data(v.publicKey),
      power: v.power.toString(),
      jailed:
        v.jailed === undefined
          ? null
          : {
              fromHeight: v.jailed.fromHeight.toString(),
              committedAt: v.jailed.committedAt.toString(),
              evidence: v.jailed.evidence,
            },
    }));
  });
  m.set('gl_commit', async (p): Promise<GlCommitReturnType> => {
    arity(p, 1, 1, '[height]');
    const height = parseHeight(p[0], 'height');
    const c = height === 0n ? undefined : await backend.commit(height);
    if (c === undefined) return null;
    return {
      height: c.height.toString(),
      round: c.round,
      blockHash: data(c.blockHash),
      signatures: c.signatures.map((s) => ({
        validatorIndex: s.validatorIndex,
        signature: data(s.signature),
      })),
    };
  });
  m.set('gl_query', async (p): Promise<GlQueryReturnType> => {
    arity(p, 1, 1, '[key as 0x-hex]');
    const key = parseData(p[0], 'key', { maxBytes: 1024 });
    if (key.length === 0) throw invalidParams('key must not be empty');
    if (backend.query === undefined)
      throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, 'this node does not serve gl_query');
    const r = await backend.query(key);
    return {
      height: r.height.toString(),
      key: data(key),
      value: r.value === undefined ? null : data(r.value),
    };
  });
  m.set('gl_sendTx', submit);
  m.set('broadcast_tx', submit);
  return m;
}
