// Length-prefixed framing on a byte stream: each frame is a 4-byte big-endian body length, then the body.
// A declared length above the limit (or zero) is a protocol error, so a peer cannot make us buffer
// unbounded data.
import { P2pProtocolError } from './errors.ts';

/** Default upper bound on one frame's body (4 MiB): a block with its certificate fits well below it. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Encodes one frame: 4-byte big-endian length, then the body. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, 4);
  return out;
}

/**
 * Incremental frame decoder: feed it stream chunks, get whole frame bodies back. The limit may change
 * between frames (`limit`): p2p allows 1 KiB before the handshake is done and the full size after, so
 * frames are taken one at a time with `append` and `next` when the limit depends on the previous frame.
 * @example
 * const d = new FrameDecoder(1024);
 * d.push(chunk); // -> Uint8Array[] of complete bodies
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Largest body accepted for the next frame; a larger declared length throws before it is buffered. */
  limit: number;
  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.limit = maxFrameBytes;
  }

  /** Appends a chunk and returns every frame body completed by it; throws {@link P2pProtocolError}. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const frames: Uint8Array[] = [];
    for (let f = this.next(); f !== undefined; f = this.next()) frames.push(f);
    return frames;
  }

  /** Appends a chunk of the stream (no decoding yet). */
  append(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete frame body, or undefined when it has not fully arrived. Throws
   * {@link P2pProtocolError} for an empty frame or one whose declared length is above `limit`.
   */
  next(): Uint8Array | undefined {
    if (this.buffered < 4) return undefined;
    const head = this.peek(4);
    const len = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false);
    if (len === 0) throw new P2pProtocolError('frame with an empty body');
    if (len > this.limit)
      throw new P2pProtocolError(`frame of ${len} bytes exceeds the limit of ${this.limit}`);
    if (this.buffered < 4 + len) return undefined;
    return this.take(4 + len).subarray(4);
  }

  /** Bytes received and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    this.compact();
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length < n) this.compact();
    const whole = this.chunks[0]!;
    const out = whole.slice(0, n);
    if (whole.length === n) this.chunks.shift();
    else this.chunks[0] = whole.subarray(n);
    this.buffered -= n;
    return out;
  }

  private compact(): void {
    const all = new Uint8Array(this.buffered);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c, o);
      o += c.length;
    }
    this.chunks = [all];
  }
}
