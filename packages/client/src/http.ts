// JSON-RPC 2.0 over HTTP POST to one node: single calls typed by the wire contract of @gridledger/rpc
// (GridledgerRpcSchema), typed shortcuts for the gl_* market and chain views, and batches split into
// requests of at most `maxBatch` calls and about `maxBatchBytes` of JSON (a node refuses bodies over
// 1 MiB), a few in flight at once, whose per-call errors come back as values so that one rejected
// transaction does not hide the others' results. A request that gets no answer (refused, reset, timed
// out) is tried again, `attempts` times in all.
import type {
  GlAccountReturnType,
  GlGridStateReturnType,
  GlIntervalReturnType,
  GlMarketConfigReturnType,
  GlOrdersReturnType,
  GlPricesReturnType,
  GlStatusReturnType,
  GridledgerRpcMethod,
  GridledgerRpcSchema,
  IntegerParameter,
} from '@gridledger/rpc';
import { RpcCallError } from './errors.ts';

/** A method's parameters as the node takes them. */
export type ParametersOf<M extends GridledgerRpcMethod> = GridledgerRpcSchema[M]['Parameters'];
/** A method's result as the node answers it (`unknown` for a method outside the schema). */
export type ResultOf<M extends string> = M extends GridledgerRpcMethod
  ? GridledgerRpcSchema[M]['ReturnType']
  : unknown;

/** One request of a batch. */
export interface RpcRequest<M extends string = string> {
  method: M;
  params: readonly unknown[];
}

/** A JSON-RPC error object as the node sends it. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** One result of a batch: the value, or the error the node returned. */
export type RpcOutcome<T = unknown> = { ok: true; result: T } | { ok: false; error: RpcErrorObject };

/** The outcomes of a batch, typed per request when the requests' methods are known. */
export type BatchOutcomes<R extends readonly RpcRequest[]> = {
  -readonly [I in keyof R]: RpcOutcome<ResultOf<R[I]['method']>>;
};

/** Options of an {@link RpcClient}. */
export interface RpcClientOptions {
  /** Most calls in one batch request (default 100, the node's limit). */
  maxBatch?: number;
  /** Largest batch body sent, bytes of JSON, about (default {@link DEFAULT_MAX_BATCH_BYTES}). */
  maxBatchBytes?: number;
  /** Batch requests in flight at once (default 4). */
  parallel?: number;
  /** How long one HTTP request may take, ms (default 60,000). */
  timeoutMs?: number;
  /** Attempts per request when no answer comes (default 3; 1 = no retry), 500 ms × attempt apart. */
  attempts?: number;
  /** Aborts requests in flight and stops retrying. */
  signal?: AbortSignal;
}

/** Largest batch body sent (bytes of JSON, about): under the node's 1 MiB request limit. */
export const DEFAULT_MAX_BATCH_BYTES = 768 * 1024;

/**
 * A typed JSON-RPC client for one node URL.
 * @example
 * const rpc = new RpcClient('http://127.0.0.1:26601');
 * const m = await rpc.marketConfig();             // GlMarketConfigReturnType
 * const [head] = await rpc.batch([{ method: 'eth_blockNumber', params: [] }] as const);
 */
export class RpcClient {
  readonly url: string;
  readonly options: RpcClientOptions;
  #id = 0;
  constructor(url: string, options: RpcClientOptions = {}) {
    this.url = url;
    this.options = options;
  }

