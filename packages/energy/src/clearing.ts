// Clearing of one interval inside the block (called by the begin-block step of extension.ts): reads the
// interval's open orders, the registered network with the line limits and status in force, and the
// upstream tariff in force for the interval (tariffs.ts); adds the upstream connection as an offer
// (import price) and a bid (export price), both at its full capacity (the upstream is the grid: its bid
// is not capped by its account's cash; what it cannot pay is recorded as its debt, debts.ts); solves with
// clearNetwork (HiGHS wasm; inputs in a fixed order: orders by id, then upstream sell, upstream buy),
// verifies the certificate, settles in integers with settleClearing, moves cash, pays the congestion rent
// into the rent fund, records prices, flows, congestion prices and quantities in state, the result and
// certificate as a ClearingRecorded log with their keccak256 hashes in state (clearing-record.ts), and
// mints one promise per trade of the grid-respecting decomposition (trades.ts: same bus first, then along
// the cleared flows, never across islands; merit by the cleared steps' prices), with consecutive token
// ids, attributes packed by promise-record.ts.
// Markets with `pricing: 'ac'` clear with the AC model instead (clearing-ac.ts); the rest is shared.
// Any failure (not optimal, certificate rejected, a payment that cannot be covered) leaves the interval
// `failed` with its reason and releases every escrow: no money is created or lost.
import { dollarsPerMWhToMicros, microsPerMWhToDollars, mwToW, whToMw } from '@gridledger/base';
import {
  type Address,
  CASH_ADDRESS,
  CallContext,
  Erc20Module,
  Erc721Module,
  GasMeter,
  type JournaledState,
  type Log,
  type ModuleRegistry,
  OutOfGas,
  PROMISES_ADDRESS,
  Revert,
  revertReason,
} from '@gridledger/execution';
import type { Network } from '@gridledger/grid';
import {
  type AcCertificate,
  type ClearingResult,
  clearNetwork,
  type NetworkClearingResult,
  type Order,
  type Settlement,
  settleClearing,
  verifyCertificate,
} from '@gridledger/market';
import { MARKET_ADDRESS, RENT_FUND_ADDRESS } from './addresses.ts';
import { encodeCertificateJson } from './certificate-json.ts';
import { recordClearedNetwork } from './cleared-network.ts';
import { clearIntervalAc, writeAcInterval } from './clearing-ac.ts';
import { type ClearingRecordFields, encodeClearingRecord } from './clearing-record.ts';
import { intervalMinutes, type MarketConfig, pricingOf } from './config.ts';
import { payNetOfDebts, recordDebt } from './debts.ts';
import { MARKET_EVENTS, marketView, type StoredOrder, sellCollateral } from './market.ts';
import { encodeOrderOutcome, INTERVAL_STATUS, marketKeys, ORDER_STATUS } from './market-keys.ts';
import { encodePromiseRecord } from './promise-record.ts';
import { registryKeys, registryView } from './registry.ts';
import { tariffView } from './tariffs.ts';
import { decomposeTradesOnGrid, type GridTradeParty, shareInOrder } from './trades.ts';
import { encodeSigned, maxBig, minBig } from './words.ts';

/** Engine id of an order. */
export const engineOrderId = (id: bigint) => `o${id}`;
/** Engine ids of the upstream connection's offer and bid. */
export const UPSTREAM_SELL_ID = 'up-sell';
export const UPSTREAM_BUY_ID = 'up-buy';

/** What clearing an interval needs, read from state. */
export interface ClearingInputs {
  interval: bigint;
  network: Network;
  /** Open orders, by id. */
  orders: StoredOrder[];
  /** Engine orders: orders by id, then the upstream offer and bid. */
  engineOrders: Order[];
  /** The upstream tariff in force for the interval, µ$/MWh. */
  tariff: UpstreamTariff;
}

/** The upstream's prices for one interval, µ$/MWh (tariffs.ts). */
export interface UpstreamTariff {
  importPriceMicrosPerMWh: bigint;
  exportPriceMicrosPerMWh: bigint;
}

/** An order as the engine's inputs need it: integer steps (Wh, µ$/MWh). */
export interface EngineOrderSource {
  id: bigint;
  bus: number;
  side: 'buy' | 'sell';
  steps: readonly { energyWh: bigint; priceMicrosPerMWh: bigint }[];
}

