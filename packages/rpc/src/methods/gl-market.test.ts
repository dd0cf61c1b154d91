// The energy market's JSON-RPC views against an in-process chain (the energy package's test harness):
// on the 3-bus network of packages/energy/test/market-rules.test.ts, after clearing with a 5 MW line
// limit, gl_interval, gl_prices, gl_orders and gl_gridState agree with the module views and refuse bad
// params by name; on the scaled clock of market-clock.test.ts, gl_marketConfig reports market time, the
// open interval and the next interval to clear.
import {
  MARKET_ABI,
  MARKET_ADDRESS,
  type MarketConfig,
  marketKeys,
  type NetworkJson,
  REGISTRY_ABI,
  REGISTRY_ADDRESS,
} from '@gridledger/energy';
import { describe, expect, it } from 'vitest';
import { account, buildGenesis, Chain, line, testMarketConfig } from '../../../energy/test/harness.ts';
import { buildMethods } from '../methods.ts';
import type { RpcBackend } from '../port.ts';
import { GRIDLEDGER_RPC_METHODS } from '../schema.ts';
import { glMarketMethods } from './gl-market.ts';

const MWH = 1_000_000n;
const USD = 1_000_000n;
const HOUR = 3_600_000n;
const MIN5 = 300_000n;

describe('gl_interval, gl_prices, gl_orders, gl_gridState on a 3-bus network', () => {
  const K = 5n;
  const GATE = K * HOUR;
  const NET: NetworkJson = {
    name: 'three',
    baseMVA: 100,
    buses: [
      { id: 1, type: 3 },
      { id: 2, type: 1 },
      { id: 3, type: 1 },
    ],
    branches: [line(1, 1, 2, 0.1, 0), line(2, 2, 3, 0.1, 0), line(3, 1, 3, 0.1, 0)],
  };
  const admin = account('r admin');
  const operator = account('r operator');
  const seller = account('r seller');
  const buyer = account('r buyer');
  const mSeller = account('r meter seller');
  const mBuyer = account('r meter buyer');
  const config: MarketConfig = testMarketConfig(operator.addr, {
    firstInterval: K,
    upstream: { bus: 1, capacityWh: 100n * MWH },
    maxOrdersPerAccount: 1,
  });

  it('agree with the module views after clearing, and name the bad parameter', async () => {
    const chain = await Chain.start(
      buildGenesis(admin, [
        { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
        { who: seller, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
        { who: buyer, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
      ]),
      config,
    );
    const setup = [
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
        1n,
        mSeller.addr,
        3n,
        seller.addr,
        100_000_000_000n,
      ]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerMeter', [
        2n,
        mBuyer.addr,
        2n,
        buyer.addr,
        100_000_000_000n,
      ]),
      await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [seller.addr, [3n]]),
      await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [buyer.addr, [2n]]),
    ];
    const b0 = await chain.block(1_000n, setup);
    expect(b0.outcomes.map((o) => o.reason ?? 'ok')).toEqual(setup.map(() => 'ok'));
    const sell = [{ energyWh: 30n * MWH, priceMicrosPerMWh: 10n * USD }];
    const buy = [{ energyWh: 30n * MWH, priceMicrosPerMWh: 50n * USD }];
    const txs = [
      await chain.tx(seller, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 3n, 1, sell]),
      await chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, buy]),
      await chain.tx(buyer, MARKET_ADDRESS, MARKET_ABI, 'placeOrder', [K, 2n, 0, buy]),
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'setLineLimit', [2n, 5n * MWH]),
    ];
    const b = await chain.block(2_000n, txs);
    expect(b.outcomes.map((o) => o.reason ?? 'ok')).toEqual([
      'ok',
      'ok',
      expect.stringContaining('already has 1 orders in interval 5 (limit 1)'),
      'ok',
    ]);
    await chain.block(GATE, []);

    // The JSON-RPC views agree with the module views.
    const rpc = glMarketMethods({ app: chain.app, config });
    const call = (method: string, params: unknown[]) => rpc.get(method)!(params, {});
    const iv = (await call('gl_interval', [Number(K)])) as {
      status: string;
      lmpMicrosPerMWh: Record<string, string>;
      orders: string;
    };
    expect(iv.status).toBe('cleared');
    expect(iv.orders).toBe('2');
    const prices = (await call('gl_prices', [String(K), String(K), 2])) as {
      bus: number;
      lmpMicrosPerMWh: string;
      lmpLowMicrosPerMWh: string | null;
      lmpHighMicrosPerMWh: string | null;
    }[];
    const low = prices[0]?.lmpLowMicrosPerMWh ?? null;
    const high = prices[0]?.lmpHighMicrosPerMWh ?? null;
    expect(prices).toEqual([
      {
        interval: String(K),
        startMs: String(K * HOUR),
        bus: 2,
        lmpMicrosPerMWh: iv.lmpMicrosPerMWh['2'],
        lmpLowMicrosPerMWh: low,
        lmpHighMicrosPerMWh: high,
      },
    ]);
    // the published LMP is the midpoint of the bus's range of optimal prices (market-rules §6a)
    const lmp = BigInt(prices[0]!.lmpMicrosPerMWh);
    if (low !== null) expect(BigInt(low) <= lmp).toBe(true);
    if (high !== null) expect(lmp <= BigInt(high)).toBe(true);
    if (low !== null && high !== null) {
      const mid = BigInt(low) + BigInt(high);
      expect(mid === 2n * lmp || mid === 2n * lmp + 1n || mid === 2n * lmp - 1n).toBe(true);
    }
    expect(BigInt(prices[0]!.lmpMicrosPerMWh)).toBe(
      chain.view<bigint>(MARKET_ADDRESS, MARKET_ABI, 'lmp', [K, 2n]),
    );
    const orders = (await call('gl_orders', [String(K), buyer.address])) as {
      status: string;
      side: string;
    }[];
    expect(orders).toMatchObject([{ id: '2', side: 'buy', status: 'cleared' }]);
    const grid = (await call('gl_gridState', [String(K)])) as {
      branches: { limitMw: number; overridden: boolean; flowW: string }[];
    };
    expect(grid.branches[1]).toMatchObject({ limitMw: 5, overridden: true });
    expect(Math.abs(Number(grid.branches[1]!.flowW))).toBe(5_000_000);
    await expect(call('gl_prices', [5, 4])).rejects.toThrow('fromInterval <= toInterval');
    await expect(call('gl_orders', ['x'])).rejects.toThrow('interval: expected a non-negative integer');
    await expect(call('gl_orders', ['x'])).rejects.toMatchObject({ rpcCode: -32602 });
  });
});