  /** Posts with up to `attempts` tries on transport errors (a loaded node may drop a connection). */
  async #post(body: unknown, method: string | undefined): Promise<unknown> {
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#postOnce(body, method);
      } catch (err) {
        if (
          !(err instanceof RpcCallError) ||
          !err.transport ||
          attempt >= attempts ||
          this.options.signal?.aborted
        )
          throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  async #postOnce(body: unknown, method: string | undefined): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: this.options.signal === undefined ? timeout : AbortSignal.any([timeout, this.options.signal]),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? '';
      throw new RpcCallError(`cannot reach ${this.url}: ${(err as Error).message}${why ? ` (${why})` : ''}`, {
        url: this.url,
        ...(method === undefined ? {} : { method }),
        cause: err,
        transport: true,
      });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new RpcCallError(`${this.url}: the answer was cut off (${(err as Error).message})`, {
        url: this.url,
        ...(method === undefined ? {} : { method }),
        cause: err,
      });
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new RpcCallError(`${this.url} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`, {
        url: this.url,
        ...(method === undefined ? {} : { method }),
      });
    }
  }

  /**
   * One call, typed by the wire contract.
   * @throws RpcCallError with the node's message and `rpcCode` on an error answer, `transport` when none came.
   */
  async request<M extends GridledgerRpcMethod>(method: M, params: ParametersOf<M>): Promise<ResultOf<M>> {
    const r = (await this.#post({ jsonrpc: '2.0', id: ++this.#id, method, params }, method)) as {
      result?: ResultOf<M>;
      error?: RpcErrorObject;
    };
    if (r.error) {
      throw new RpcCallError(`${method}: ${r.error.message}`, {
        url: this.url,
        method,
        rpcCode: r.error.code,
        data: r.error.data,
      });
    }
    return r.result as ResultOf<M>;
  }

  /**
   * Many calls as JSON-RPC batches (split by count and body size); outcomes in request order, each the
   * result or the node's error. A lone request larger than the byte limit goes alone.
   * @throws RpcCallError when a batch request gets no answer or the node refuses a whole batch.
   */
  async batch<const R extends readonly RpcRequest[]>(reqs: R): Promise<BatchOutcomes<R>> {
    const max = this.options.maxBatch ?? 100;
    const parallel = this.options.parallel ?? 4;
    const maxBytes = this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    const out: RpcOutcome[] = new Array(reqs.length);
    // Chunks of at most `max` requests and about `maxBytes` of JSON (a node refuses larger bodies; a
    // lone request larger than that still goes alone, and the node's answer says why it is refused).
    const chunks: [number, number][] = [];
    let start = 0;
    let bytes = 0;
    reqs.forEach((r, i) => {
      const size = JSON.stringify(r.params).length + r.method.length + 48;
      if (i > start && (i - start >= max || bytes + size > maxBytes)) {
        chunks.push([start, i]);
        start = i;
        bytes = 0;
      }
      bytes += size;
    });
    if (reqs.length > start) chunks.push([start, reqs.length]);
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) {
        const [start, end] = chunks[next++]!;
        const slice = reqs.slice(start, end);
        const firstId = this.#id + 1;
        this.#id += slice.length;
        const body = slice.map((r, j) => ({
          jsonrpc: '2.0',
          id: firstId + j,
          method: r.method,
          params: r.params,
        }));
        const res = await this.#post(body, slice[0]?.method);
        if (!Array.isArray(res)) {
          const e = (res as { error?: RpcErrorObject }).error;
          throw new RpcCallError(
            `batch of ${slice.length} ${slice[0]?.method}: ${e?.message ?? 'not an array'}`,
            {
              url: this.url,
              ...(slice[0] === undefined ? {} : { method: slice[0].method }),
              ...(e === undefined ? {} : { rpcCode: e.code }),
            },
          );
        }
        for (const item of res as { id: number; result?: unknown; error?: RpcErrorObject }[]) {
          const j = item.id - firstId;
          if (j < 0 || j >= slice.length) continue;
          out[start + j] = item.error ? { ok: false, error: item.error } : { ok: true, result: item.result };
        }
        for (let j = 0; j < slice.length; j++)
          out[start + j] ??= { ok: false, error: { code: -32603, message: 'no response in batch' } };
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, worker));
    return out as BatchOutcomes<R>;
  }

  /** eth_chainId as a number. */
  async chainId(): Promise<bigint> {
    return BigInt(await this.request('eth_chainId', []));
  }

  /** gl_status: the node's height, peers, validator identity and whether it is catching up. */
  status(): Promise<GlStatusReturnType> {
    return this.request('gl_status', []);
  }

  /** gl_marketConfig: the market's configuration and clock (throws `rpcCode` -32601 without a market). */
  marketConfig(): Promise<GlMarketConfigReturnType> {
    return this.request('gl_marketConfig', []);
  }

  /** gl_interval: one market interval. */
  interval(k: IntegerParameter | bigint): Promise<GlIntervalReturnType> {
    return this.request('gl_interval', [k.toString()]);
  }

  /** gl_orders: an interval's orders (any status), optionally one owner's. */
  orders(k: IntegerParameter | bigint, owner?: `0x${string}`): Promise<GlOrdersReturnType> {
    return this.request('gl_orders', owner === undefined ? [k.toString()] : [k.toString(), owner]);
  }

  /** gl_prices: LMPs of the priced intervals from..to (inclusive), optionally one bus. */
  prices(from: IntegerParameter | bigint, to: IntegerParameter | bigint): Promise<GlPricesReturnType> {
    return this.request('gl_prices', [from.toString(), to.toString()]);
  }

  /** gl_account: an account's cash, collateral, debt, what is owed to it, and credits. */
  account(a: `0x${string}`): Promise<GlAccountReturnType> {
    return this.request('gl_account', [a]);
  }

  /** gl_gridState: the registered network, with an interval's flows and line prices when given. */
  gridState(k?: IntegerParameter | bigint): Promise<GlGridStateReturnType> {
    return this.request('gl_gridState', k === undefined ? [] : [k.toString()]);
  }
}
