// Turning the genesis document into consensus values: the validator set (genesis order is the canonical
// order, so a validator's index is its position in genesis.json), the genesis time and the Ethereum
// chain id.
import { fromHex } from '@gridledger/base';
import type { ValidatorSet } from '@gridledger/consensus';
import type { Genesis } from './home.ts';

/** The validator set of a genesis document. */
export function genesisValidatorSet(genesis: Genesis): ValidatorSet {
  return {
    validators: genesis.validators.map((v) => ({ publicKey: fromHex(v.publicKey), power: BigInt(v.power) })),
  };
}

/** The network's Ethereum chain id (EIP-155, eth_chainId), as chosen at `gridledger init`. */
export function genesisEthChainId(genesis: Genesis): bigint {
  return BigInt(genesis.ethChainId);
}

/** Genesis time in milliseconds since the Unix epoch. */
export function genesisTimeMs(genesis: Genesis): bigint {
  return BigInt(Date.parse(genesis.genesisTime));
}