/**
 * The engine's order book of an interval: the orders (ids by {@link engineOrderId}, MW over the interval,
 * $/MWh), then the upstream offer at the interval's import price and its bid at its export price, both for
 * the upstream's capacity. Used by the clearing and by anyone re-computing it off-chain (the simulator's
 * invariant check; the tariff of interval k is the tariffs module's `tariffAt(k)`).
 */
export function engineOrdersOf(
  orders: readonly EngineOrderSource[],
  config: MarketConfig,
  tariff: UpstreamTariff,
): Order[] {
  const minutes = intervalMinutes(config);
  const up = config.upstream;
  const engineOrders: Order[] = orders.map((o) => ({
    id: engineOrderId(o.id),
    bus: o.bus,
    side: o.side,
    steps: o.steps.map((s) => ({
      price: microsPerMWhToDollars(s.priceMicrosPerMWh),
      quantity: whToMw(s.energyWh, minutes),
    })),
  }));
  engineOrders.push(
    {
      id: UPSTREAM_SELL_ID,
      bus: up.bus,
      side: 'sell',
      steps: [
        {
          price: microsPerMWhToDollars(tariff.importPriceMicrosPerMWh),
          quantity: whToMw(up.capacityWh, minutes),
        },
      ],
    },
    {
      id: UPSTREAM_BUY_ID,
      bus: up.bus,
      side: 'buy',
      steps: [
        {
          price: microsPerMWhToDollars(tariff.exportPriceMicrosPerMWh),
          quantity: whToMw(up.capacityWh, minutes),
        },
      ],
    },
  );
  return engineOrders;
}

/** Reads the inputs of interval `k`'s clearing, or a reason it cannot be cleared. */
export function readClearingInputs(
  state: JournaledState,
  config: MarketConfig,
  k: bigint,
): { ok: true; inputs: ClearingInputs } | { ok: false; reason: string; orders: StoredOrder[] } {
  const orders = marketView.ordersOf(state, k).filter((o) => o.status === ORDER_STATUS.open);
  orders.sort((a, b) => (a.id < b.id ? -1 : 1));
  const json = registryView.network(state);
  if (json === undefined) return { ok: false, reason: 'no network registered', orders };
  if (!json.buses.some((b) => b.id === config.upstream.bus)) {
    return { ok: false, reason: `upstream bus ${config.upstream.bus} is not in the network`, orders };
  }
  const network = registryView.engineNetwork(state, json);
  const tariff = tariffView.pricesAt(state, config, k);
  const engineOrders = engineOrdersOf(orders, config, tariff);
  return { ok: true, inputs: { interval: k, network, orders, engineOrders, tariff } };
}

function systemContext(
  state: JournaledState,
  modules: ModuleRegistry,
  env: { height: bigint; timeMs: bigint },
) {
  return new CallContext(
    state,
    new GasMeter(1n << 62n),
    { sender: MARKET_ADDRESS, height: env.height, timeMs: env.timeMs },
    modules,
  );
}

/** Releases every open order's escrow and marks the interval failed with `reason`. */
function failInterval(ctx: CallContext, k: bigint, orders: readonly StoredOrder[], reason: string): void {
  const cash = ctx.modules.require(CASH_ADDRESS, Erc20Module);
  for (const o of orders) {
    const ok = marketKeys.order(o.id);
    if (o.escrow > 0n) cash.transfer(ctx, MARKET_ADDRESS, o.owner, o.escrow);
    ctx.write(ok.escrow, 0n);
    ctx.write(ok.status, ORDER_STATUS.released);
    ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.orderCleared, {
      id: o.id,
      owner: o.owner,
      energyWh: 0n,
      priceMicrosPerMWh: 0n,
      amount: 0n,
      released: o.escrow,
    });
  }
  ctx.write(marketKeys.interval(k).status, INTERVAL_STATUS.failed);
  ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.intervalCleared, {
    interval: k,
    status: Number(INTERVAL_STATUS.failed),
    reason,
    congestionRent: 0n,
    promises: 0n,
  });
}

