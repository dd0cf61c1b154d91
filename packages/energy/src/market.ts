// The market module (0x…1011): participants place and cancel orders for an interval until its gate (on a
// market with sealed bids they commit and reveal instead: sealed-orders.ts, whose handlers it serves);
// the module escrows cash (buy: the most the order could cost at its limit prices; sell: collateral for
// its imbalance exposure at the shortfall price) in its own cash balance. Clearing, promises and
// settlement run in the block (clearing.ts, settlement.ts, extension.ts); this file also holds the views.
import { WH_PER_MWH } from '@gridledger/base';
import {
  AbiModule,
  type Address,
  addressToValue,
  CASH_ADDRESS,
  type CallContext,
  Erc20Module,
  hasRole,
  prepareEvent,
  revertReason,
  valueToAddress,
} from '@gridledger/execution';
import { parseAbi } from 'viem';
import { MARKET_ADDRESS } from './addresses.ts';
import {
  capacityWhPerInterval,
  collateralPriceMicrosPerMWh,
  deadlineMs,
  gateMs,
  intervalEndMs,
  intervalStartMs,
  MAX_PRICE_MICROS_PER_MWH,
  MAX_STEP_WH,
  type MarketConfig,
  marketTimeMs,
} from './config.ts';
import { DEBTS_ABI, debtKeys, payDebtsFromBalance } from './debts.ts';
import { decodeOrderOutcome, INTERVAL_STATUS, marketKeys, ORDER_STATUS, SIDE } from './market-keys.ts';
import { PROMISE_RECORD_WORDS, promiseWordKey, readPromiseRecord } from './promise-record.ts';
import { registryKeys } from './registry.ts';
import { SEALED_ORDER_SIGNATURES } from './sealed-abi.ts';
import { type PlaceRevealed, sealedOrderHandlers } from './sealed-orders.ts';
import { SETTLEMENT_EVENTS_ABI } from './settlement-events.ts';
import { decodeSigned, maxBig, minBig, type StateReader } from './words.ts';

/** The market's ABI (functions, views and every event the market emits, in the block too). */
export const MARKET_ABI = [
  ...parseAbi([
    'struct Step { uint64 energyWh; uint64 priceMicrosPerMWh; }',
    'struct OrderView { address owner; uint64 interval; uint256 bus; uint8 side; uint256 escrow; uint8 status; uint256 clearedWh; int256 priceMicrosPerMWh; int256 amount; }',
    'struct PromiseView { uint64 interval; address seller; address buyer; uint256 sellerOrder; uint256 buyerOrder; uint256 sellerBus; uint256 buyerBus; uint256 energyWh; int256 sellerPriceMicrosPerMWh; int256 buyerPriceMicrosPerMWh; bool settled; uint256 deliveredWh; }',
    'function placeOrder(uint64 interval, uint256 bus, uint8 side, Step[] steps) returns (uint256 id)',
    'function cancelOrder(uint256 id)',
    'function payDebts() returns (uint256 paid)',
    'function debtOf(address account) view returns (uint256 debt, uint256 due)',
    'function order(uint256 id) view returns (OrderView)',
    'function orderSteps(uint256 id) view returns (Step[])',
    'function intervalState(uint64 interval) view returns (uint8 status, int256 congestionRent, uint256 orders, uint256 promises)',
    'function lmp(uint64 interval, uint256 bus) view returns (int256)',
    'function promiseOf(uint256 tokenId) view returns (PromiseView)',
    'function clock(uint64 interval) view returns (uint256 gateMs, uint256 startMs, uint256 endMs, uint256 deadlineMs)',
    'event OrderPlaced(uint256 indexed id, address indexed owner, uint64 indexed interval, uint256 bus, uint8 side, uint256 escrow)',
    'event OrderCancelled(uint256 indexed id, address indexed owner, uint256 released)',
    'event IntervalCleared(uint64 indexed interval, uint8 status, string reason, int256 congestionRent, uint256 promises)',
    'event OrderCleared(uint256 indexed id, address indexed owner, uint256 energyWh, int256 priceMicrosPerMWh, int256 amount, uint256 released)',
    'event TradeRecorded(uint256 indexed promiseId, uint256 indexed sellerOrder, uint256 indexed buyerOrder, uint256 energyWh)',
    'event PromiseSettled(uint256 indexed promiseId, address indexed holder, uint256 deliveredWh)',
    'event ImbalanceSettled(uint64 indexed interval, address indexed party, uint256 bus, int256 imbalanceWh, int256 amount)',
    'event IntervalSettled(uint64 indexed interval, uint256 creditsWh, uint256 promises)',
    'event SettlementFailed(uint64 indexed interval, string reason, uint256 released, uint256 promises)',
    'event FlowDeviation(uint64 indexed interval, uint256 indexed branch, int256 clearedFlowW, int256 actualFlowW, uint256 limitW, bool overLimit)',
    'event ClearingRecorded(uint64 indexed interval, bytes32 resultHash, bytes32 certificateHash, string result, string certificate)',
    ...SEALED_ORDER_SIGNATURES,
  ]),
  ...SETTLEMENT_EVENTS_ABI,
  ...DEBTS_ABI,
] as const;

