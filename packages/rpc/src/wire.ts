// The scalar encodings every JSON-RPC method's types are written in: Ethereum's 0x-hex DATA and
// QUANTITY, and the gl_* convention of integers as decimal strings.

/** 0x-prefixed hex: DATA (bytes, even digits) or QUANTITY (integer, no leading zeros). */
export type Hex = `0x${string}`;
/** A 20-byte address as 0x-hex (the server answers lower case). */
export type AddressHex = `0x${string}`;
/** An integer written as a decimal string ("1234", "-5"), the gl_* form of every integer. */
export type DecimalString = string;
/** An integer parameter of a gl_* method: a JSON number, a decimal string or a 0x-hex string. */
export type IntegerParameter = number | string;
/** A block parameter: a hex number or one of Ethereum's tags. */
export type BlockTag = Hex | 'latest' | 'earliest' | 'pending' | 'safe' | 'finalized';
