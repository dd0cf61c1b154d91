// The fixed addresses of the energy modules, next to the platform's (0x…1000-0x…1003).
import type { Address } from '@gridledger/execution';

/** Grid registry: network, line limits, meters, participants and their buses. */
export const REGISTRY_ADDRESS: Address = '0x0000000000000000000000000000000000001010';
/** Market: orders with escrow, clearing at the gate, promises, settlement; holds escrowed cash. */
export const MARKET_ADDRESS: Address = '0x0000000000000000000000000000000000001011';
/** Meter readings: EIP-712 signed interval readings. */
export const METERS_ADDRESS: Address = '0x0000000000000000000000000000000000001012';
/**
 * The congestion rent fund: a cash balance no key controls. Each interval's congestion rent is paid into
 * it (not to the grid operator, who sets the line limits); its balance is public (cash balanceOf).
 */
export const RENT_FUND_ADDRESS: Address = '0x0000000000000000000000000000000000001013';
/** Upstream tariffs: the import and export prices by time of day, changed by the grid operator with notice. */
export const TARIFFS_ADDRESS: Address = '0x0000000000000000000000000000000000001014';

/** Every energy module address by name. */
export const ENERGY_ADDRESSES = {
  registry: REGISTRY_ADDRESS,
  market: MARKET_ADDRESS,
  meters: METERS_ADDRESS,
  rentFund: RENT_FUND_ADDRESS,
  tariffs: TARIFFS_ADDRESS,
} as const;