/** Why a thrown error reverted an application step. */
function revertText(e: unknown): string {
  if (e instanceof OutOfGas) return 'out of gas';
  if (e instanceof Revert) {
    const hex = e.data;
    if (hex.startsWith('0x08c379a0')) {
      try {
        const len = Number.parseInt(hex.slice(74, 138), 16);
        return Buffer.from(hex.slice(138, 138 + len * 2), 'hex').toString('utf8');
      } catch {
        return hex;
      }
    }
    return `revert ${hex.slice(0, 10)}`;
  }
  throw e;
}

/**
 * Clears interval `k` into `state` and returns the logs. Must be called once per interval, in the first
 * block whose time reaches the gate.
 */
export async function clearInterval(
  state: JournaledState,
  modules: ModuleRegistry,
  config: MarketConfig,
  env: { height: bigint; timeMs: bigint },
  k: bigint,
): Promise<Log[]> {
  const ctx = systemContext(state, modules, env);
  const read = readClearingInputs(state, config, k);
  if (!read.ok) {
    if (read.orders.length > 0) failInterval(ctx, k, read.orders, read.reason);
    else ctx.write(marketKeys.interval(k).status, INTERVAL_STATUS.settled);
    return ctx.logs;
  }
  const inputs = read.inputs;
  if (inputs.orders.length === 0) {
    // Nothing to clear; the interval's meters are still settled (at real-time prices) when there are any.
    const iv = marketKeys.interval(k);
    const meters = ctx.read(registryKeys.meterCount);
    ctx.write(iv.expectedCount, meters);
    ctx.write(iv.networkVersion, ctx.read(registryKeys.netVersion));
    ctx.write(iv.status, meters > 0n ? INTERVAL_STATUS.cleared : INTERVAL_STATUS.settled);
    return ctx.logs;
  }
  let result: ClearingResult;
  let record: ClearingRecordFields;
  let acCertificate: AcCertificate | undefined;
  if (pricingOf(config) === 'ac') {
    // AC pricing (clearing-ac.ts): solved, certified and checked there.
    const ac = await clearIntervalAc(inputs.network, inputs.engineOrders, config);
    if (!ac.ok) {
      failInterval(ctx, k, inputs.orders, ac.reason);
      return ctx.logs;
    }
    result = ac.result;
    record = ac.record;
    acCertificate = ac.certificate;
  } else {
    const dc = await clearIntervalDc(inputs);
    if (!dc.ok) {
      failInterval(ctx, k, inputs.orders, dc.reason);
      return ctx.logs;
    }
    result = dc.result;
    record = dc.record;
  }
  const settlement = settleClearing(result, { intervalMinutes: intervalMinutes(config) });
  const snap = state.snapshot();
  const applyCtx = systemContext(state, modules, env);
  try {
    applyClearing(applyCtx, config, inputs, result, settlement, record);
    if (acCertificate) writeAcInterval(applyCtx, k, acCertificate);
    return applyCtx.logs;
  } catch (e) {
    const reason = revertText(e);
    state.revert(snap);
    failInterval(ctx, k, inputs.orders, `settlement failed: ${reason}`);
    return ctx.logs;
  }
}

/** The DC clearing of an interval with its certificate checked, and its record. */
async function clearIntervalDc(
  inputs: ClearingInputs,
): Promise<
  { ok: true; result: ClearingResult; record: ClearingRecordFields } | { ok: false; reason: string }
> {
  let result: NetworkClearingResult;
  try {
    result = await clearNetwork(inputs.network, inputs.engineOrders);
  } catch (e) {
    return { ok: false, reason: `clearing error: ${(e as Error).message}` };
  }
  if (result.status !== 'optimal')
    return { ok: false, reason: `clearing ${result.status}${result.reason ? `: ${result.reason}` : ''}` };
  const check = verifyCertificate(result.certificate);
  if (!check.ok)
    return { ok: false, reason: `certificate rejected: ${check.failures.slice(0, 2).join('; ')}` };
  const record = encodeClearingRecord(
    {
      welfare: result.welfare,
      congestionRent: result.congestionRent,
      buses: result.buses,
      branches: result.branches,
      orders: result.orders.map((o) => ({ id: o.id, cleared: o.cleared, price: o.price })),
    },
    encodeCertificateJson(result.certificate),
  );
  return { ok: true, result, record };
}

