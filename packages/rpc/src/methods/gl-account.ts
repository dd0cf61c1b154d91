// gl_account (served when genesis enables the energy market): one account's money and holdings in the
// market over the latest committed state: cash, what the market holds for it (escrow of open buy orders,
// collateral of sell orders not yet settled), its debt and what it is owed (debts.ts), its unpaid claims,
// the promises (ERC-721) and credits (Wh) it holds. Integers are decimal strings, addresses lower case.
import { debtView, marketKeys, marketView, type StateReader } from '@gridledger/energy';
import { CASH_ADDRESS, CREDITS_ADDRESS, PROMISES_ADDRESS } from '@gridledger/execution';
import type { RpcMethodTable } from '../method.ts';
import { arity, parseAddress } from '../params.ts';
import type { RpcExecutionApp } from '../port.ts';
import type { AddressHex, DecimalString } from '../wire.ts';

/** gl_account: the account's address. */
export type GlAccountParameters = [address: AddressHex];
/** gl_account: the account's money and holdings in the market (µ$ and Wh as decimal strings). */
export interface GlAccountReturnType {
  address: AddressHex;
  cashMicros: DecimalString;
  /** Held by the market for its buy orders not yet cleared, µ$. */
  escrowMicros: DecimalString;
  /** Held by the market as collateral of its sell orders not yet settled, µ$. */
  collateralMicros: DecimalString;
  /** What it owes (in default when > 0), µ$. */
  debtMicros: DecimalString;
  /** What others owe it, µ$. */
  dueMicros: DecimalString;
  /** Its unpaid claims, oldest first. */
  claims: { creditor: AddressHex; amountMicros: DecimalString }[];
  /** Promise tokens it holds. */
  promises: DecimalString;
  /** Renewable-energy credits it holds, Wh. */
  creditsWh: DecimalString;
  /** Orders scanned for escrow and collateral (the latest MAX_ACCOUNT_ORDER_SCAN), and whether all were. */
  ordersScanned: number;
  complete: boolean;
}

/** Most orders gl_account scans (newest first) for an account's escrow and collateral. */
export const MAX_ACCOUNT_ORDER_SCAN = 200_000;

/**
 * gl_account over the latest committed state.
 * @example glAccountMethods({ app }).get('gl_account')!(['0x…'], {})
 */
export function glAccountMethods(deps: { app: Pick<RpcExecutionApp, 'stateValue'> }): RpcMethodTable {
  const s: StateReader = { get: (k) => deps.app.stateValue(k) };
  const m: RpcMethodTable = new Map();
  m.set('gl_account', async (p): Promise<GlAccountReturnType> => {
    arity(p, 1, 1, '[address]');
    const a = parseAddress(p[0], 'address').toLowerCase() as AddressHex;
    let escrow = 0n;
    let collateral = 0n;
    const last = s.get(marketKeys.nextOrder);
    const first = last - BigInt(MAX_ACCOUNT_ORDER_SCAN) > 1n ? last - BigInt(MAX_ACCOUNT_ORDER_SCAN) : 1n;
    for (let id = last - 1n; id >= first; id--) {
      const o = marketView.order(s, id);
      if (o === undefined || o.owner !== a || o.escrow === 0n) continue;
      if (o.side === 'buy') escrow += o.escrow;
      else collateral += o.escrow;
    }
    return {
      address: a,
      cashMicros: s.get(`${CASH_ADDRESS}:bal:${a}`).toString(),
      escrowMicros: escrow.toString(),
      collateralMicros: collateral.toString(),
      debtMicros: debtView.debtOf(s, a).toString(),
      dueMicros: debtView.dueTo(s, a).toString(),
      claims: debtView.claimsOf(s, a).map((c) => ({
        creditor: c.creditor.toLowerCase() as AddressHex,
        amountMicros: c.amount.toString(),
      })),
      promises: s.get(`${PROMISES_ADDRESS}:bal:${a}`).toString(),
      creditsWh: s.get(`${CREDITS_ADDRESS}:bal:${a}`).toString(),
      ordersScanned: Number(last - first),
      complete: first === 1n,
    };
  });
  return m;
}
