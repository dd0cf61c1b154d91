// The network's Ethereum chain id (EIP-155): the number every transaction signature and the meters'
// EIP-712 domain commit to, and that eth_chainId serves. Chosen once, when a network is created
// (`gridledger init`: at random unless given), and written into genesis.json; never derived from the
// chain's name, so that two development networks do not share it (a transaction signed for one would be
// valid on the other). Owns choosing and checking that number.
import { randomInt } from 'node:crypto';
import { InputError } from '@gridledger/base';

/** Smallest chain id {@link randomEthChainId} returns (below it sit most public and tool-default ids). */
const RANDOM_ETH_CHAIN_ID_MIN = 1_000_000n;
/** Largest chain id {@link randomEthChainId} returns (2^31 - 1, so it fits every wallet and tool). */
const RANDOM_ETH_CHAIN_ID_MAX = 2_147_483_647n;
/** Largest chain id accepted at all (2^53 - 1: tools keep chain ids in JavaScript numbers). */
const MAX_ETH_CHAIN_ID = 9_007_199_254_740_991n;

/**
 * A random chain id in [{@link RANDOM_ETH_CHAIN_ID_MIN}, {@link RANDOM_ETH_CHAIN_ID_MAX}] for a new
 * network (about 2^31 choices: two networks share one with odds of about 1 in 2 billion).
 * @example const id = randomEthChainId(); // e.g. 1548210937n
 */
export function randomEthChainId(): bigint {
  return BigInt(randomInt(Number(RANDOM_ETH_CHAIN_ID_MIN), Number(RANDOM_ETH_CHAIN_ID_MAX) + 1));
}

/**
 * Checks a chain id given as a decimal string or a bigint: an integer in 1..2^53-1. Throws an
 * {@link InputError} naming `where` otherwise.
 * @example parseEthChainId('7777', '--eth-chain-id') // 7777n
 */
export function parseEthChainId(value: string | bigint, where: string): bigint {
  const n = typeof value === 'bigint' ? value : /^[0-9]{1,16}$/.test(value) ? BigInt(value) : -1n;
  if (n < 1n || n > MAX_ETH_CHAIN_ID)
    throw new InputError(`${where}: expected an integer chain id in 1..${MAX_ETH_CHAIN_ID}, got "${value}"`);
  return n;
}
