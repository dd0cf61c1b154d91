// JSON-RPC 2.0 error codes and the error a method throws to answer with one.

/** Standard JSON-RPC 2.0 error codes, plus the server-error code used for rejected transactions. */
export const RPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** A transaction the node refused (mempool full, duplicate, rejected by the application). */
  TX_REJECTED: -32000,
} as const;

/** Thrown by a method handler to answer with a JSON-RPC error object. */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

/** An invalid-params error naming the parameter and what was expected. */
export function invalidParams(message: string): RpcError {
  return new RpcError(RPC_ERRORS.INVALID_PARAMS, `invalid params: ${message}`);
}