/** Prepared events of the market (also used by clearing and settlement). */
export const MARKET_EVENTS = {
  placed: prepareEvent(MARKET_ABI, 'OrderPlaced'),
  cancelled: prepareEvent(MARKET_ABI, 'OrderCancelled'),
  intervalCleared: prepareEvent(MARKET_ABI, 'IntervalCleared'),
  orderCleared: prepareEvent(MARKET_ABI, 'OrderCleared'),
  trade: prepareEvent(MARKET_ABI, 'TradeRecorded'),
  promiseSettled: prepareEvent(MARKET_ABI, 'PromiseSettled'),
  imbalance: prepareEvent(MARKET_ABI, 'ImbalanceSettled'),
  intervalSettled: prepareEvent(MARKET_ABI, 'IntervalSettled'),
  settlementFailed: prepareEvent(MARKET_ABI, 'SettlementFailed'),
  flowDeviation: prepareEvent(MARKET_ABI, 'FlowDeviation'),
  clearingRecorded: prepareEvent(MARKET_ABI, 'ClearingRecorded'),
};

/** An account in default (any unpaid debt) may not place orders until it pays (debts.ts). */
function refuseDefaulter(ctx: CallContext, who: Address): void {
  const debt = ctx.read(debtKeys.debt(who));
  if (debt > 0n)
    throw revertReason(`market: ${who} is in default, owing ${debt} µ$: pay it with payDebts() first`);
}

/**
 * Orders capped by the registered meters (config.ordersCappedByMeters): the owner's open orders at bus `b`,
 * interval `k` and `side`, with this one of `total` Wh, may not exceed what its meters at `b` carry in one
 * interval (Σ capacityW × intervalMs). An offer beyond the connection is a phantom: it could only be
 * "delivered" by a meter reading the capacity check rejects.
 */
function refuseBeyondMeters(
  ctx: CallContext,
  config: MarketConfig,
  who: Address,
  k: bigint,
  b: bigint,
  side: bigint,
  total: bigint,
): void {
  const nMeters = Number(ctx.read(registryKeys.ownerMeters(who, b)));
  if (nMeters === 0) {
    throw revertReason(
      `market: ${who} has no meter registered at bus ${b}: orders are capped by the registered meters' capacity (ask the grid operator to register one)`,
    );
  }
  let capacityW = 0n;
  for (let i = 0; i < nMeters; i++)
    capacityW += ctx.read(registryKeys.meterCapacity(ctx.read(registryKeys.ownerMeter(who, b, i))));
  const capWh = capacityWhPerInterval(config, capacityW);
  const iv = marketKeys.interval(k);
  let open = 0n;
  const n = ctx.read(iv.ownCount(who, b, side));
  for (let i = 0n; i < n; i++) {
    const ok = marketKeys.order(ctx.read(iv.ownOrder(who, b, side, i)));
    if (ctx.read(ok.status) !== ORDER_STATUS.open) continue;
    const steps = Number(ctx.read(ok.steps));
    for (let j = 0; j < steps; j++) open += ctx.read(ok.stepWh(j));
  }
  if (total + open > capWh) {
    throw revertReason(
      `market: the order's ${total} Wh plus ${open} Wh already ${side === 0n ? 'bid' : 'offered'} by ${who} at bus ${b} in interval ${k} exceed its meters' capacity of ${capWh} Wh per interval (${capacityW} W registered there): order less`,
    );
  }
}

