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
export {
  ensure,
  GridledgerError,
  type GridledgerErrorOptions,
  InputError,
  InternalError,
} from './errors.ts';
export {
  RlpError,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpEncodeInt,
  rlpIntBytes,
} from './rlp.ts';
export {
  dollarsPerMWhToMicros,
  dollarsToMicros,
  floorDiv,
  formatMicros,
  MICROS_PER_USD,
  MS_PER_MINUTE,
  microsPerMWhToDollars,
  microsToDollars,
  minutesToMs,
  msToMinutes,
  mwToW,
  mwToWh,
  roundHalfAwayFromZero,
  WH_PER_MWH,
  whToMw,
  wToMw,
} from './units.ts';
