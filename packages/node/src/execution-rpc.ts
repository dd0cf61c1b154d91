// The node's JSON-RPC methods when genesis chose the execution app: the execution package's method
// table (buildExecutionRpcMethods) wired to this node's mempool and store, plus the methods that need
// both the chain and the app: Ethereum blocks with their real transactions, gas used, logs bloom,
// receipts root and post-block state root; eth_subscribe "newHeads" and "logs"; and
// eth_sendRawTransaction recovering the sender on the worker pool before the mempool sees it.
//
// Block fields that differ from the read side's kv view (rpc/eth-block.ts):
//   transactions      the executed Ethereum transactions (hashes are keccak256 of the raw bytes)
//   gasUsed/gasLimit  the block's gas used and the app's block gas limit
//   logsBloom         the OR of the receipts' blooms
//   receiptsRoot      Ethereum's receipts trie root (Merkle-Patricia trie, key rlp(index), value the
//                     typed receipt encoding), computed on first request and cached
//   transactionsRoot  Ethereum's transactions trie root over the executed transactions (key rlp(index),
//                     value the raw typed transaction), computed and cached with the receipts root; the
//                     consensus header's own RFC 6962 root over the block's bytes stays in gl_commit
//   stateRoot         the app state root after the block (the next header's appHash, or the tip's)
// When genesis enables the energy market, the energy views (gl_marketConfig, gl_interval, gl_orders,
// gl_prices, gl_gridState) are served too.

import { createMPT } from '@ethereumjs/mpt';
import { toHex } from '@gridledger/base';
import { keccak256 } from '@gridledger/crypto';
import { buildEnergyRpcMethods } from '@gridledger/energy';
import {
  adaptRpcMethods,
  buildExecutionRpcMethods,
  type ExecutionApp,
  parseLogFilter,
  type StoredBlock,
  type StoredReceipt,
  selectBlockLogs as selectLogs,
} from '@gridledger/execution';
import {
  formatEthBlock,
  invalidParams,
  RPC_ERRORS,
  type RpcBlock,
  RpcError,
  type RpcMethod,
  storeBlockReader,
} from '@gridledger/rpc';
import { type Hex, hexToBytes, isHex, toRlp } from 'viem';
import type { Node } from './node.ts';

const EMPTY_BLOOM: Hex = `0x${'00'.repeat(256)}`;
const ROOT_CACHE = 1024;

const q = (v: bigint | number): Hex => `0x${v.toString(16)}`;

function rlpInt(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array();
  let h = v.toString(16);
  if (h.length % 2 === 1) h = `0${h}`;
  return hexToBytes(`0x${h}`);
}

/** The consensus-layer encoding of a receipt (EIP-2718 typed for EIP-1559 transactions). */
export function encodeEthReceipt(r: StoredReceipt): Uint8Array {
  const body = hexToBytes(
    toRlp([
      rlpInt(BigInt(r.status)),
      rlpInt(r.cumulativeGasUsed),
      hexToBytes(r.logsBloom),
      r.logs.map((l) => [hexToBytes(l.address), l.topics.map((t) => hexToBytes(t)), hexToBytes(l.data)]),
    ]),
  );
  if (r.type === 'legacy') return body;
  const out = new Uint8Array(body.length + 1);
  out[0] = 0x02;
  out.set(body, 1);
  return out;
}

/**
 * Ethereum's receipts root over `receipts` in block order: the Merkle-Patricia trie root with keys
 * rlp(index) and values {@link encodeEthReceipt} (the empty-trie root for none).
 */
export async function ethReceiptsRoot(receipts: StoredReceipt[]): Promise<Hex> {
  return orderedTrieRoot(receipts.map(encodeEthReceipt));
}

/**
 * Ethereum's transactions root over the raw (typed) transactions in block order: the Merkle-Patricia
 * trie root with keys rlp(index) (the empty-trie root for none).
 */
export async function ethTransactionsRoot(raws: Uint8Array[]): Promise<Hex> {
  return orderedTrieRoot(raws);
}

async function orderedTrieRoot(values: Uint8Array[]): Promise<Hex> {
  const trie = await createMPT();
  for (const [i, v] of values.entries()) await trie.put(hexToBytes(toRlp(rlpInt(BigInt(i)))), v);
  return toHex(trie.root());
}

