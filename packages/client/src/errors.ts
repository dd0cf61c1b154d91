// The client's one error: RpcCallError, for a node that cannot be reached or answers something that is
// not JSON-RPC (`transport`), and for a call the node answered with a JSON-RPC error (`rpcCode`).
import { GridledgerError, type GridledgerErrorOptions } from '@gridledger/base';

/** What an {@link RpcCallError} carries besides its message. */
export interface RpcCallErrorOptions extends GridledgerErrorOptions {
  /** The node's URL. */
  url: string;
  /** The method called (the first of a batch). */
  method?: string;
  /** The JSON-RPC error code of the node's answer (-32601 method not found, 3 execution reverted, ...). */
  rpcCode?: number;
  /** The error's `data` (revert data for code 3). */
  data?: unknown;
  /** True when no answer came at all (connection refused, reset, timed out): a retry may help. */
  transport?: boolean;
}

/**
 * A JSON-RPC call that failed: code `E_RPC`.
 * @example
 * try { await client.request('gl_marketConfig', []); }
 * catch (err) { if (err instanceof RpcCallError && err.rpcCode === -32601) console.log('no market'); }
 */
export class RpcCallError extends GridledgerError {
  readonly url: string;
  readonly method: string | undefined;
  readonly rpcCode: number | undefined;
  readonly data: unknown;
  readonly transport: boolean;
  constructor(message: string, options: RpcCallErrorOptions) {
    const { url, method, rpcCode, data, transport, ...base } = options;
    super('E_RPC', message, base);
    this.name = 'RpcCallError';
    this.url = url;
    this.method = method;
    this.rpcCode = rpcCode;
    this.data = data;
    this.transport = transport ?? false;
  }
}
