// The driver's view of a running chain over JSON-RPC (@gridledger/client): one client per node, the market clock
// (gl_marketConfig), ABI-encoded views through eth_call (batched), signed transactions with locally
// tracked nonces sent as batches of eth_sendRawTransaction (each sender always through the same node,
// so its nonces arrive in order), receipts, and logs scanned in bounded block ranges.
import { GridledgerError, InputError } from '@gridledger/base';
import { RpcClient } from '@gridledger/client';
import { decodeMarketConfigJson, type MarketConfig } from '@gridledger/energy';
import type { Address } from '@gridledger/execution';
import {
  type Abi,
  decodeErrorResult,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  parseAbi,
} from 'viem';
import { type KeyPair, signTransaction } from './signer.ts';

const ERROR_ABI = parseAbi(['error Error(string)']);

/** gl_marketConfig's answer, decoded. */
export interface MarketClockView {
  config: MarketConfig;
  blockNumber: bigint;
  blockTimeMs: bigint;
  marketTimeMs: bigint;
  openInterval: bigint;
  clearNext: bigint;
  settleNext: bigint;
}

/** A transaction sent: its hash and what it was for. */
export interface SentTx {
  hash: Hex;
  from: Address;
  nonce: number;
  /** Rejected at submission (never in the mempool), with the node's reason. */
  rejected?: string;
}

/** A receipt, reduced to what the driver reads. */
export interface TxReceipt {
  status: 'success' | 'reverted';
  blockNumber: bigint;
  gasUsed: bigint;
  reason: string | undefined;
  logs: { address: string; topics: Hex[]; data: Hex }[];
}

/** One call to encode: target, ABI, function, arguments. */
export interface Call {
  to: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

/** Decodes an `Error(string)` revert reason from revert data, or returns the data. */
export function revertReasonOf(data: string | undefined): string | undefined {
  if (data === undefined || data === '0x') return undefined;
  if (data.startsWith('0x08c379a0')) {
    try {
      return decodeErrorResult({ abi: ERROR_ABI, data: data as Hex }).args[0] as string;
    } catch {
      return data;
    }
  }
  return data;
}

/** A connection to the chain's nodes. */
export class ChainClient {
  readonly nodes: RpcClient[];
  readonly nonces = new Map<Address, number>();
  chainId = 0n;

  /**
   * One client per node: a URL, or a client already built (e.g. a MarketRpcClient that serves the gl_*
   * views from an EVM chain's contracts). `signal` aborts requests in flight (the driver's stop signal).
   */
  constructor(rpcUrls: readonly (string | RpcClient)[], signal?: AbortSignal) {
    if (rpcUrls.length === 0) throw new InputError('expected at least one JSON-RPC URL');
    this.nodes = rpcUrls.map((u) =>
      typeof u === 'string' ? new RpcClient(u, signal === undefined ? {} : { signal }) : u,
    );
  }

  /** The first node: clock, views, receipts and logs. */
  get main(): RpcClient {
    return this.nodes[0]!;
  }

  /** Reads eth_chainId; throws a clear error when the node is not an energy-market chain. */
  async connect(): Promise<MarketClockView> {
    this.chainId = await this.main.chainId();
    try {
      return await this.clock();
    } catch (err) {
      throw new GridledgerError(
        'E_NO_MARKET',
        `${this.main.url} does not serve gl_marketConfig: its genesis has no energy market (build it with scenarioGenesis and initDevNetwork)`,
        { cause: err },
      );
    }
  }

  /** The market clock at the latest block. */
  async clock(): Promise<MarketClockView> {
    const r = await this.main.marketConfig();
    const config = decodeMarketConfigJson(r.config);
    const big = (v: string | null, fallback: bigint) => (v === null ? fallback : BigInt(v));
    return {
      config,
      blockNumber: big(r.blockNumber, 0n),
      blockTimeMs: big(r.blockTimeMs, 0n),
      marketTimeMs: big(r.marketTimeMs, 0n),
      openInterval: big(r.openInterval, config.firstInterval),
      clearNext: BigInt(r.clearNext),
      settleNext: BigInt(r.settleNext),
    };
  }

