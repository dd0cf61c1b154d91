// The platform's module set and its genesis state: the admin, registered accounts with roles, and
// initial cash balances. Applying the same genesis always gives the same state and root.
import { ACCOUNTS_ADDRESS, CASH_ADDRESS, CREDITS_ADDRESS, PROMISES_ADDRESS } from './addresses.ts';
import { GasMeter } from './gas.ts';
import { type Address, CallContext, ModuleRegistry } from './module.ts';
import { AccountsModule, applyAccountsGenesis, type RoleName } from './modules/accounts.ts';
import { Erc20Module } from './modules/erc20.ts';
import { Erc721Module } from './modules/erc721.ts';
import type { JournaledState } from './state.ts';

/** The application's genesis state. */
export interface ExecutionGenesis {
  /** The admin of the accounts module (registered automatically). */
  admin: Address;
  /** Registered accounts and their roles. */
  accounts: { address: Address; roles: RoleName[] }[];
  /** Initial cash balances, in the cash token's smallest unit. */
  cash: { address: Address; amount: bigint }[];
  /** Energy promises (ERC-721) minted at genesis, e.g. for development networks (default none). */
  promises?: { to: Address; tokenId: bigint }[];
}

/** Cash decimals: balances are in micro-units (1 cash = 10^6). */
export const CASH_DECIMALS = 6;

/**
 * The built-in modules at their fixed addresses.
 * @example const modules = createPlatformModules(); modules.get(CASH_ADDRESS)
 */
export function createPlatformModules(): ModuleRegistry {
  return new ModuleRegistry()
    .add(new AccountsModule())
    .add(
      new Erc20Module({
        id: 'cash',
        address: CASH_ADDRESS,
        name: 'Gridledger Cash',
        symbol: 'GCASH',
        decimals: CASH_DECIMALS,
        issuerRole: 'CASH_ISSUER_ROLE',
      }),
    )
    .add(
      new Erc20Module({
        id: 'credits',
        address: CREDITS_ADDRESS,
        name: 'Energy Credit (Wh)',
        symbol: 'EWH',
        decimals: 0,
      }),
    )
    .add(
      new Erc721Module({
        id: 'promises',
        address: PROMISES_ADDRESS,
        name: 'Energy Promise',
        symbol: 'PROMISE',
      }),
    );
}

/** Writes `genesis` into `state` through the modules (so cash mints follow ERC-20 rules). */
export function applyGenesis(
  state: JournaledState,
  modules: ModuleRegistry,
  genesis: ExecutionGenesis,
): void {
  applyAccountsGenesis(state, { admin: genesis.admin, accounts: genesis.accounts });
  const ctx = new CallContext(
    state,
    new GasMeter(1n << 62n),
    { sender: ACCOUNTS_ADDRESS, height: 0n, timeMs: 0n },
    modules,
  );
  const cash = modules.require(CASH_ADDRESS, Erc20Module);
  for (const { address, amount } of genesis.cash)
    cash.mintInternal(ctx, address.toLowerCase() as Address, amount);
  const promises = modules.require(PROMISES_ADDRESS, Erc721Module);
  for (const { to, tokenId } of genesis.promises ?? [])
    promises.mintInternal(ctx, to.toLowerCase() as Address, tokenId);
}
