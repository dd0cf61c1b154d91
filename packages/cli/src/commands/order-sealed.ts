// Sealed orders from the command line (docs/market-rules.md §6b, §11): `order place` on a market with
// sealed bids commits keccak256(order, salt) with a deposit before the gate, keeps the order and its salt
// in the CLI's state (`.gridledger/sealed-orders.json`, or --state-dir), waits for the gate and reveals;
// `order reveal <commitment>` reveals a stored commitment by hand (after `order place --no-reveal`, or
// when a run was interrupted). Progress goes to stderr; the result to stdout.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@gridledger/base';
import {
  buyEscrow,
  clearingMs,
  commitmentHash,
  decodeMarketConfigJson,
  gateMs,
  MARKET_ABI,
  type MarketConfig,
  sellCollateral,
} from '@gridledger/energy';
import { bytesToHex, type Hex, parseEventLogs } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import { type ChainConnection, rejected, sendCall } from '../chain-client.ts';
import { log } from '../output.ts';

/** Where the CLI keeps sealed orders' salts (relative to the working directory). */
export const DEFAULT_STATE_DIR = '.gridledger';
const FILE = 'sealed-orders.json';

type Step = { energyWh: bigint; priceMicrosPerMWh: bigint };

/** One stored sealed order: enough to reveal it. Integers as decimal strings. */
interface StoredSealed {
  chainId: number;
  owner: string;
  interval: string;
  bus: string;
  side: 0 | 1;
  steps: { energyWh: string; priceMicrosPerMWh: string }[];
  salt: Hex;
  commitment: Hex;
  deposit: string;
  /** Commitment id once the commitment is in a block. */
  commitId?: string;
  /** Order id once revealed. */
  orderId?: string;
}

const storePath = (dir: string) => join(dir, FILE);

function readStore(dir: string): StoredSealed[] {
  const path = storePath(dir);
  if (!existsSync(path)) return [];
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { orders?: StoredSealed[] };
    if (!Array.isArray(v.orders)) throw new Error('no "orders" array');
    return v.orders;
  } catch (err) {
    throw new InputError(`${path}: not a sealed-orders file (${(err as Error).message})`, {
      details: 'move it away or pass another --state-dir',
    });
  }
}

function writeStore(dir: string, orders: StoredSealed[]): void {
  mkdirSync(dir, { recursive: true });
  const path = storePath(dir);
  writeFileSync(path, `${JSON.stringify({ orders }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function updateStore(dir: string, commitment: Hex, patch: Partial<StoredSealed>): void {
  writeStore(
    dir,
    readStore(dir).map((o) => (o.commitment === commitment ? { ...o, ...patch } : o)),
  );
}

/** The deposit a sealed order commits: the escrow its reveal needs (at least 1 µ$). */
function depositOf(config: MarketConfig, side: 0 | 1, steps: readonly Step[]): bigint {
  const e =
    side === 0
      ? buyEscrow(steps)
      : sellCollateral(
          config,
          steps.reduce((a, s) => a + s.energyWh, 0n),
        );
  return e > 0n ? e : 1n;
}

/** Refuses, before anything is sent, an order the reveal would refuse by the market's configuration. */
function checkAgainstConfig(config: MarketConfig, steps: readonly Step[]): void {
  const min = config.minStepWh ?? 1n;
  steps.forEach((s, j) => {
    if (s.energyWh < min)
      throw new InputError(
        `--step ${j + 1}: ${s.energyWh} Wh is below the market's minimum step of ${min} Wh`,
        { details: 'a sealed order the chain would refuse at its reveal forfeits part of its deposit' },
      );
  });
  if (steps.length > config.maxStepsPerOrder)
    throw new InputError(`expected at most ${config.maxStepsPerOrder} --step, got ${steps.length}`);
  const total = steps.reduce((a, s) => a + s.energyWh, 0n);
  if (config.maxOrderWh !== undefined && total > config.maxOrderWh)
    throw new InputError(
      `the order's ${total} Wh exceed the market's cap of ${config.maxOrderWh} Wh per order`,
    );
}

