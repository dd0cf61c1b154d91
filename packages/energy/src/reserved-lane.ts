// Which market calls ride the mempool's reserved lane (issue 17, H1): the inputs settlement depends on,
// meter readings (`submitReadings` on the meters module) and order cancellations (`cancelOrder` on the
// market), so a flood of orders or transfers cannot keep them out of the pool or the blocks.
import type { Address } from '@gridledger/execution';
import { hexToBytes, toFunctionSelector } from 'viem';
import { MARKET_ADDRESS, METERS_ADDRESS } from './addresses.ts';
import { MARKET_ABI } from './market.ts';
import { METERS_ABI } from './meters.ts';

const selectorOf = (abi: typeof MARKET_ABI | typeof METERS_ABI, name: string) => {
  const item = abi.find((x) => x.type === 'function' && x.name === name)!;
  return hexToBytes(toFunctionSelector(item as Parameters<typeof toFunctionSelector>[0]));
};
const RESERVED: { to: Address; selector: Uint8Array }[] = [
  { to: METERS_ADDRESS, selector: selectorOf(METERS_ABI, 'submitReadings') },
  { to: MARKET_ADDRESS, selector: selectorOf(MARKET_ABI, 'cancelOrder') },
];

/** True for a meter-readings submission or an order cancellation (the mempool's reserved lane). */
export function isSettlementInput(to: Address, data: Uint8Array): boolean {
  if (data.length < 4) return false;
  return RESERVED.some((r) => r.to === to && r.selector.every((b, i) => data[i] === b));
}