/** ceil(a / b) for a >= 0, b > 0. */
const ceilDivPos = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** Escrow of a buy order: ceil(Σ energyWh·price / 10^6) cash units. */
export function buyEscrow(steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[]): bigint {
  return ceilDivPos(
    steps.reduce((a, s) => a + s.energyWh * s.priceMicrosPerMWh, 0n),
    WH_PER_MWH,
  );
}

/** Collateral of a sell order for `energyWh`: ceil(energyWh · (price cap + δ) / 10^6) cash units. */
export function sellCollateral(config: MarketConfig, energyWh: bigint): bigint {
  return ceilDivPos(energyWh * collateralPriceMicrosPerMWh(config), WH_PER_MWH);
}

/** An order as stored. */
export interface StoredOrder {
  id: bigint;
  owner: Address;
  interval: bigint;
  bus: number;
  side: 'buy' | 'sell';
  steps: { energyWh: bigint; priceMicrosPerMWh: bigint }[];
  escrow: bigint;
  status: bigint;
  clearedWh: bigint;
  priceMicrosPerMWh: bigint;
  amount: bigint;
}

/** Unmetered reads of the market's state. */
export const marketView = {
  order(s: StateReader, id: bigint): StoredOrder | undefined {
    const k = marketKeys.order(id);
    const owner = s.get(k.owner);
    if (owner === 0n) return undefined;
    const n = Number(s.get(k.steps));
    const steps = [];
    for (let j = 0; j < n; j++)
      steps.push({ energyWh: s.get(k.stepWh(j)), priceMicrosPerMWh: s.get(k.stepPrice(j)) });
    const out = decodeOrderOutcome(s.get(k.outcome));
    return {
      id,
      owner: valueToAddress(owner),
      interval: s.get(k.interval),
      bus: Number(s.get(k.bus)),
      side: s.get(k.side) === SIDE.buy ? 'buy' : 'sell',
      steps,
      escrow: s.get(k.escrow),
      status: s.get(k.status),
      clearedWh: out.clearedWh,
      priceMicrosPerMWh: out.price,
      amount: out.amount,
    };
  },
  /** Every order of interval `k` (any status), by id. */
  ordersOf(s: StateReader, k: bigint): StoredOrder[] {
    const iv = marketKeys.interval(k);
    const n = Number(s.get(iv.orders));
    const out: StoredOrder[] = [];
    for (let i = 0; i < n; i++) {
      const o = marketView.order(s, s.get(iv.order(i)));
      if (o !== undefined) out.push(o);
    }
    return out;
  },
  /** Promise token ids of interval `k` (consecutive, from its first promise). */
  promisesOf(s: StateReader, k: bigint): bigint[] {
    const iv = marketKeys.interval(k);
    const n = Number(s.get(iv.promises));
    const first = s.get(iv.firstPromise);
    const out: bigint[] = [];
    for (let i = 0; i < n; i++) out.push(first + BigInt(i));
    return out;
  },
};

/**
 * Names of a promise's attributes (the `promiseOf` view's fields). They are stored packed in four words
 * on the ERC-721 module (promise-record.ts).
 */