  /** Many views through eth_call on the main node; throws on a revert unless `allowRevert`. */
  async views<T = unknown>(calls: readonly Call[], allowRevert = false): Promise<(T | undefined)[]> {
    const reqs = calls.map((c) => ({
      method: 'eth_call' as const,
      params: [
        { to: c.to, data: encodeFunctionData(c as Parameters<typeof encodeFunctionData>[0]) },
        'latest',
      ],
    }));
    const res = await this.main.batch(reqs);
    return res.map((r, i) => {
      const c = calls[i]!;
      if (!r.ok) {
        if (allowRevert) return undefined;
        throw new GridledgerError('E_RPC', `view ${c.functionName} on ${c.to} failed: ${r.error.message}`);
      }
      return decodeFunctionResult({
        abi: c.abi,
        functionName: c.functionName,
        data: r.result,
      } as Parameters<typeof decodeFunctionResult>[0]) as T;
    });
  }

  /** One view. */
  async view<T = unknown>(call: Call): Promise<T> {
    return (await this.views<T>([call]))[0] as T;
  }

  /** Sets each account's next nonce from the chain (eth_getTransactionCount, pending). */
  async syncNonces(addresses: readonly Address[]): Promise<void> {
    const res = await this.main.batch(
      addresses.map((a) => ({ method: 'eth_getTransactionCount' as const, params: [a, 'pending'] })),
    );
    res.forEach((r, i) => {
      if (!r.ok) throw new GridledgerError('E_RPC', `eth_getTransactionCount: ${r.error.message}`);
      this.nonces.set(addresses[i]!, Number(BigInt(r.result)));
    });
  }

  /**
   * Signs and sends calls, each from its key with the next local nonce; a sender's transactions always
   * go through node `nodeOf(sender)`. A transaction the node rejects gives its nonce back when it was the
   * sender's last; the sender is re-synced otherwise. Calls may come ABI-encoded (`data`); without
   * `withHash` the hashes are not computed (`0x`).
   */
  async send(
    txs: readonly { key: KeyPair; call: Call | { to: Address; data: Hex }; gas: bigint }[],
    nodeOf: (from: Address) => number = () => 0,
    withHash = true,
  ): Promise<SentTx[]> {
    const byNode = new Map<number, { i: number; raw: Hex }[]>();
    const sent: SentTx[] = new Array(txs.length);
    for (let i = 0; i < txs.length; i++) {
      const t = txs[i]!;
      const from = t.key.address;
      const nonce = this.nonces.get(from) ?? 0;
      this.nonces.set(from, nonce + 1);
      const { raw, hash } = signTransaction(
        t.key.privateKey,
        {
          type: 'eip1559',
          chainId: Number(this.chainId),
          nonce,
          gas: t.gas,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
          to: t.call.to,
          data:
            'data' in t.call
              ? t.call.data
              : encodeFunctionData(t.call as Parameters<typeof encodeFunctionData>[0]),
        },
        withHash,
      );
      sent[i] = { hash, from, nonce };
      const node = nodeOf(from) % this.nodes.length;
      let list = byNode.get(node);
      if (list === undefined) byNode.set(node, (list = []));
      list.push({ i, raw });
    }
    const resync = new Set<Address>();
    const tooLow: SentTx[] = [];
    await Promise.all(
      [...byNode].map(async ([node, list]) => {
        const res = await this.nodes[node]!.batch(
          list.map((x) => ({ method: 'eth_sendRawTransaction' as const, params: [x.raw] })),
        );
        res.forEach((r, j) => {
          if (r.ok || /already known/.test(r.error.message)) return; // a retried batch
          const s = sent[list[j]!.i]!;
          // A batch retried after its answer was lost may find its own transaction already committed.
          if (/nonce too low/.test(r.error.message)) tooLow.push(s);
          s.rejected = r.error.message;
          resync.add(s.from);
        });
      }),
    );
    if (tooLow.length > 0) {
      const found = await this.receipts(tooLow.map((s) => s.hash));
      tooLow.forEach((s, j) => {
        if (found[j] !== undefined) delete s.rejected;
      });
    }
    if (resync.size > 0) await this.syncNonces([...resync]);
    return sent;
  }

