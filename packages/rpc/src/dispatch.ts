// JSON-RPC 2.0 request handling, independent of the transport: parses a request body (one request or
// a batch), validates each request, runs its method, and builds the response text (or none, when
// every request was a notification). Errors use the standard codes.
import { GridledgerError } from '@gridledger/base';
import { RPC_ERRORS, RpcError } from './errors.ts';
import type { RpcContext, RpcMethod } from './method.ts';

type Id = string | number | null;

/** One JSON-RPC response object. */
export type RpcResponse =
  | { jsonrpc: '2.0'; id: Id; result: unknown }
  | { jsonrpc: '2.0'; id: Id; error: { code: number; message: string; data?: unknown } };

/** Options of {@link RpcDispatcher}. */
export interface DispatcherOptions {
  /** Most requests in one batch (default 100). */
  maxBatch?: number;
  /** Called with unexpected errors from a method (answered as -32603 without details). */
  onInternalError?: (method: string, err: unknown) => void;
}

function errorResponse(id: Id, code: number, message: string, data?: unknown): RpcResponse {
  return data === undefined
    ? { jsonrpc: '2.0', id, error: { code, message } }
    : { jsonrpc: '2.0', id, error: { code, message, data } };
}

/** Runs JSON-RPC requests against a method table. */
export class RpcDispatcher {
  readonly #methods: Map<string, RpcMethod>;
  readonly #maxBatch: number;
  readonly #onInternalError: (method: string, err: unknown) => void;

  constructor(methods: Map<string, RpcMethod>, options: DispatcherOptions = {}) {
    this.#methods = methods;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#onInternalError = options.onInternalError ?? (() => {});
  }

  /** Handles a request body; resolves to the response text, or undefined when nothing is to be sent. */
  async handleText(text: string, ctx: RpcContext = {}): Promise<string | undefined> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return JSON.stringify(
        errorResponse(null, RPC_ERRORS.PARSE_ERROR, `parse error: ${(err as Error).message}`),
      );
    }
    const out = await this.handle(parsed, ctx);
    return out === undefined ? undefined : JSON.stringify(out);
  }

  /** Handles a parsed request or batch. */
  async handle(body: unknown, ctx: RpcContext = {}): Promise<RpcResponse | RpcResponse[] | undefined> {
    if (Array.isArray(body)) {
      if (body.length === 0)
        return errorResponse(null, RPC_ERRORS.INVALID_REQUEST, 'invalid request: empty batch');
      if (body.length > this.#maxBatch) {
        return errorResponse(
          null,
          RPC_ERRORS.INVALID_REQUEST,
          `invalid request: batch of ${body.length} requests, limit ${this.#maxBatch}`,
        );
      }
      const all = await Promise.all(body.map((r) => this.#one(r, ctx)));
      const responses = all.filter((r): r is RpcResponse => r !== undefined);
      return responses.length === 0 ? undefined : responses;
    }
    return this.#one(body, ctx);
  }

  async #one(req: unknown, ctx: RpcContext): Promise<RpcResponse | undefined> {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      return errorResponse(null, RPC_ERRORS.INVALID_REQUEST, 'invalid request: expected a JSON object');
    }
    const r = req as Record<string, unknown>;
    const hasId = 'id' in r;
    const id = r.id;
    const validId = id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
    const replyId: Id = hasId && validId ? (id as Id) : null;
    if (hasId && !validId) {
      return errorResponse(
        null,
        RPC_ERRORS.INVALID_REQUEST,
        'invalid request: id must be a string, number or null',
      );
    }
    if (r.jsonrpc !== '2.0') {
      return errorResponse(replyId, RPC_ERRORS.INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"');
    }
    if (typeof r.method !== 'string') {
      return errorResponse(replyId, RPC_ERRORS.INVALID_REQUEST, 'invalid request: "method" must be a string');
    }
    if (r.params !== undefined && (r.params === null || typeof r.params !== 'object')) {
      return errorResponse(
        replyId,
        RPC_ERRORS.INVALID_REQUEST,
        'invalid request: "params" must be an array or object',
      );
    }
    const method = this.#methods.get(r.method);
    let response: RpcResponse;
    if (method === undefined) {
      response = errorResponse(
        replyId,
        RPC_ERRORS.METHOD_NOT_FOUND,
        `method not found: ${r.method.slice(0, 100)}`,
      );
    } else if (r.params !== undefined && !Array.isArray(r.params)) {
      response = errorResponse(
        replyId,
        RPC_ERRORS.INVALID_PARAMS,
        'invalid params: expected positional params (an array)',
      );
    } else {
      try {
        const result = await method((r.params as unknown[] | undefined) ?? [], ctx);
        response = { jsonrpc: '2.0', id: replyId, result: result === undefined ? null : result };
      } catch (err) {
        if (err instanceof RpcError) response = errorResponse(replyId, err.rpcCode, err.message, err.data);
        else if (err instanceof GridledgerError && err.code === 'E_INPUT') {
          response = errorResponse(replyId, RPC_ERRORS.INVALID_PARAMS, `invalid params: ${err.message}`);
        } else {
          this.#onInternalError(r.method, err);
          response = errorResponse(replyId, RPC_ERRORS.INTERNAL_ERROR, 'internal error');
        }
      }
    }
    return hasId ? response : undefined;
  }
}
