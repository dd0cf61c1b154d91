// A small JSON-RPC 2.0 client over HTTP for the driver: single calls, and batches (split into requests
// of at most `maxBatch` calls and about `maxBatchBytes` of JSON, a few in flight at once) whose per-request errors come back as values, so one
// rejected transaction does not hide the others' results.
import { GridledgerError } from '@gridledger/base';

/** One request of a batch. */
export interface RpcRequest {
  method: string;
  params: unknown[];
}

/** One result of a batch: the value, or the error the node returned. */
export type RpcOutcome =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: number; message: string; data?: unknown } };

/** Error reaching a node or a call that failed. */
export class RpcCallError extends GridledgerError {
  /** The request did not get an answer (connection refused, reset, timed out). */
  readonly transport: boolean;
  constructor(message: string, options: { cause?: unknown; details?: string; transport?: boolean } = {}) {
    super('E_RPC', message, options);
    this.name = 'RpcCallError';
    this.transport = options.transport ?? false;
  }
}

/** Largest batch body sent (bytes of JSON, about): under the node's 1 MiB request limit. */
export const DEFAULT_MAX_BATCH_BYTES = 768 * 1024;

/** A JSON-RPC client for one node URL. */
export class RpcClient {
  readonly url: string;
  readonly options: {
    maxBatch?: number;
    maxBatchBytes?: number;
    parallel?: number;
    timeoutMs?: number;
    signal?: AbortSignal;
  };
  #id = 0;
  constructor(url: string, options: RpcClient['options'] = {}) {
    this.url = url;
    this.options = options;
  }

  /** Posts with up to 3 attempts on transport errors (a loaded node may drop a connection). */
  async #post(body: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#postOnce(body);
      } catch (err) {
        if (!(err instanceof RpcCallError) || !err.transport || attempt >= 3 || this.options.signal?.aborted)
          throw err;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  async #postOnce(body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal:
          this.options.signal === undefined
            ? AbortSignal.timeout(this.options.timeoutMs ?? 60_000)
            : AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? 60_000), this.options.signal]),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? '';
      throw new RpcCallError(`cannot reach ${this.url}: ${(err as Error).message}${why ? ` (${why})` : ''}`, {
        cause: err,
        transport: true,
      });
    }
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new RpcCallError(`${this.url} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
  }

  /** One call; throws {@link RpcCallError} with the node's message on an error response. */
  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const r = (await this.#post({ jsonrpc: '2.0', id: ++this.#id, method, params })) as {
      result?: T;
      error?: { code: number; message: string };
    };
    if (r.error) throw new RpcCallError(`${method}: ${r.error.message} (code ${r.error.code})`);
    return r.result as T;
  }

  /** Many calls as JSON-RPC batches; outcomes in request order. */
  async batch(reqs: readonly RpcRequest[]): Promise<RpcOutcome[]> {
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
        const res = await this.#post(body);
        if (!Array.isArray(res)) {
          const e = (res as { error?: { message: string } }).error;
          throw new RpcCallError(
            `batch of ${slice.length} ${slice[0]?.method}: ${e?.message ?? 'not an array'}`,
          );
        }
        for (const item of res as {
          id: number;
          result?: unknown;
          error?: { code: number; message: string };
        }[]) {
          const j = item.id - firstId;
          if (j < 0 || j >= slice.length) continue;
          out[start + j] = item.error ? { ok: false, error: item.error } : { ok: true, result: item.result };
        }
        for (let j = 0; j < slice.length; j++)
          out[start + j] ??= { ok: false, error: { code: -32603, message: 'no response in batch' } };
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, chunks.length) }, worker));
    return out;
  }
}
