// Sealed bids (commit-reveal; docs/market-rules.md §6b), on a market configured with `sealed`. Before an
// interval's gate a participant commits keccak256(abi.encode(owner, interval, bus, side, steps, salt))
// with a cash deposit; from the gate until the reveal window closes (config.ts clearingMs) it reveals
// the order and salt, and the revealed order enters the book exactly as placeOrder would place it (same
// checks, escrow taken from the deposit, the rest refunded). The block that closes the reveal window
// forfeits a configured share of every unrevealed commitment's deposit to the grid operator (the rest
// goes back) and then clears the revealed book (extension.ts). Owns the commitment handlers and views,
// the commitment hash and the forfeit step; the keys are in market-keys.ts, the ABI in sealed-abi.ts.
import {
  type AbiHandler,
  type Address,
  addressToValue,
  CASH_ADDRESS,
  CallContext,
  Erc20Module,
  GasMeter,
  hasRole,
  type JournaledState,
  type Log,
  type ModuleRegistry,
  prepareEvent,
  revertReason,
  valueToAddress,
} from '@gridledger/execution';
import { encodeAbiParameters, type Hex, keccak256, parseAbi, parseAbiParameters, toHex } from 'viem';
import { MARKET_ADDRESS } from './addresses.ts';
import { BPS, clearingMs, gateMs, type MarketConfig, marketTimeMs } from './config.ts';
import { COMMIT_STATUS, marketKeys } from './market-keys.ts';
import { SEALED_ORDER_SIGNATURES } from './sealed-abi.ts';

const SEALED_ABI = parseAbi([
  'struct Step { uint64 energyWh; uint64 priceMicrosPerMWh; }',
  ...SEALED_ORDER_SIGNATURES,
]);
const EVENTS = {
  committed: prepareEvent(SEALED_ABI, 'OrderCommitted'),
  revealed: prepareEvent(SEALED_ABI, 'OrderRevealed'),
  cancelled: prepareEvent(SEALED_ABI, 'CommitmentCancelled'),
  forfeited: prepareEvent(SEALED_ABI, 'CommitmentForfeited'),
};

/** One order step as committed and revealed. */
export interface SealedStep {
  energyWh: bigint;
  priceMicrosPerMWh: bigint;
}

/** What a commitment binds: the owner and interval, the order, and a secret 32-byte salt. */
export interface SealedOrder {
  owner: Address;
  interval: bigint;
  bus: bigint;
  /** 0 buy, 1 sell. */
  side: number;
  steps: readonly SealedStep[];
  salt: Hex;
}

const COMMIT_PARAMS = parseAbiParameters(
  'address owner, uint64 interval, uint256 bus, uint8 side, (uint64 energyWh, uint64 priceMicrosPerMWh)[] steps, bytes32 salt',
);

/**
 * The commitment of an order: keccak256(abi.encode(owner, interval, bus, side, steps, salt)). The owner
 * is inside, so nobody can commit another's hash and reveal the other's order as its own.
 * @example commitmentHash({ owner, interval: 42n, bus: 2n, side: 0, steps: [{ energyWh: 1000n, priceMicrosPerMWh: 40_000_000n }], salt })
 */
export function commitmentHash(o: SealedOrder): Hex {
  return keccak256(
    encodeAbiParameters(COMMIT_PARAMS, [
      o.owner,
      o.interval,
      o.bus,
      o.side,
      o.steps.map((s) => ({ energyWh: s.energyWh, priceMicrosPerMWh: s.priceMicrosPerMWh })),
      o.salt,
    ]),
  );
}

/** Status names of commitments, by status value. */
export const COMMIT_STATUS_NAME: Record<string, 'committed' | 'revealed' | 'cancelled' | 'forfeited'> = {
  [String(COMMIT_STATUS.committed)]: 'committed',
  [String(COMMIT_STATUS.revealed)]: 'revealed',
  [String(COMMIT_STATUS.cancelled)]: 'cancelled',
  [String(COMMIT_STATUS.forfeited)]: 'forfeited',
};

/** A commitment as stored. */
export interface StoredCommitment {
  id: bigint;
  owner: Address;
  interval: bigint;
  hash: Hex;
  /** Cash the market still holds for it. */
  deposit: bigint;
  /** The deposit as committed. */
  committedDeposit: bigint;
  status: bigint;
  /** The order its reveal placed (0 until revealed). */
  order: bigint;
}

/** Unmetered reads of the commitments. */
export const sealedView = {
  commitment(s: { get(key: string): bigint }, id: bigint): StoredCommitment | undefined {
    const c = marketKeys.commit(id);
    const owner = s.get(c.owner);
    if (owner === 0n) return undefined;
    return {
      id,
      owner: valueToAddress(owner),
      interval: s.get(c.interval),
      hash: toHex(s.get(c.hash), { size: 32 }),
      deposit: s.get(c.deposit),
      committedDeposit: s.get(c.committed),
      status: s.get(c.status),
      order: s.get(c.order),
    };
  },
  /** Every commitment of interval `k` (any status), by id. */
  commitmentsOf(s: { get(key: string): bigint }, k: bigint): StoredCommitment[] {
    const iv = marketKeys.interval(k);
    const n = s.get(iv.commits);
    const out: StoredCommitment[] = [];
    for (let i = 0n; i < n; i++) {
      const c = sealedView.commitment(s, s.get(iv.commitAt(i)));
      if (c !== undefined) out.push(c);
    }
    return out;
  },
};

