// Credits and promises at settlement: per seller party its net local delivery
// min(sold, max(0, exported − imported)), at most the Wh its promises hold (with AC prices a seller also
// sells the losses on the way, which no one holds a promise for), is shared among the promises it sold
// pro rata to their Wh
// (shareProRata: floors, then the largest remainders, ties to the lower token id) and minted as credits
// (ERC-20, Wh) to each promise's holder; every promise of the interval is burned (its attributes stay as
// the record). Upstream-sold promises deliver no credits (no meter on chain stands behind them).
// Liquidated damages: for each promise's undelivered Wh the seller pays the holder
// ceil(undelivered · rate / 10^6) (from its collateral, then cash, else a debt), so a promise carries value.
import { WH_PER_MWH } from '@gridledger/base';
import {
  type CallContext,
  CREDITS_ADDRESS,
  Erc20Module,
  Erc721Module,
  PROMISES_ADDRESS,
} from '@gridledger/execution';
import { MARKET_ADDRESS } from './addresses.ts';
import { type CollateralPool, chargeParty } from './collateral.ts';
import type { MarketConfig } from './config.ts';
import { MARKET_EVENTS, marketView } from './market.ts';
import { marketKeys } from './market-keys.ts';
import { promiseEnergyWh, promiseSellerOrder } from './promise-record.ts';
import { SETTLEMENT_EVENTS } from './settlement-events.ts';
import { deliveredWh, type PartyPosition } from './settlement-positions.ts';
import { shareProRata } from './trades.ts';

/**
 * Mints the credits of interval `k`, burns its promises and charges liquidated damages; returns the
 * credits minted (Wh) and the number of promises.
 */
export function settleCredits(
  ctx: CallContext,
  config: MarketConfig,
  k: bigint,
  positions: readonly PartyPosition[],
  pools: ReadonlyMap<PartyPosition, CollateralPool>,
): { creditsWh: bigint; promises: number } {
  const credits = ctx.modules.require(CREDITS_ADDRESS, Erc20Module);
  const nft = ctx.modules.require(PROMISES_ADDRESS, Erc721Module);
  const partyOfOrder = new Map<bigint, PartyPosition>();
  for (const p of positions) for (const id of p.sellOrders) partyOfOrder.set(id, p);
  const promiseIds = marketView.promisesOf(ctx.state, k).sort((a, b) => (a < b ? -1 : 1));
  const byParty = new Map<PartyPosition | undefined, bigint[]>();
  for (const id of promiseIds) {
    const p = partyOfOrder.get(promiseSellerOrder(ctx.state, id));
    let list = byParty.get(p);
    if (list === undefined) byParty.set(p, (list = []));
    list.push(id);
  }
  const rate = config.imbalance.liquidatedDamagesMicrosPerMWh;
  let creditsWh = 0n;
  for (const [party, ids] of byParty) {
    const promised = ids.map((id) => promiseEnergyWh(ctx.state, id));
    // With AC prices a seller sells the losses on the way too, which no promise holds: credits never
    // exceed the promises (Σ promised <= sold; equal in DC).
    const total = promised.reduce((a, b) => a + b, 0n);
    const delivered = party === undefined ? 0n : deliveredWh(party);
    const shares = shareProRata(delivered < total ? delivered : total, promised);
    ids.forEach((id, i) => {
      const holder = nft.ownerOf(ctx.state, id);
      const wh = shares[i]!;
      if (wh > 0n) credits.mintInternal(ctx, holder, wh);
      creditsWh += wh;
      nft.burnInternal(ctx, id);
      ctx.write(marketKeys.promise(id).settled, 1n);
      ctx.write(marketKeys.promise(id).deliveredWh, wh);
      ctx.emit(MARKET_ADDRESS, MARKET_EVENTS.promiseSettled, { promiseId: id, holder, deliveredWh: wh });
      const undelivered = promised[i]! - wh;
      if (party === undefined || undelivered <= 0n || rate === 0n || holder === party.owner) return;
      const amount = (undelivered * rate + WH_PER_MWH - 1n) / WH_PER_MWH;
      chargeParty(ctx, {
        payer: party.owner,
        payee: holder,
        amount,
        pool: pools.get(party)!,
        interval: k,
        reason: `liquidated damages for promise ${id}`,
      });
      ctx.emit(MARKET_ADDRESS, SETTLEMENT_EVENTS.damages, {
        promiseId: id,
        seller: party.owner,
        holder,
        undeliveredWh: undelivered,
        amount,
      });
    });
  }
  return { creditsWh, promises: promiseIds.length };
}
