import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/**
 * A pass-through that counts a dump's bytes and its sha256 as they flow by, so a store learns both
 * without reading the dump twice or holding it in memory.
 */
export class DumpMeter extends Transform {
  /** Bytes seen so far. */
  bytes = 0;
  private readonly hash = createHash("sha256");

  /** `onBytes` is called with the running total after each chunk. */
  constructor(private readonly onBytes?: (bytes: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.onBytes?.(this.bytes);
    callback(null, chunk);
  }

  /** The sha256 of everything seen, in hex. Call once, after the stream ended. */
  sha256(): string {
    return this.hash.digest("hex");
  }
}
