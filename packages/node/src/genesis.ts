// Turning the genesis document into consensus values: the validator set (genesis order is the canonical
// order, so a validator's index is its position in genesis.json) and the genesis time.
import { fromHex } from '@gridledger/base';
import type { ValidatorSet } from '@gridledger/consensus';
import type { Genesis } from './home.ts';

/** The validator set of a genesis document. */
export function genesisValidatorSet(genesis: Genesis): ValidatorSet {
  return {
    validators: genesis.validators.map((v) => ({ publicKey: fromHex(v.publicKey), power: BigInt(v.power) })),
  };
}

/** Genesis time in milliseconds since the Unix epoch. */
export function genesisTimeMs(genesis: Genesis): bigint {
  return BigInt(Date.parse(genesis.genesisTime));
}