export const PROMISE_ATTRIBUTES = [
  'interval',
  'seller',
  'buyer',
  'sellerOrder',
  'buyerOrder',
  'sellerBus',
  'buyerBus',
  'energyWh',
  'sellerPrice',
  'buyerPrice',
] as const;

/**
 * The market module.
 * @example new MarketModule(config)
 */
export class MarketModule extends AbiModule {
  readonly config: MarketConfig;
  constructor(config: MarketConfig) {
    const cashOf = (ctx: CallContext) => ctx.modules.require(CASH_ADDRESS, Erc20Module);
    // placeOrder's body, also entered by a sealed bid's reveal (sealed-orders.ts) with `revealed` set.
    let place: (ctx: CallContext, args: readonly unknown[], revealed?: boolean) => unknown[] = () => [];
    const placeRevealed: PlaceRevealed = (ctx, args) => place(ctx, args, true)[0] as bigint;
    const escrowOf = (side: number, steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[]) =>
      side === 0
        ? buyEscrow(steps)
        : sellCollateral(
            config,
            steps.reduce((a, s) => a + s.energyWh, 0n),
          );
    super('market', MARKET_ADDRESS, MARKET_ABI, {
      ...sealedOrderHandlers(config, placeRevealed, escrowOf),
      placeOrder: (place = (ctx, [interval, bus, side, rawSteps], revealed = false) => {
        const k = interval as bigint;
        const b = bus as bigint;
        const who = ctx.sender;
        if (!hasRole(ctx, 'PARTICIPANT_ROLE', who))
          throw revertReason(`market: ${who} lacks PARTICIPANT_ROLE`);
        refuseDefaulter(ctx, who);
        if ((side as number) !== 0 && (side as number) !== 1) {
          throw revertReason(`market: side must be 0 (buy) or 1 (sell), got ${side}`);
        }
        if (k < config.firstInterval) {
          throw revertReason(
            `market: interval ${k} is before the market's first interval ${config.firstInterval}`,
          );
        }
        if (config.sealed !== undefined && !revealed) {
          throw revertReason('market: bids are sealed: commitOrder before the gate, revealOrder after it');
        }
        const now = marketTimeMs(config, ctx.env.timeMs);
        if (!revealed && (now >= gateMs(config, k) || k < ctx.read(marketKeys.clearNext))) {
          throw revertReason(
            `market: gate of interval ${k} closed at ${gateMs(config, k)} ms, market time is ${now}`,
          );
        }
        if (ctx.read(registryKeys.bus(b)) !== 1n) throw revertReason(`market: unknown bus ${b}`);
        if (ctx.read(registryKeys.participantBus(who, b)) !== 1n) {
          throw revertReason(`market: ${who} may not trade at bus ${b}`);
        }
        const steps = rawSteps as readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[];
        if (steps.length === 0 || steps.length > config.maxStepsPerOrder) {
          throw revertReason(`market: expected 1..${config.maxStepsPerOrder} steps, got ${steps.length}`);
        }
        const minStepWh = config.minStepWh ?? 1n;
        steps.forEach((s, j) => {
          if (s.energyWh < minStepWh || s.energyWh > MAX_STEP_WH) {
            throw revertReason(
              `market: step ${j + 1}: energyWh must be in ${minStepWh}..${MAX_STEP_WH}, got ${s.energyWh}`,
            );
          }
          if (s.priceMicrosPerMWh > MAX_PRICE_MICROS_PER_MWH) {
            throw revertReason(
              `market: step ${j + 1}: price must be <= ${MAX_PRICE_MICROS_PER_MWH}, got ${s.priceMicrosPerMWh}`,
            );
          }
        });
        const total = steps.reduce((a, s) => a + s.energyWh, 0n);
        if (config.maxOrderWh !== undefined && total > config.maxOrderWh) {
          throw revertReason(
            `market: the order's ${total} Wh exceed the cap of ${config.maxOrderWh} Wh per order`,
          );
        }
        const iv = marketKeys.interval(k);
        if (config.ordersCappedByMeters)
          refuseBeyondMeters(ctx, config, who, k, b, BigInt(side as number), total);
        // Self-trade prevention: an owner's buy and sell at one bus and interval that would cross.
        const sideBig = BigInt(side as number);
        const other = 1n - sideBig;
        const nOther = ctx.read(iv.ownCount(who, b, other));
        for (let i = 0n; i < nOther; i++) {
          const id = ctx.read(iv.ownOrder(who, b, other, i));
          const ok = marketKeys.order(id);
          if (ctx.read(ok.status) !== ORDER_STATUS.open) continue;
          const prices: bigint[] = [];
          const n = Number(ctx.read(ok.steps));
          for (let j = 0; j < n; j++) prices.push(ctx.read(ok.stepPrice(j)));
          const bid = sideBig === 0n ? steps : prices.map((p) => ({ priceMicrosPerMWh: p }));
          const offer = sideBig === 0n ? prices.map((p) => ({ priceMicrosPerMWh: p })) : steps;
          const maxBid = bid.reduce((a, s) => maxBig(a, s.priceMicrosPerMWh), -1n);
          const minOffer = offer.reduce(
            (a, s) => (a < 0n ? s.priceMicrosPerMWh : minBig(a, s.priceMicrosPerMWh)),
            -1n,
          );
          if (maxBid >= minOffer) {
            throw revertReason(
              `market: self-trade: ${who}'s order ${id} at bus ${b} in interval ${k} would cross this ${sideBig === 0n ? 'buy' : 'sell'} (bid ${maxBid} >= offer ${minOffer})`,
            );
          }
        }
        const live = ctx.read(iv.liveOf(who));
        if (live >= BigInt(config.maxOrdersPerAccount)) {
          throw revertReason(
            `market: ${who} already has ${live} orders in interval ${k} (limit ${config.maxOrdersPerAccount})`,
          );
        }
        const escrow = side === 0 ? buyEscrow(steps) : sellCollateral(config, total);
        const cash = cashOf(ctx);
        const balance = cash.balanceOf(ctx.state, who);
        if (balance < escrow) {
          throw revertReason(`market: escrow of ${escrow} exceeds the cash balance ${balance} of ${who}`);
        }
        if (escrow > 0n) cash.transfer(ctx, who, MARKET_ADDRESS, escrow);
        const id = ctx.read(marketKeys.nextOrder) || 1n;
        ctx.write(marketKeys.nextOrder, id + 1n);
        const o = marketKeys.order(id);
        ctx.write(o.owner, addressToValue(who));
        ctx.write(o.interval, k);
        ctx.write(o.bus, b);
        ctx.write(o.side, BigInt(side as number));
        ctx.write(o.steps, BigInt(steps.length));
        steps.forEach((s, j) => {
          ctx.write(o.stepWh(j), s.energyWh);
          ctx.write(o.stepPrice(j), s.priceMicrosPerMWh);
        });
        ctx.write(o.escrow, escrow);
        ctx.write(o.status, ORDER_STATUS.open);
        const slot = ctx.read(iv.orders);
        ctx.write(iv.order(Number(slot)), id);
        ctx.write(iv.orders, slot + 1n);
        ctx.write(iv.liveOf(who), live + 1n);
        const own = ctx.read(iv.ownCount(who, b, sideBig));
        ctx.write(iv.ownOrder(who, b, sideBig, own), id);
        ctx.write(iv.ownCount(who, b, sideBig), own + 1n);
        ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.placed, { id, owner: who, interval: k, bus: b, side, escrow });
        return [id];
      }),
      payDebts: (ctx) => [payDebtsFromBalance(ctx, ctx.sender)],
      debtOf: (ctx, [account]) => [
        ctx.read(debtKeys.debt(account as Address)),
        ctx.read(debtKeys.due(account as Address)),
      ],
      cancelOrder: (ctx, [id]) => {
        const o = marketKeys.order(id as bigint);
        const owner = ctx.read(o.owner);
        if (owner === 0n) throw revertReason(`market: unknown order ${id}`);
        if (valueToAddress(owner) !== ctx.sender)
          throw revertReason(`market: order ${id} is not ${ctx.sender}'s`);
        if (ctx.read(o.status) !== ORDER_STATUS.open) throw revertReason(`market: order ${id} is not open`);
        const k = ctx.read(o.interval);
        if (marketTimeMs(config, ctx.env.timeMs) >= gateMs(config, k))
          throw revertReason(`market: gate of interval ${k} has closed`);
        const escrow = ctx.read(o.escrow);
        if (escrow > 0n) cashOf(ctx).transfer(ctx, MARKET_ADDRESS, ctx.sender, escrow);
        ctx.write(o.escrow, 0n);
        ctx.write(o.status, ORDER_STATUS.cancelled);
        const iv = marketKeys.interval(k);
        ctx.write(iv.liveOf(ctx.sender), ctx.read(iv.liveOf(ctx.sender)) - 1n);
        ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.cancelled, { id, owner: ctx.sender, released: escrow });
        return [];
      },
      order: (ctx, [id]) => {
        ctx.read(marketKeys.order(id as bigint).owner);
        const o = marketView.order(ctx.state, id as bigint);
        if (o === undefined) throw revertReason(`market: unknown order ${id}`);
        return [
          {
            owner: o.owner,
            interval: o.interval,
            bus: BigInt(o.bus),
            side: o.side === 'buy' ? 0 : 1,
            escrow: o.escrow,
            status: Number(o.status),
            clearedWh: o.clearedWh,
            priceMicrosPerMWh: o.priceMicrosPerMWh,
            amount: o.amount,
          },
        ];
      },
      orderSteps: (ctx, [id]) => {
        const o = marketView.order(ctx.state, id as bigint);
        if (o === undefined) throw revertReason(`market: unknown order ${id}`);
        return [o.steps];
      },
      intervalState: (ctx, [interval]) => {
        const iv = marketKeys.interval(interval as bigint);
        return [
          Number(ctx.read(iv.status)),
          decodeSigned(ctx.read(iv.rent)),
          ctx.read(iv.orders),
          ctx.read(iv.promises),
        ];
      },
      lmp: (ctx, [interval, bus]) => {
        const st = ctx.read(marketKeys.interval(interval as bigint).status);
        if (st !== INTERVAL_STATUS.cleared && st !== INTERVAL_STATUS.settled) {
          throw revertReason(`market: interval ${interval} has no prices`);
        }
        return [decodeSigned(ctx.read(marketKeys.interval(interval as bigint).lmp(Number(bus))))];
      },
      promiseOf: (ctx, [tokenId]) => {
        const id = tokenId as bigint;
        for (const w of PROMISE_RECORD_WORDS) ctx.read(promiseWordKey(id, w));
        const r = readPromiseRecord(ctx.state, id);
        const settled = ctx.read(marketKeys.promise(id).settled) === 1n;
        if (r === undefined) throw revertReason(`market: unknown promise ${id}`);
        return [
          {
            interval: r.interval,
            seller: r.seller,
            buyer: r.buyer,
            sellerOrder: r.sellerOrder,
            buyerOrder: r.buyerOrder,
            sellerBus: r.sellerBus,
            buyerBus: r.buyerBus,
            energyWh: r.energyWh,
            sellerPriceMicrosPerMWh: r.sellerPrice,
            buyerPriceMicrosPerMWh: r.buyerPrice,
            settled,
            deliveredWh: ctx.read(marketKeys.promise(id).deliveredWh),
          },
        ];
      },
      clock: (_ctx, [interval]) => {
        const k = interval as bigint;
        const nz = (v: bigint) => (v < 0n ? 0n : v);
        return [
          nz(gateMs(config, k)),
          intervalStartMs(config, k),
          intervalEndMs(config, k),
          deadlineMs(config, k),
        ];
      },
    });
    this.config = config;
  }
}
