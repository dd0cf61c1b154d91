// The shape of a JSON-RPC method handler and the per-request context it gets (subscriptions over
// WebSocket).

/** Per-request context: set for WebSocket requests, so subscriptions can push to the connection. */
export interface RpcContext {
  subscribe?(name: string, unsubscribe: () => void, push: (send: (result: unknown) => void) => void): string;
  unsubscribe?(id: string): boolean;
}

/** A method handler: positional params in, JSON-ready result out; throws RpcError to answer an error. */
export type RpcMethod = (params: unknown[], ctx: RpcContext) => Promise<unknown>;

/** A set of handlers by method name. */
export type RpcMethodTable = Map<string, RpcMethod>;
