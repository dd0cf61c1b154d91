// The fixed addresses of the built-in modules (documented in README.md). A later EVM reaches the
// same modules as precompiles at these addresses.
import type { Address } from './module.ts';

/** Accounts and permissions module (registration, roles, nonces). */
export const ACCOUNTS_ADDRESS: Address = '0x0000000000000000000000000000000000001000';
/** Cash: the settlement currency, ERC-20, minted and burned by the cash issuer. */
export const CASH_ADDRESS: Address = '0x0000000000000000000000000000000000001001';
/** Energy credits: ERC-20 in Wh, minted only by platform modules for metered delivery. */
export const CREDITS_ADDRESS: Address = '0x0000000000000000000000000000000000001002';
/** Energy promises: ERC-721, minted only by platform modules at market clearing. */
export const PROMISES_ADDRESS: Address = '0x0000000000000000000000000000000000001003';

/** Every built-in module address by name (the content of addresses.json). */
export const MODULE_ADDRESSES = {
  accounts: ACCOUNTS_ADDRESS,
  cash: CASH_ADDRESS,
  credits: CREDITS_ADDRESS,
  promises: PROMISES_ADDRESS,
} as const;