  /** Receipts of the given hashes (undefined while not yet in a block). */
  async receipts(hashes: readonly Hex[]): Promise<(TxReceipt | undefined)[]> {
    const res = await this.main.batch(
      hashes.map((h) => ({ method: 'eth_getTransactionReceipt' as const, params: [h] })),
    );
    return res.map((r) => {
      if (!r.ok || r.result === null || r.result === undefined) return undefined;
      const x = r.result;
      const ok = BigInt(x.status) === 1n;
      return {
        status: ok ? 'success' : 'reverted',
        blockNumber: BigInt(x.blockNumber),
        gasUsed: BigInt(x.gasUsed),
        reason: ok ? undefined : (revertReasonOf(x.revertReason) ?? x.error ?? 'reverted'),
        logs: x.logs ?? [],
      };
    });
  }

  /** Waits until every hash has a receipt (or the timeout passes); returns the receipts. */
  async waitReceipts(
    hashes: readonly Hex[],
    timeoutMs = 120_000,
    signal?: AbortSignal,
  ): Promise<TxReceipt[]> {
    const out = new Map<Hex, TxReceipt>();
    const t0 = Date.now();
    for (;;) {
      const missing = hashes.filter((h) => !out.has(h));
      if (missing.length === 0) return hashes.map((h) => out.get(h)!);
      const rs = await this.receipts(missing);
      rs.forEach((r, i) => {
        if (r !== undefined) out.set(missing[i]!, r);
      });
      if (out.size === hashes.length) continue;
      if (signal?.aborted) throw new GridledgerError('E_ABORTED', 'aborted while waiting for receipts');
      if (Date.now() - t0 > timeoutMs) {
        throw new GridledgerError(
          'E_TIMEOUT',
          `${hashes.length - out.size} of ${hashes.length} transactions not in a block after ${timeoutMs / 1000} s`,
        );
      }
      await sleep(300);
    }
  }

  /**
   * Logs of `address` with the first topic `topic0` (and optionally the second), blocks from..to, in
   * chunks of at most 2,000 blocks; a chunk the node refuses as too many results (its eth_getLogs limit)
   * is split in halves until each half fits.
   */
  async logs(
    address: Address,
    topics: (Hex | null)[],
    fromBlock: bigint,
    toBlock: bigint,
  ): Promise<{ topics: Hex[]; data: Hex; blockNumber: bigint }[]> {
    const out: { topics: Hex[]; data: Hex; blockNumber: bigint }[] = [];
    const range = async (a: bigint, b: bigint): Promise<void> => {
      let res: { topics: Hex[]; data: Hex; blockNumber: string }[];
      try {
        res = await this.main.request('eth_getLogs', [
          { address, topics, fromBlock: `0x${a.toString(16)}`, toBlock: `0x${b.toString(16)}` },
        ]);
      } catch (err) {
        if (a === b || !/more than \d+ results/.test((err as Error).message)) throw err;
        const mid = (a + b) / 2n;
        await range(a, mid);
        await range(mid + 1n, b);
        return;
      }
      for (const l of res) out.push({ topics: l.topics, data: l.data, blockNumber: BigInt(l.blockNumber) });
    };
    for (let a = fromBlock < 1n ? 1n : fromBlock; a <= toBlock; a += 2000n)
      await range(a, a + 1999n < toBlock ? a + 1999n : toBlock);
    return out;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