/** Places a revealed order as placeOrder would (every check of market.ts), and returns its id. */
export type PlaceRevealed = (ctx: CallContext, args: readonly unknown[]) => bigint;

/**
 * The sealed-bid handlers of the market module. `place` enters a revealed order into the book (the
 * market's placeOrder without its gate check, escrow taken from the sender's cash), `escrowOf` is the
 * escrow an order needs (market.ts: buyEscrow / sellCollateral).
 */
export function sealedOrderHandlers(
  config: MarketConfig,
  place: PlaceRevealed,
  escrowOf: (side: number, steps: readonly SealedStep[]) => bigint,
): Record<string, AbiHandler> {
  const cashOf = (ctx: CallContext) => ctx.modules.require(CASH_ADDRESS, Erc20Module);
  const requireSealed = () => {
    if (config.sealed === undefined)
      throw revertReason('market: this market has no sealed bids; place orders with placeOrder');
  };
  const commitOf = (ctx: CallContext, id: bigint) => {
    const c = marketKeys.commit(id);
    const owner = ctx.read(c.owner);
    if (owner === 0n) throw revertReason(`market: unknown commitment ${id}`);
    if (valueToAddress(owner) !== ctx.sender)
      throw revertReason(`market: commitment ${id} is not ${ctx.sender}'s`);
    const status = ctx.read(c.status);
    if (status !== COMMIT_STATUS.committed) {
      throw revertReason(
        `market: commitment ${id} is ${COMMIT_STATUS_NAME[String(status)] ?? 'unknown'}, not committed`,
      );
    }
    return { keys: c, interval: ctx.read(c.interval), deposit: ctx.read(c.deposit) };
  };
  return {
    commitOrder: (ctx, [interval, commitment, deposit]) => {
      requireSealed();
      const k = interval as bigint;
      const who = ctx.sender;
      const dep = deposit as bigint;
      if (!hasRole(ctx, 'PARTICIPANT_ROLE', who)) throw revertReason(`market: ${who} lacks PARTICIPANT_ROLE`);
      if (k < config.firstInterval) {
        throw revertReason(
          `market: interval ${k} is before the market's first interval ${config.firstInterval}`,
        );
      }
      const now = marketTimeMs(config, ctx.env.timeMs);
      if (now >= gateMs(config, k) || k < ctx.read(marketKeys.clearNext)) {
        throw revertReason(
          `market: gate of interval ${k} closed at ${gateMs(config, k)} ms, market time is ${now}; commitments are taken before the gate`,
        );
      }
      const hash = BigInt(commitment as Hex);
      if (hash === 0n) throw revertReason('market: the commitment must not be zero');
      if (ctx.read(marketKeys.commitByHash(who, hash)) !== 0n)
        throw revertReason(`market: ${who} already made commitment ${commitment as Hex}`);
      if (dep <= 0n) throw revertReason('market: a commitment needs a deposit > 0');
      const iv = marketKeys.interval(k);
      const live = ctx.read(iv.commitsOf(who));
      if (live >= BigInt(config.maxOrdersPerAccount)) {
        throw revertReason(
          `market: ${who} already has ${live} commitments in interval ${k} (limit ${config.maxOrdersPerAccount})`,
        );
      }
      const cash = cashOf(ctx);
      const balance = cash.balanceOf(ctx.state, who);
      if (balance < dep)
        throw revertReason(`market: deposit of ${dep} exceeds the cash balance ${balance} of ${who}`);
      cash.transfer(ctx, who, MARKET_ADDRESS, dep);
      const id = ctx.read(marketKeys.nextCommit) || 1n;
      ctx.write(marketKeys.nextCommit, id + 1n);
      const c = marketKeys.commit(id);
      ctx.write(c.owner, addressToValue(who));
      ctx.write(c.interval, k);
      ctx.write(c.hash, hash);
      ctx.write(c.deposit, dep);
      ctx.write(c.committed, dep);
      ctx.write(c.status, COMMIT_STATUS.committed);
      ctx.write(marketKeys.commitByHash(who, hash), id);
      const slot = ctx.read(iv.commits);
      ctx.write(iv.commitAt(slot), id);
      ctx.write(iv.commits, slot + 1n);
      ctx.write(iv.commitsOf(who), live + 1n);
      ctx.emit(MARKET_ADDRESS, EVENTS.committed, { id, owner: who, interval: k, commitment, deposit: dep });
      return [id];
    },
    revealOrder: (ctx, [commitId, bus, side, steps, salt]) => {
      requireSealed();
      const id = commitId as bigint;
      const c = commitOf(ctx, id);
      const k = c.interval;
      const now = marketTimeMs(config, ctx.env.timeMs);
      const opens = gateMs(config, k);
      const closes = clearingMs(config, k);
      if (now < opens) {
        throw revertReason(
          `market: the reveal window of interval ${k} opens at its gate (${opens} ms); market time is ${now}`,
        );
      }
      if (now >= closes) {
        throw revertReason(
          `market: the reveal window of interval ${k} closed at ${closes} ms; market time is ${now}`,
        );
      }
      const order = steps as readonly SealedStep[];
      const expected = commitmentHash({
        owner: ctx.sender,
        interval: k,
        bus: bus as bigint,
        side: side as number,
        steps: order,
        salt: salt as Hex,
      });
      if (BigInt(expected) !== ctx.read(c.keys.hash))
        throw revertReason(`market: the revealed order and salt do not match commitment ${id}`);
      if ((side as number) === 0 || (side as number) === 1) {
        const need = escrowOf(side as number, order);
        if (need > c.deposit) {
          throw revertReason(
            `market: the revealed order needs an escrow of ${need}, more than commitment ${id}'s deposit ${c.deposit}`,
          );
        }
      }
      // The deposit goes back to the owner and the order takes its escrow from there, as placeOrder does.
      cashOf(ctx).transfer(ctx, MARKET_ADDRESS, ctx.sender, c.deposit);
      ctx.write(c.keys.deposit, 0n);
      const orderId = place(ctx, [k, bus, side, steps]);
      ctx.write(c.keys.status, COMMIT_STATUS.revealed);
      ctx.write(c.keys.order, orderId);
      const escrow = escrowOf(side as number, order);
      ctx.emit(MARKET_ADDRESS, EVENTS.revealed, {
        commitId: id,
        orderId,
        owner: ctx.sender,
        refunded: c.deposit - escrow,
      });
      return [orderId];
    },
    cancelCommitment: (ctx, [commitId]) => {
      requireSealed();
      const id = commitId as bigint;
      const c = commitOf(ctx, id);
      if (marketTimeMs(config, ctx.env.timeMs) >= gateMs(config, c.interval))
        throw revertReason(`market: gate of interval ${c.interval} has closed; reveal the order instead`);
      cashOf(ctx).transfer(ctx, MARKET_ADDRESS, ctx.sender, c.deposit);
      ctx.write(c.keys.deposit, 0n);
      ctx.write(c.keys.status, COMMIT_STATUS.cancelled);
      const live = marketKeys.interval(c.interval).commitsOf(ctx.sender);
      ctx.write(live, ctx.read(live) - 1n);
      ctx.emit(MARKET_ADDRESS, EVENTS.cancelled, { id, owner: ctx.sender, released: c.deposit });
      return [];
    },
    commitment: (ctx, [commitId]) => {
      const id = commitId as bigint;
      ctx.read(marketKeys.commit(id).owner);
      const c = sealedView.commitment(ctx.state, id);
      if (c === undefined) throw revertReason(`market: unknown commitment ${id}`);
      return [
        {
          owner: c.owner,
          interval: c.interval,
          commitment: c.hash,
          deposit: c.deposit,
          status: Number(c.status),
          order: c.order,
        },
      ];
    },
    revealWindow: (_ctx, [interval]) => {
      requireSealed();
      const k = interval as bigint;
      const nz = (v: bigint) => (v < 0n ? 0n : v);
      return [nz(gateMs(config, k)), nz(clearingMs(config, k))];
    },
  };
}