function applyClearing(
  ctx: CallContext,
  config: MarketConfig,
  inputs: ClearingInputs,
  result: ClearingResult,
  settlement: Settlement,
  record: ClearingRecordFields,
): void {
  const k = inputs.interval;
  const iv = marketKeys.interval(k);
  const cash = ctx.modules.require(CASH_ADDRESS, Erc20Module);
  const promisesNft = ctx.modules.require(PROMISES_ADDRESS, Erc721Module);
  const up = config.upstream;
  const byId = new Map(settlement.parties.map((p) => [p.id, p]));
  const priceAt = new Map<number, bigint>();
  for (const b of result.buses) priceAt.set(b.id, dollarsPerMWhToMicros(b.lmp));

  // Upstream: it owes what it bought minus what it sold, both at its bus's LMP (signed). It pays what its
  // cash covers now; the shortfall is its debt to the interval's sellers (in proportion to what they are
  // owed, shared in order id order by a running total, shareInOrder: the contracts apply the same rule
  // chunk by chunk; each paid that much less now), any rest to the rent fund (paid that much less rent).
  const upBuy = byId.get(UPSTREAM_BUY_ID)!;
  const upSell = byId.get(UPSTREAM_SELL_ID)!;
  const upOwes = upBuy.amountMicros - upSell.amountMicros;
  let upShortfall = 0n;
  if (upOwes > 0n) {
    const pay = minBig(cash.balanceOf(ctx.state, up.account), upOwes);
    if (pay > 0n) cash.transfer(ctx, up.account, MARKET_ADDRESS, pay);
    upShortfall = upOwes - pay;
  }
  const owedSellers = inputs.orders.filter(
    (o) => o.side === 'sell' && byId.get(engineOrderId(o.id))!.amountMicros > 0n,
  );
  const owedTotal = owedSellers.reduce((a, o) => a + byId.get(engineOrderId(o.id))!.amountMicros, 0n);
  const fromSellers = minBig(upShortfall, owedTotal);
  const cuts = new Map<bigint, bigint>();
  shareInOrder(
    fromSellers,
    owedSellers.map((o) => byId.get(engineOrderId(o.id))!.amountMicros),
  ).forEach((x, i) => {
    cuts.set(owedSellers[i]!.id, x);
  });
  const upDebtReason = 'the upstream account could not pay for what it bought';

  let paidIn = 0n;
  let paidOut = 0n;
  const sellers: GridTradeParty[] = [];
  const buyers: GridTradeParty[] = [];
  const engineResult = new Map(result.orders.map((r) => [r.id, r]));
  const merit = (o: StoredOrder) => clearedStepPrice(o, engineResult.get(engineOrderId(o.id))!.clearedSteps);
  const owners = new Map<bigint, Address>();
  for (const o of inputs.orders) {
    const p = byId.get(engineOrderId(o.id))!;
    const ok = marketKeys.order(o.id);
    const wh = p.energyWh;
    let release: bigint;
    let amount: bigint;
    let escrowLeft = 0n;
    if (o.side === 'buy') {
      // Pays at its bus's LMP, at most its escrow (a rounding excess is absorbed by the rent).
      amount = minBig(p.amountMicros, o.escrow);
      release = o.escrow - amount;
      paidIn += amount;
      if (wh > 0n) buyers.push({ orderId: o.id, meritPrice: merit(o), energyWh: wh, bus: o.bus });
    } else {
      amount = p.amountMicros;
      const keep = sellCollateral(config, wh);
      escrowLeft = minBig(keep, o.escrow);
      release = o.escrow - escrowLeft;
      if (amount < 0n) {
        // A negative price: the seller pays, from its released collateral.
        if (-amount > release)
          throw revertReason(`order ${o.id} owes ${-amount} at a negative price, more than its collateral`);
        release += amount;
        paidIn -= amount;
      } else {
        paidOut += amount;
        const cut = cuts.get(o.id) ?? 0n;
        release += amount - cut;
        recordDebt(ctx, {
          debtor: up.account,
          creditor: o.owner,
          amount: cut,
          interval: k,
          reason: upDebtReason,
        });
      }
      if (wh > 0n) sellers.push({ orderId: o.id, meritPrice: merit(o), energyWh: wh, bus: o.bus });
    }
    if (release > 0n) cash.transfer(ctx, MARKET_ADDRESS, o.owner, release);
    if (release < 0n) throw revertReason(`order ${o.id}: negative release`);
    owners.set(o.id, o.owner);
    ctx.write(ok.escrow, escrowLeft);
    ctx.write(ok.status, wh > 0n ? ORDER_STATUS.cleared : ORDER_STATUS.released);
    const outcome = encodeOrderOutcome({ clearedWh: wh, price: p.priceMicrosPerMWh, amount });
    if (outcome === undefined)
      throw revertReason(
        `order ${o.id}: cleared Wh, price or amount out of range (${wh}, ${p.priceMicrosPerMWh}, ${amount})`,
      );
    ctx.write(ok.outcome, outcome);
    ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.orderCleared, {
      id: o.id,
      owner: o.owner,
      energyWh: wh,
      priceMicrosPerMWh: p.priceMicrosPerMWh,
      amount,
      released: release,
    });
  }
  // Upstream: its trades as parties of the decomposition; what it is owed, netted against its debts.
  paidOut += upSell.amountMicros;
  paidIn += upBuy.amountMicros;
  if (upOwes < 0n) payNetOfDebts(ctx, MARKET_ADDRESS, up.account, -upOwes);
  if (upSell.energyWh > 0n) {
    sellers.push({
      orderId: 0n,
      meritPrice: inputs.tariff.importPriceMicrosPerMWh,
      energyWh: upSell.energyWh,
      bus: up.bus,
    });
  }
  if (upBuy.energyWh > 0n) {
    buyers.push({
      orderId: 0n,
      meritPrice: inputs.tariff.exportPriceMicrosPerMWh,
      energyWh: upBuy.energyWh,
      bus: up.bus,
    });
  }
  owners.set(0n, up.account);
  // Congestion rent: what buyers paid minus what sellers received, into the rent fund (docs/market-rules.md
  // §rent: not to the grid operator, who sets the limits that create it). A negative rent (none at an
  // optimal DC clearing; rounding favours the rent) is drawn from the fund, or fails the interval.
  // What of the upstream's shortfall the sellers could not carry is owed to the fund instead.
  const rent = paidIn - paidOut;
  const toFund = rent - (upShortfall - fromSellers);
  if (toFund > 0n) cash.transfer(ctx, MARKET_ADDRESS, RENT_FUND_ADDRESS, toFund);
  if (toFund < 0n) cash.transfer(ctx, RENT_FUND_ADDRESS, MARKET_ADDRESS, -toFund);
  recordDebt(ctx, {
    debtor: up.account,
    creditor: RENT_FUND_ADDRESS,
    amount: upShortfall - fromSellers,
    interval: k,
    reason: upDebtReason,
  });

  // Records: prices per bus, flows, congestion prices, upstream, result and certificate.
  for (const b of result.buses) {
    ctx.write(iv.lmp(b.id), encodeSigned(priceAt.get(b.id)!));
    ctx.write(iv.lmpLow(b.id), encodeSigned(rangeEnd(b.lmpLow ?? b.lmp)));
    ctx.write(iv.lmpHigh(b.id), encodeSigned(rangeEnd(b.lmpHigh ?? b.lmp)));
  }
  for (const br of result.branches) {
    ctx.write(iv.flowW(br.index), encodeSigned(mwToW(br.flowMw)));
    ctx.write(iv.muFrom(br.index), encodeSigned(dollarsPerMWhToMicros(br.muFrom)));
    ctx.write(iv.muTo(br.index), encodeSigned(dollarsPerMWhToMicros(br.muTo)));
  }
  ctx.write(iv.rent, encodeSigned(rent));
  ctx.write(iv.upSoldWh, upSell.energyWh);
  ctx.write(iv.upBoughtWh, upBuy.energyWh);
  ctx.write(iv.upReceived, encodeSigned(upSell.amountMicros));
  ctx.write(iv.upPaid, encodeSigned(upBuy.amountMicros));
  ctx.write(iv.resultHash, BigInt(record.resultHash));
  ctx.write(iv.certificateHash, BigInt(record.certificateHash));
  ctx.write(iv.clearedAtHeight, ctx.env.height);
  recordClearedNetwork(ctx, k, inputs.network, { ac: pricingOf(config) === 'ac' });
  ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.clearingRecorded, { interval: k, ...record });

  // Promises: trades that respect the grid, one ERC-721 token each, to the buyer.
  const minutes = intervalMinutes(config);
  const inService = new Map(inputs.network.branches.map((b) => [b.index, b.status !== 0]));
  const { trades } = decomposeTradesOnGrid(
    sellers,
    buyers,
    result.branches.map((b) => ({
      index: b.index,
      from: b.from,
      to: b.to,
      inService: inService.get(b.index) ?? false,
      flowWh: (b.flowMw * minutes * 1e6) / 60,
    })),
  );
  const busById = new Map(inputs.orders.map((o) => [o.id, o.bus]));
  const busOf = (id: bigint) => (id === 0n ? up.bus : busById.get(id)!);
  let next = ctx.read(marketKeys.nextPromise) || 1n;
  ctx.write(iv.firstPromise, next);
  let count = 0;
  for (const t of trades) {
    const tokenId = next++;
    count++;
    const buyer = owners.get(t.buyerOrder)!;
    const sBus = busOf(t.sellerOrder);
    const bBus = busOf(t.buyerOrder);
    promisesNft.mintInternal(
      ctx,
      buyer,
      tokenId,
      encodePromiseRecord({
        interval: k,
        seller: owners.get(t.sellerOrder)!,
        buyer,
        sellerOrder: t.sellerOrder,
        buyerOrder: t.buyerOrder,
        sellerBus: BigInt(sBus),
        buyerBus: BigInt(bBus),
        energyWh: t.energyWh,
        sellerPrice: priceAt.get(sBus)!,
        buyerPrice: priceAt.get(bBus)!,
      }),
    );
    ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.trade, {
      promiseId: tokenId,
      sellerOrder: t.sellerOrder,
      buyerOrder: t.buyerOrder,
      energyWh: t.energyWh,
    });
  }
  ctx.write(marketKeys.nextPromise, next);
  ctx.write(iv.promises, BigInt(count));

  // Settlement settles every meter registered by now, and prices the metered state on this network.
  ctx.write(iv.expectedCount, ctx.read(registryKeys.meterCount));
  ctx.write(iv.networkVersion, ctx.read(registryKeys.netVersion));
  ctx.write(iv.status, INTERVAL_STATUS.cleared);
  ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.intervalCleared, {
    interval: k,
    status: Number(INTERVAL_STATUS.cleared),
    reason: '',
    congestionRent: rent,
    promises: BigInt(count),
  });
}

