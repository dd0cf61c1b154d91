// The module calls the dashboard makes through eth_call and eth_getLogs, encoded and decoded: the token
// addresses, ERC-20/721 `balanceOf`, the market's `promiseOf` decoded into a trade row, and the event
// topics it filters logs by (Transfer, IntervalSettled).
import { MARKET_ABI } from '@gridledger/energy';
import { decodeFunctionResult, encodeEventTopics, encodeFunctionData, erc20Abi, type Hex } from 'viem';
import { microsToDollars } from './curves.ts';
import type { TradeRow } from './view.ts';

/** Addresses of the cash (ERC-20), credits (ERC-20) and promises (ERC-721) tokens. */
export interface TokenAddresses {
  cash: string;
  credits: string;
  promises: string;
}

/** The fixed token module addresses (execution package; also in addresses.json). */
export const TOKEN_ADDRESSES: Readonly<TokenAddresses> = {
  cash: '0x0000000000000000000000000000000000001001',
  credits: '0x0000000000000000000000000000000000001002',
  promises: '0x0000000000000000000000000000000000001003',
};

/** Call data of the market's `promiseOf(tokenId)`. */
export const promiseOfData = (tokenId: bigint) =>
  encodeFunctionData({ abi: MARKET_ABI, functionName: 'promiseOf', args: [tokenId] });
/** Call data of ERC-20/721 `balanceOf(address)`. */
export const balanceOfData = (address: string) =>
  encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex] });
/** topic0 of ERC-20/721 Transfer. */
export const TRANSFER_TOPIC = encodeEventTopics({ abi: erc20Abi, eventName: 'Transfer' })[0] as Hex;
/** topic0 of the market's IntervalSettled. */
export const INTERVAL_SETTLED_TOPIC = encodeEventTopics({
  abi: MARKET_ABI,
  eventName: 'IntervalSettled',
})[0] as Hex;

/** A promise's record (`promiseOf` result data) as a trade row; undefined when it does not decode. */
export function decodePromise(tokenId: string, data: unknown): TradeRow | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const p = decodeFunctionResult({ abi: MARKET_ABI, functionName: 'promiseOf', data: data as Hex });
    return {
      tokenId,
      seller: p.seller.toLowerCase(),
      buyer: p.buyer.toLowerCase(),
      sellerBus: Number(p.sellerBus),
      buyerBus: Number(p.buyerBus),
      energyWh: Number(p.energyWh),
      sellerPrice: microsToDollars(p.sellerPriceMicrosPerMWh),
      buyerPrice: microsToDollars(p.buyerPriceMicrosPerMWh),
      settled: p.settled,
      deliveredWh: Number(p.deliveredWh),
    };
  } catch {
    return undefined;
  }
}

/** A uint256 return value as a decimal string, or null when the call gave none. */
export const uintOf = (data: unknown): string | null =>
  typeof data === 'string' && /^0x[0-9a-fA-F]+$/.test(data) ? BigInt(data).toString() : null;