/**
 * Closes interval `k`'s reveal window (begin-block, just before its clearing): every commitment still
 * unrevealed forfeits floor(deposit · forfeitBps / 10^4) to the grid operator and gets the rest back.
 * Returns the logs.
 */
export function closeReveal(
  state: JournaledState,
  modules: ModuleRegistry,
  config: MarketConfig,
  env: { height: bigint; timeMs: bigint },
  k: bigint,
): Log[] {
  const ctx = new CallContext(
    state,
    new GasMeter(1n << 62n),
    { sender: MARKET_ADDRESS, height: env.height, timeMs: env.timeMs },
    modules,
  );
  const cash = ctx.modules.require(CASH_ADDRESS, Erc20Module);
  const bps = config.sealed?.forfeitBps ?? 0n;
  for (const c of sealedView.commitmentsOf(state, k)) {
    if (c.status !== COMMIT_STATUS.committed) continue;
    const forfeited = (c.deposit * bps) / BPS;
    const released = c.deposit - forfeited;
    if (forfeited > 0n) cash.transfer(ctx, MARKET_ADDRESS, config.gridOperator, forfeited);
    if (released > 0n) cash.transfer(ctx, MARKET_ADDRESS, c.owner, released);
    const keys = marketKeys.commit(c.id);
    ctx.write(keys.deposit, 0n);
    ctx.write(keys.status, COMMIT_STATUS.forfeited);
    ctx.emit(MARKET_ADDRESS, EVENTS.forfeited, {
      id: c.id,
      owner: c.owner,
      to: config.gridOperator,
      forfeited,
      released,
    });
  }
  return ctx.logs;
}