/**
 * The execution JSON-RPC methods of `node`, in the node RPC server's method shape.
 * @example RpcServer.start({ backend, methods: executionRpcMethods(node, node.execution!) })
 */
export function executionRpcMethods(node: Node, app: ExecutionApp): Map<string, RpcMethod> {
  const reader = storeBlockReader(node.store);
  const txHash = (tx: Uint8Array) => keccak256(tx);
  const rootCache = new Map<bigint, { receiptsRoot: Hex; transactionsRoot: Hex }>();

  const base = adaptRpcMethods(
    buildExecutionRpcMethods({
      app,
      submitTx: (raw) => node.submitTx(raw),
      blockHash: async (h) => {
        const rec = await node.store.loadBlock(h);
        return rec === undefined ? undefined : toHex(rec.hash);
      },
      heightOfBlockHash: async (hash) => (await node.store.loadBlockByHash(hexToBytes(hash)))?.height,
      // The mempool is keyed by sha256; its transactions' Ethereum hashes come from the app's decode cache.
      pendingTx: (hash) => {
        for (const raw of node.mempool.txs()) {
          const d = app.decode(raw);
          if (d.ok && d.tx.hash === hash) return raw;
        }
        return undefined;
      },
    }),
    (code, message, data) => new RpcError(code, message, data),
  );
  const m = new Map<string, RpcMethod>(base);
  if (node.energy !== undefined) {
    const energyMethods = buildEnergyRpcMethods({
      app,
      config: node.energy,
      latestBlock: () =>
        node.tip.header === null ? undefined : { number: node.tip.height, timeMs: node.tip.header.timeMs },
    });
    for (const [name, fn] of adaptRpcMethods(energyMethods, (c, msg, d) => new RpcError(c, msg, d)))
      m.set(name, fn);
  }
  const getTx = base.get('eth_getTransactionByHash')!;

  async function receiptsOf(rec: StoredBlock): Promise<StoredReceipt[]> {
    const out: StoredReceipt[] = [];
    for (const h of rec.txHashes) {
      const r = await app.loadReceipt(h);
      if (r !== undefined) out.push(r);
    }
    return out;
  }

  /** The block's Ethereum receipts and transactions trie roots (cached). */
  async function tries(rec: StoredBlock): Promise<{ receiptsRoot: Hex; transactionsRoot: Hex }> {
    const hit = rootCache.get(rec.height);
    if (hit !== undefined) return hit;
    const receipts = await receiptsOf(rec);
    const roots = {
      receiptsRoot: await ethReceiptsRoot(receipts),
      transactionsRoot: await ethTransactionsRoot(receipts.map((r) => hexToBytes(r.raw))),
    };
    if (rootCache.size >= ROOT_CACHE) rootCache.delete(rootCache.keys().next().value as bigint);
    rootCache.set(rec.height, roots);
    return roots;
  }

  /** State root after block `b`: the next header's appHash, or the tip's when `b` is the tip. */
  async function stateRootAfter(b: RpcBlock): Promise<Hex | undefined> {
    if (b.height === node.tip.height) return toHex(node.tip.appHash);
    const next = await reader.getBlock({ height: b.height + 1n });
    return next === undefined ? undefined : toHex(next.appHash);
  }

  /** Ethereum JSON of a committed block with the execution app's view of it. */
  async function ethBlock(b: RpcBlock | undefined, full: boolean): Promise<Record<string, unknown> | null> {
    if (b === undefined) return null;
    const out = formatEthBlock(b, false, txHash, app.chainId);
    const rec = await app.loadBlock(b.height);
    const hashes = rec?.txHashes ?? [];
    out.transactions = full ? await Promise.all(hashes.map((h) => getTx([h], {}))) : hashes;
    out.gasUsed = q(rec?.gasUsed ?? 0n);
    out.gasLimit = q(app.blockGasLimit);
    out.logsBloom = rec?.logsBloom ?? EMPTY_BLOOM;
    if (rec !== undefined) Object.assign(out, await tries(rec));
    out.stateRoot = (await stateRootAfter(b)) ?? out.stateRoot;
    return out;
  }

  async function blockAt(tag: unknown): Promise<RpcBlock | undefined> {
    let height: bigint;
    if (tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized')
      height = node.tip.height;
    else if (tag === 'earliest') height = 1n;
    else if (typeof tag === 'string' && /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(tag)) height = BigInt(tag);
    else
      throw invalidParams(
        `block must be a hex number or one of "latest", "earliest", "pending", "safe", "finalized", got ${JSON.stringify(tag)}`,
      );
    return height === 0n ? undefined : reader.getBlock({ height });
  }

  const fullFlag = (v: unknown): boolean => {
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw invalidParams('full transactions flag must be true or false');
    return v;
  };

  m.set('eth_getBlockByNumber', async (p) => ethBlock(await blockAt(p[0]), fullFlag(p[1])));
  m.set('eth_getBlockByHash', async (p) => {
    if (typeof p[0] !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(p[0]))
      throw invalidParams('block hash must be a 32-byte 0x-hex hash');
    return ethBlock(await reader.getBlock({ hash: hexToBytes(p[0] as Hex) }), fullFlag(p[1]));
  });
  m.set('eth_getBlockTransactionCountByNumber', async (p) => {
    const b = await blockAt(p[0]);
    if (b === undefined) return null;
    return q((await app.loadBlock(b.height))?.txHashes.length ?? 0);
  });

  m.set('eth_sendRawTransaction', async (p) => {
    if (typeof p[0] !== 'string' || !isHex(p[0]) || p[0].length % 2 !== 0 || p[0].length < 4)
      throw invalidParams('transaction must be 0x-hex bytes');
    const raw = new Uint8Array(Buffer.from(p[0].slice(2), 'hex'));
    // Recovery on the worker pool (batched with the other requests of this tick); checkTx then hits the cache.
    const [d] = await app.decodeMany([raw]);
    if (d === undefined || !d.ok)
      throw new RpcError(RPC_ERRORS.TX_REJECTED, d?.reason ?? 'malformed transaction');
    const r = await node.submitTx(raw);
    if (!r.ok) {
      let reason = r.reason;
      if (r.code === 'duplicate') reason = 'already known';
      else if (r.code === 'committed') {
        const c = await app.checkTx(raw);
        reason = c.ok ? 'already known' : c.reason;
      } else if (r.code === 'full') reason = `txpool is full: ${r.reason}`;
      throw new RpcError(RPC_ERRORS.TX_REJECTED, reason);
    }
    return d.tx.hash;
  });

  m.set('eth_subscribe', async (p, ctx) => {
    const kind = p[0];
    if (kind !== 'newHeads' && kind !== 'logs')
      throw invalidParams(`subscriptions are "newHeads" and "logs", got ${JSON.stringify(kind)}`);
    if (ctx.subscribe === undefined)
      throw new RpcError(RPC_ERRORS.METHOD_NOT_FOUND, 'eth_subscribe is only available over WebSocket');
    let filter: ReturnType<typeof parseLogFilter> | undefined;
    if (kind === 'logs') {
      const f = p[1] ?? {};
      if (typeof f !== 'object' || f === null || Array.isArray(f))
        throw invalidParams('logs subscription: expected a filter object {address?, topics?}');
      try {
        filter = parseLogFilter(f as Record<string, unknown>);
      } catch (err) {
        const e = err as { code?: number; message: string };
        throw new RpcError(e.code ?? RPC_ERRORS.INVALID_PARAMS, e.message);
      }
    }
    let off: () => void = () => {};
    return ctx.subscribe(
      kind,
      () => off(),
      (send) => {
        // Blocks are published in height order: each push waits for the previous one.
        let chain: Promise<void> = Promise.resolve();
        off = node.onBlock((height) => {
          chain = chain
            .then(async () => {
              const b = await reader.getBlock({ height });
              if (b === undefined) return;
              if (kind === 'newHeads') {
                const head = await ethBlock(b, false);
                if (head !== null) {
                  const { transactions: _t, ...rest } = head;
                  send(rest);
                }
                return;
              }
              const rec = await app.loadBlock(height);
              if (rec === undefined || filter === undefined) return;
              const hash = toHex(b.hash);
              for (const log of selectLogs(rec, filter)) {
                send({
                  address: log.address,
                  topics: log.topics,
                  data: log.data,
                  blockNumber: q(height),
                  blockHash: hash,
                  transactionHash: log.txHash,
                  transactionIndex: q(log.txIndex),
                  logIndex: q(log.logIndex),
                  removed: false,
                });
              }
            })
            .catch(() => {});
        });
      },
    );
  });
  return m;
}
