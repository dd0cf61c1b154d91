// @gridledger/base: bytes, units and the error base class. Owns no domain logic.

export {
  bigintToBytes,
  bytesToBigint,
  compareBytes,
  concatBytes,
  equalBytes,
  fromHex,
  toHex,
  utf8,
} from './bytes.ts';
export { ensure, GridledgerError, type GridledgerErrorOptions, InputError } from './errors.ts';
export { floorDiv, MS_PER_MINUTE, roundHalfAwayFromZero, WH_PER_MWH } from './units.ts';