/** Waits until the chain's market time reaches `atMs` (polling gl_marketConfig), showing progress. */
async function waitForMarketTime(conn: ChainConnection, atMs: bigint, what: string): Promise<void> {
  let shown = false;
  for (;;) {
    const m = await conn.market();
    const now = BigInt(m.marketTimeMs ?? '0');
    if (now >= atMs) return;
    if (!shown) {
      log(`waiting for ${what} (market time ${atMs} ms, now ${now} ms)...`);
      shown = true;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

/** What a sealed placement or reveal printed. */
export interface SealedResult {
  commitment: { id: string; hash: Hex; deposit: string; transaction: Hex; blockNumber: string } | null;
  id: string | null;
  escrow: string | null;
  refunded: string | null;
  transaction: Hex | null;
  blockNumber: string | null;
  stateFile: string;
}

/** Reveals a stored commitment: waits for the gate, sends revealOrder, returns the order and escrow. */
async function reveal(
  conn: ChainConnection,
  account: PrivateKeyAccount,
  config: MarketConfig,
  dir: string,
  s: StoredSealed,
): Promise<Pick<SealedResult, 'id' | 'escrow' | 'refunded' | 'transaction' | 'blockNumber'>> {
  const k = BigInt(s.interval);
  const closes = clearingMs(config, k);
  await waitForMarketTime(
    conn,
    gateMs(config, k),
    `the gate of interval ${k} to reveal commitment ${s.commitId}`,
  );
  const m = await conn.market();
  if (BigInt(m.marketTimeMs ?? '0') >= closes)
    throw new InputError(
      `the reveal window of interval ${k} closed at market time ${closes} ms: commitment ${s.commitId} can no longer be revealed`,
    );
  log(`revealing commitment ${s.commitId} (window closes at market time ${closes} ms)...`);
  const out = await sendCall(conn, account, {
    to: conn.marketAddress,
    abi: MARKET_ABI,
    functionName: 'revealOrder',
    args: [
      BigInt(s.commitId!),
      BigInt(s.bus),
      s.side,
      s.steps.map((x) => ({ energyWh: BigInt(x.energyWh), priceMicrosPerMWh: BigInt(x.priceMicrosPerMWh) })),
      s.salt,
    ],
  });
  if (!out.ok) throw rejected(`reveal of commitment ${s.commitId}`, out);
  const placed = parseEventLogs({ abi: MARKET_ABI, logs: out.logs, eventName: 'OrderPlaced' })[0];
  const revealed = parseEventLogs({ abi: MARKET_ABI, logs: out.logs, eventName: 'OrderRevealed' })[0];
  const id = placed?.args.id.toString() ?? null;
  if (id !== null) updateStore(dir, s.commitment, { orderId: id });
  return {
    id,
    escrow: placed?.args.escrow.toString() ?? null,
    refunded: revealed?.args.refunded.toString() ?? null,
    transaction: out.hash,
    blockNumber: out.blockNumber.toString(),
  };
}

/**
 * `order place` on a market with sealed bids: commits (salt stored first), then unless `noReveal` waits
 * for the gate and reveals.
 */
export async function placeSealed(
  conn: ChainConnection,
  account: PrivateKeyAccount,
  order: { interval: bigint; bus: bigint; side: 0 | 1; steps: readonly Step[] },
  opts: { stateDir: string; noReveal: boolean },
): Promise<SealedResult> {
  const config = decodeMarketConfigJson((await conn.market()).config);
  checkAgainstConfig(config, order.steps);
  const owner = account.address.toLowerCase() as Hex;
  const salt = bytesToHex(randomBytes(32));
  const hash = commitmentHash({
    owner,
    interval: order.interval,
    bus: order.bus,
    side: order.side,
    steps: order.steps,
    salt,
  });
  const deposit = depositOf(config, order.side, order.steps);
  const stored: StoredSealed = {
    chainId: conn.chainId,
    owner,
    interval: order.interval.toString(),
    bus: order.bus.toString(),
    side: order.side,
    steps: order.steps.map((s) => ({
      energyWh: s.energyWh.toString(),
      priceMicrosPerMWh: s.priceMicrosPerMWh.toString(),
    })),
    salt,
    commitment: hash,
    deposit: deposit.toString(),
  };
  // The salt is on disk before the commitment is sent: without it the commitment cannot be revealed.
  writeStore(opts.stateDir, [...readStore(opts.stateDir), stored]);
  log(`committing the sealed order for interval ${order.interval} (deposit ${deposit} µ$)...`);
  const out = await sendCall(conn, account, {
    to: conn.marketAddress,
    abi: MARKET_ABI,
    functionName: 'commitOrder',
    args: [order.interval, hash, deposit],
  });
  if (!out.ok) {
    writeStore(
      opts.stateDir,
      readStore(opts.stateDir).filter((o) => o.commitment !== hash),
    );
    throw rejected(`sealed order (interval ${order.interval}, bus ${order.bus})`, out);
  }
  const ev = parseEventLogs({ abi: MARKET_ABI, logs: out.logs, eventName: 'OrderCommitted' })[0];
  const commitId = ev?.args.id.toString() ?? '';
  updateStore(opts.stateDir, hash, { commitId });
  const commitment = {
    id: commitId,
    hash,
    deposit: deposit.toString(),
    transaction: out.hash,
    blockNumber: out.blockNumber.toString(),
  };
  const stateFile = storePath(opts.stateDir);
  if (opts.noReveal) {
    log(`committed ${commitId}; reveal it after the gate with: gridledger order reveal ${commitId}`);
    return {
      commitment,
      id: null,
      escrow: null,
      refunded: null,
      transaction: null,
      blockNumber: null,
      stateFile,
    };
  }
  const r = await reveal(conn, account, config, opts.stateDir, { ...stored, commitId });
  return { commitment, ...r, stateFile };
}

/** A commitment of `owner` stored by `order place` (checked before connecting to a node). */
export type StoredCommitment = StoredSealed;

/**
 * The stored commitment `commitId` of `owner`, not yet revealed.
 * @throws InputError when the state has none (or it was revealed).
 */
export function findStored(stateDir: string, owner: string, commitId: bigint): StoredCommitment {
  const mine = readStore(stateDir).filter((o) => o.owner === owner.toLowerCase());
  const s = mine.find((o) => o.commitId === commitId.toString());
  if (s === undefined) {
    throw new InputError(
      `no stored commitment ${commitId} of ${owner.toLowerCase()} in ${storePath(stateDir)}`,
      {
        details: `only commitments made by \`gridledger order place --no-reveal\` with this --state-dir can be revealed${mine.length > 0 ? ` (stored: ${mine.map((o) => o.commitId ?? '?').join(', ')})` : ''}`,
      },
    );
  }
  if (s.orderId !== undefined)
    throw new InputError(`commitment ${commitId} was already revealed as order ${s.orderId}`);
  return s;
}

/** `order reveal <commitment>`: reveals a stored commitment (waits for the gate). */
export async function revealSealed(
  conn: ChainConnection,
  account: PrivateKeyAccount,
  s: StoredCommitment,
  stateDir: string,
): Promise<SealedResult & { interval: string; bus: string; side: 'buy' | 'sell' }> {
  if (s.chainId !== conn.chainId)
    throw new InputError(
      `commitment ${s.commitId} was made on chain ${s.chainId}, the node runs chain ${conn.chainId}`,
    );
  const config = decodeMarketConfigJson((await conn.market()).config);
  const r = await reveal(conn, account, config, stateDir, s);
  return {
    commitment: null,
    ...r,
    stateFile: storePath(stateDir),
    interval: s.interval,
    bus: s.bus,
    side: s.side === 0 ? 'buy' : 'sell',
  };
}
