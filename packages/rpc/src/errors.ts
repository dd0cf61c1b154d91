// The one error type of the JSON-RPC server: RpcError carries the JSON-RPC code (and data) a method
// answers with, on the project's GridledgerError base. Every method module throws it; the dispatcher
// turns it into the response's error object.
import { GridledgerError } from '@gridledger/base';

/** JSON-RPC 2.0 error codes, plus Ethereum's server-error codes. */
export const RPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** A transaction the node refused (mempool full, duplicate, rejected by the application). */
  TX_REJECTED: -32000,
  /** Geth's generic server error: unavailable state, out of gas, a query too large. Same code as TX_REJECTED. */
  SERVER_ERROR: -32000,
  /** Too many subscriptions on one WebSocket. */
  LIMIT_EXCEEDED: -32005,
  /** An eth_call or eth_estimateGas that reverted; `data` holds the revert data. */
  EXECUTION_REVERTED: 3,
} as const;

const STABLE_CODES: Record<number, string> = {
  [RPC_ERRORS.PARSE_ERROR]: 'E_RPC_PARSE',
  [RPC_ERRORS.INVALID_REQUEST]: 'E_RPC_INVALID_REQUEST',
  [RPC_ERRORS.METHOD_NOT_FOUND]: 'E_RPC_METHOD_NOT_FOUND',
  [RPC_ERRORS.INVALID_PARAMS]: 'E_RPC_INVALID_PARAMS',
  [RPC_ERRORS.INTERNAL_ERROR]: 'E_RPC_INTERNAL',
  [RPC_ERRORS.SERVER_ERROR]: 'E_RPC_SERVER',
  [RPC_ERRORS.LIMIT_EXCEEDED]: 'E_RPC_LIMIT_EXCEEDED',
  [RPC_ERRORS.EXECUTION_REVERTED]: 'E_RPC_EXECUTION_REVERTED',
};

/**
 * Thrown by a method handler to answer with a JSON-RPC error object `{ code: rpcCode, message, data }`.
 * `code` is the GridledgerError code (`E_RPC_INVALID_PARAMS`, ...), `rpcCode` the number on the wire.
 * @example throw new RpcError(RPC_ERRORS.SERVER_ERROR, 'out of gas');
 */
export class RpcError extends GridledgerError {
  /** The JSON-RPC error code sent to the client. */
  readonly rpcCode: number;
  /** The error object's `data`, if any. */
  readonly data: unknown;
  constructor(rpcCode: number, message: string, data?: unknown) {
    super(STABLE_CODES[rpcCode] ?? 'E_RPC', message);
    this.name = 'RpcError';
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

/** An invalid-params error naming the parameter and what was expected ("invalid params: ..."). */
export function invalidParams(message: string): RpcError {
  return new RpcError(RPC_ERRORS.INVALID_PARAMS, `invalid params: ${message}`);
}
