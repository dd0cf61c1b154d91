// The market views one interface serves on both chains: `MarketViews` (what gl_marketConfig,
// gl_interval, gl_orders, gl_prices, gl_gridState and gl_account answer, in their wire types), its
// implementation over a gridledger node's gl_* methods (`rpcMarketViews`), and `MarketRpcClient`, an
// RpcClient that answers those six methods from any MarketViews (e.g. the contracts' views on an EVM chain,
// evm-market-views.ts) and sends every other call to its node, so a consumer written against gl_* runs
// unchanged on either chain.
import type { GridledgerRpcMethod } from '@gridledger/rpc';
import { RpcCallError } from './errors.ts';
import {
  type BatchOutcomes,
  type ParametersOf,
  type ResultOf,
  RpcClient,
  type RpcClientOptions,
  type RpcOutcome,
  type RpcRequest,
} from './http.ts';

/** The market views (gl_* wire types), whatever chain serves them. */
export interface MarketViews {
  marketConfig(): Promise<ResultOf<'gl_marketConfig'>>;
  interval(k: bigint): Promise<ResultOf<'gl_interval'>>;
  orders(k: bigint, owner?: `0x${string}`): Promise<ResultOf<'gl_orders'>>;
  prices(from: bigint, to: bigint, bus?: number): Promise<ResultOf<'gl_prices'>>;
  gridState(k?: bigint): Promise<ResultOf<'gl_gridState'>>;
  account(address: `0x${string}`): Promise<ResultOf<'gl_account'>>;
}

/** The market methods a {@link MarketRpcClient} answers from its views. */
export const MARKET_VIEW_METHODS = [
  'gl_marketConfig',
  'gl_interval',
  'gl_orders',
  'gl_prices',
  'gl_gridState',
  'gl_account',
] as const satisfies readonly GridledgerRpcMethod[];

type MarketViewMethod = (typeof MARKET_VIEW_METHODS)[number];

const isMarketMethod = (m: string): m is MarketViewMethod =>
  (MARKET_VIEW_METHODS as readonly string[]).includes(m);

/** The views of a gridledger node (its gl_* methods). */
export function rpcMarketViews(rpc: RpcClient): MarketViews {
  return {
    marketConfig: () => rpc.request('gl_marketConfig', []),
    interval: (k) => rpc.request('gl_interval', [k.toString()]),
    orders: (k, owner) =>
      rpc.request('gl_orders', owner === undefined ? [k.toString()] : [k.toString(), owner]),
    prices: (from, to, bus) =>
      rpc.request(
        'gl_prices',
        bus === undefined ? [from.toString(), to.toString()] : [from.toString(), to.toString(), String(bus)],
      ),
    gridState: (k) => rpc.request('gl_gridState', k === undefined ? [] : [k.toString()]),
    account: (a) => rpc.request('gl_account', [a]),
  };
}

const integer = (v: unknown, name: string): bigint => {
  if (
    (typeof v === 'string' && /^(0x[0-9a-fA-F]+|-?\d+)$/.test(v)) ||
    (typeof v === 'number' && Number.isSafeInteger(v))
  )
    return BigInt(v);
  throw new RpcCallError(`${name}: expected an integer, got ${JSON.stringify(v)}`, {
    url: '',
    rpcCode: -32602,
  });
};

/** Answers one market method from `views` (params as the node takes them). */
async function serve(views: MarketViews, method: MarketViewMethod, p: readonly unknown[]): Promise<unknown> {
  switch (method) {
    case 'gl_marketConfig':
      return views.marketConfig();
    case 'gl_interval':
      return views.interval(integer(p[0], 'interval'));
    case 'gl_orders':
      return p[1] === undefined || p[1] === null
        ? views.orders(integer(p[0], 'interval'))
        : views.orders(integer(p[0], 'interval'), p[1] as `0x${string}`);
    case 'gl_prices':
      return p[2] === undefined || p[2] === null
        ? views.prices(integer(p[0], 'fromInterval'), integer(p[1], 'toInterval'))
        : views.prices(
            integer(p[0], 'fromInterval'),
            integer(p[1], 'toInterval'),
            Number(integer(p[2], 'bus')),
          );
    case 'gl_gridState':
      return p[0] === undefined || p[0] === null
        ? views.gridState()
        : views.gridState(integer(p[0], 'interval'));
    case 'gl_account':
      return views.account(p[0] as `0x${string}`);
  }
}

/**
 * An RpcClient whose market methods (gl_marketConfig, gl_interval, gl_orders, gl_prices, gl_gridState,
 * gl_account) come from `views`; everything else goes to the node at `url`. In a batch, the two kinds are
 * answered side by side and the outcomes come back in request order.
 * @example const rpc = new MarketRpcClient(anvilUrl, {}, new EvmMarketViews(anvilUrl, addresses));
 */
export class MarketRpcClient extends RpcClient {
  readonly views: MarketViews;
  constructor(url: string, options: RpcClientOptions, views: MarketViews) {
    super(url, options);
    this.views = views;
  }

  override async request<M extends GridledgerRpcMethod>(
    method: M,
    params: ParametersOf<M>,
  ): Promise<ResultOf<M>> {
    if (!isMarketMethod(method)) return super.request(method, params);
    try {
      return (await serve(this.views, method, params as readonly unknown[])) as ResultOf<M>;
    } catch (err) {
      if (err instanceof RpcCallError) throw err;
      throw new RpcCallError(`${method}: ${(err as Error).message}`, { url: this.url, method, cause: err });
    }
  }

  override async batch<const R extends readonly RpcRequest[]>(reqs: R): Promise<BatchOutcomes<R>> {
    const out: RpcOutcome[] = new Array(reqs.length);
    const rest: number[] = [];
    const local: Promise<void>[] = [];
    reqs.forEach((r, i) => {
      if (!isMarketMethod(r.method)) {
        rest.push(i);
        return;
      }
      local.push(
        serve(this.views, r.method, r.params as readonly unknown[]).then(
          (result) => {
            out[i] = { ok: true, result };
          },
          (err: unknown) => {
            const code = err instanceof RpcCallError && err.rpcCode !== undefined ? err.rpcCode : -32603;
            out[i] = { ok: false, error: { code, message: (err as Error).message } };
          },
        ),
      );
    });
    const forwarded = rest.length === 0 ? [] : await super.batch(rest.map((i) => reqs[i]!));
    forwarded.forEach((o, j) => {
      out[rest[j]!] = o as RpcOutcome;
    });
    await Promise.all(local);
    return out as BatchOutcomes<R>;
  }
}
