// Types of native.mjs: the native add-ons as gridledger uses them.

/** The part of the `secp256k1` package's libsecp256k1 binding gridledger uses. */
export interface NativeSecp256k1 {
  ecdsaRecover(signature: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array;
}

/** The `keccak` package's native sponge. */
export interface KeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Buffer): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Buffer;
}

/** The libsecp256k1 binding, or undefined when its prebuilt binary does not load. */
export declare const nativeSecp256k1: NativeSecp256k1 | undefined;
/** The native Keccak sponge's constructor, or undefined when its prebuilt binary does not load. */
export declare const NativeKeccak: (new () => KeccakState) | undefined;
/** Keccak-256 with the native sponge (a 32-byte view), or undefined when the binary does not load. */
export declare const nativeKeccak256: ((data: Uint8Array) => Uint8Array) | undefined;
