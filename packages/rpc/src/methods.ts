// The JSON-RPC methods of the read side (issue 3 item 9) plus transaction submission for the kv app.
// Each handler takes positional params, checks them strictly (invalid-params errors say which and what
// was expected) and reads the RpcBackend. Ethereum methods answer in Ethereum's hex encodings; gl_*
// methods answer with integers as decimal strings and bytes as 0x-hex, like CometBFT's RPC.
import { toHex } from '@gridledger/base';
import { sha256 } from '@gridledger/crypto';
import type { RpcBackend, RpcBlock } from './backend.ts';
import { invalidParams, RPC_ERRORS, RpcError } from './errors.ts';
import { formatEthBlock } from './eth-block.ts';
import { data, parseData, parseQuantity, quantity } from './hex.ts';

/** Per-request context: set for WebSocket requests, so subscriptions can push to the connection. */
export interface RpcContext {
  subscribe?(name: string, unsubscribe: () => void, push: (send: (result: unknown) => void) => void): string;
  unsubscribe?(id: string): boolean;
}

/** A method handler. */
export type RpcMethod = (params: unknown[], ctx: RpcContext) => Promise<unknown>;

/** Options shared by the methods. */
export interface MethodOptions {
  backend: RpcBackend;
  /** web3_clientVersion's answer. */
  clientVersion: string;
  /** Largest transaction accepted by gl_sendTx (bytes, default 1 MiB). */
  maxTxBytes: number;
}

function arity(params: unknown[], min: number, max: number, usage: string): void {
  if (params.length < min || params.length > max) {
    throw invalidParams(`expected ${usage}, got ${params.length} parameter${params.length === 1 ? '' : 's'}`);
  }
}

function parseBool(v: unknown, what: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalidParams(`${what} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** A height given as a hex quantity ("0x1a") or a non-negative integer (26). */
function parseHeight(v: unknown, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0)
      throw invalidParams(`${what} must be a non-negative integer, got ${v}`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^[0-9]{1,19}$/.test(v)) return BigInt(v);
  return parseQuantity(v, what);
}

/** Builds the method table over `options.backend`. */
export function buildMethods(options: MethodOptions): Map<string, RpcMethod> {
  const { backend } = options;
  const txHash = (tx: Uint8Array) => (backend.txHash ? backend.txHash(tx) : sha256(tx));
  const ethBlock = (b: RpcBlock | undefined, full: boolean) =>
    b === undefined ? null : formatEthBlock(b, full, txHash, backend.ethChainId);

  async function resolveTag(tag: unknown): Promise<bigint> {
    if (tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') {
      // BFT finality: the latest committed block is final; nothing is pending outside the mempool.
      return backend.latestHeight();
    }
    if (tag === 'earliest') return 1n;
    if (typeof tag === 'string' && tag.startsWith('0x')) return parseQuantity(tag, 'block number');
    throw invalidParams(
      `block must be a hex number or one of "latest", "earliest", "pending", "safe", "finalized", got ${JSON.stringify(tag)}`,
    );
  }

  async function submit(params: unknown[]): Promise<unknown> {
    arity(params, 1, 1, '[transaction as 0x-hex]');
    const tx = parseData(params[0], 'transaction', { maxBytes: options.maxTxBytes });
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

  const m = new Map<string, RpcMethod>();
  m.set('web3_clientVersion', async (p) => {
    arity(p, 0, 0, 'no parameters');
    return options.clientVersion;
  });
  m.set('net_version', async (p) => {
    arity(p, 0, 0, 'no parameters');
    return backend.ethChainId.toString();
  });
  m.set('net_listening', async (p) => {
    arity(p, 0, 0, 'no parameters');
    return true;
  });
  m.set('net_peerCount', async (p) => {
    arity(p, 0, 0, 'no parameters');
    return quantity((await backend.status()).peers);
  });
  m.set('eth_chainId', async (p) => {
    arity(p, 0, 0, 'no parameters');
    return quantity(backend.ethChainId);
  });
  m.set('eth_syncing', async (p) => {
    arity(p, 0, 0, 'no parameters');
    const s = await backend.status();
    return s.catchingUp
      ? { startingBlock: '0x0', currentBlock: quantity(s.height), highestBlock: quantity(s.height) }
      : false;
  });
  m.set('eth_blockNumber', async (p) => {
    arity(p, 0, 0, 'no parameters');
    return quantity(await backend.latestHeight());
  });
  m.set('eth_getBlockByNumber', async (p) => {
    arity(p, 1, 2, '[block number or tag, full transactions?]');
    const height = await resolveTag(p[0]);
    const full = parseBool(p[1], 'full transactions flag');
    return ethBlock(height === 0n ? undefined : await backend.getBlock({ height }), full);
  });
  m.set('eth_getBlockByHash', async (p) => {
    arity(p, 1, 2, '[block hash, full transactions?]');
    const hash = parseData(p[0], 'block hash', { length: 32 });
    const full = parseBool(p[1], 'full transactions flag');
    return ethBlock(await backend.getBlock({ hash }), full);
  });
  m.set('eth_getBlockTransactionCountByNumber', async (p) => {
    arity(p, 1, 1, '[block number or tag]');
    const height = await resolveTag(p[0]);
    const b = height === 0n ? undefined : await backend.getBlock({ height });
    return b === undefined ? null : quantity(b.txs.length);
  });
  m.set('gl_status', async (p) => {
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
    };
  });
  m.set('gl_validators', async (p) => {
    arity(p, 0, 0, 'no parameters');
    const vs = await backend.validators();
    return vs.map((v, index) => ({ index, publicKey: data(v.publicKey), power: v.power.toString() }));
  });
  m.set('gl_commit', async (p) => {
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
  m.set('gl_query', async (p) => {
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
  m.set('eth_subscribe', async (p, ctx) => {
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
              send(head);
            }
          });
        });
      },
    );
    return id;
  });
  m.set('eth_unsubscribe', async (p, ctx) => {
    arity(p, 1, 1, '[subscription id]');
    if (typeof p[0] !== 'string') throw invalidParams('subscription id must be a string');
    return ctx.unsubscribe?.(p[0]) ?? false;
  });
  return m;
}