describe('gl_marketConfig on a scaled market clock', () => {
  const admin = account('c admin');
  const operator = account('c operator');
  const trader = account('c trader');
  /** Block time 1,000,000 ms is market time 10 intervals in; 10 s of block time is one 5-minute interval. */
  const config: MarketConfig = testMarketConfig(operator.addr, {
    intervalMs: MIN5,
    gateLeadMs: MIN5,
    settlementDelayMs: 2n * MIN5,
    clock: { blockOriginMs: 1_000_000n, marketOriginMs: 10n * MIN5, scale: 30n },
  });
  const NET: NetworkJson = {
    name: 'two',
    baseMVA: 100,
    buses: [
      { id: 1, type: 3 },
      { id: 2, type: 1 },
    ],
    branches: [line(1, 1, 2, 0.1, 0)],
  };

  it('reports market time, the open interval and the next to clear', async () => {
    const chain = await Chain.start(
      buildGenesis(admin, [
        { who: operator, roles: ['GRID_OPERATOR_ROLE'] },
        { who: trader, roles: ['PARTICIPANT_ROLE'], cash: 10_000n * USD },
      ]),
      config,
    );
    const setup = [
      await chain.tx(operator, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerNetwork', [JSON.stringify(NET)]),
      await chain.tx(admin, REGISTRY_ADDRESS, REGISTRY_ABI, 'registerParticipant', [trader.addr, [2n]]),
    ];
    await chain.block(1_000_000n, setup);
    await chain.block(1_010_000n);
    expect(chain.state.get(marketKeys.clearNext)).toBe(13n);

    const m = glMarketMethods({
      app: chain.app,
      config,
      latestBlock: () => ({ number: chain.height, timeMs: 1_010_000n }),
    });
    const view = (await m.get('gl_marketConfig')!([], {})) as Record<string, unknown>;
    expect(view).toMatchObject({
      marketTimeMs: (11n * MIN5).toString(),
      openInterval: '13',
      clearNext: '13',
      blockNumber: chain.height.toString(),
    });
    expect((view.config as { clock: { scale: string } }).clock.scale).toBe('30');
  });
});

describe('the served method table', () => {
  it('with the execution app and the market is exactly the methods of GridledgerRpcSchema; the key-value table is its chain part', async () => {
    const operator = account('t operator');
    const config = testMarketConfig(operator.addr, {});
    const chain = await Chain.start(buildGenesis(account('t admin'), []), config);
    const base: RpcBackend = {
      ethChainId: 1n,
      latestHeight: () => 0n,
      getBlock: async () => undefined,
      commit: async () => undefined,
      status: () => ({
        chainId: '1',
        height: 0n,
        latestHash: undefined,
        latestTimeMs: undefined,
        peers: 0,
        validator: undefined,
        catchingUp: false,
      }),
      validators: () => [],
      submitTx: async () => ({ ok: false, code: 'rejected', reason: 'no mempool' }),
    };
    const served = (backend: RpcBackend) =>
      [...buildMethods({ backend, clientVersion: 'test', maxTxBytes: 1024 }).keys()].sort();
    expect(served({ ...base, execution: chain.app, market: config })).toEqual(
      [...GRIDLEDGER_RPC_METHODS].sort(),
    );
    expect(served(base)).toEqual(
      [
        'web3_clientVersion',
        'net_version',
        'net_listening',
        'net_peerCount',
        'eth_chainId',
        'eth_blockNumber',
        'eth_syncing',
        'eth_getBlockByNumber',
        'eth_getBlockByHash',
        'eth_getBlockTransactionCountByNumber',
        'eth_subscribe',
        'eth_unsubscribe',
        'gl_status',
        'gl_validators',
        'gl_commit',
        'gl_query',
        'gl_sendTx',
        'broadcast_tx',
      ].sort(),
    );
  });
});