/**
 * An order's merit price for the promises: the price of its marginal cleared step (a sell order's
 * highest-priced step that cleared, a buy order's lowest), so a step that does not clear (a 1-Wh step at
 * an extreme price) cannot move it. Steps that cleared less than 1e-9 MW count as not cleared.
 */
export function clearedStepPrice(o: StoredOrder, clearedMw: readonly number[]): bigint {
  let out: bigint | undefined;
  o.steps.forEach((s, k) => {
    if (!((clearedMw[k] ?? 0) > 1e-9)) return;
    const p = s.priceMicrosPerMWh;
    if (out === undefined) out = p;
    else out = o.side === 'sell' ? maxBig(out, p) : minBig(out, p);
  });
  return out ?? o.steps[0]!.priceMicrosPerMWh;
}

/** A range end in cash units per MWh; an open end is stored as ±(2^127 − 1), beyond any price. */
const OPEN_END = (1n << 127n) - 1n;
function rangeEnd(p: number): bigint {
  if (p === Number.POSITIVE_INFINITY) return OPEN_END;
  if (p === Number.NEGATIVE_INFINITY) return -OPEN_END;
  return dollarsPerMWhToMicros(p);
}

/** Reads a stored price-range end back: µ$/MWh, or null where that side of the range is open. */
export function storedRangeEnd(stored: bigint): bigint | null {
  return stored === OPEN_END || stored === -OPEN_END ? null : stored;
}
