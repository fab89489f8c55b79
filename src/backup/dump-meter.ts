import { createHash } from "node:crypto";

/**
 * Counts a dump's bytes and its sha256 as its chunks go by, so a store learns both without reading
 * the dump twice or holding it in memory. Chunks may be lent (see {@link DumpChunks}): the meter
 * reads each one at once and keeps nothing of it.
 */
export class DumpMeter {
  /** Bytes seen so far. */
  bytes = 0;
  private readonly hash = createHash("sha256");

  /** `onBytes` is called with the running total after each chunk. */
  constructor(private readonly onBytes?: (bytes: number) => void) {}

  /** Counts and hashes `chunk`. */
  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.onBytes?.(this.bytes);
  }

  /** Yields `chunks` as they are, each counted and hashed on its way. */
  async *through(chunks: DumpChunks): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      this.add(chunk);
      yield chunk;
    }
  }

  /** The sha256 of everything seen, in hex. Call once, after the last chunk. */
  sha256(): string {
    return this.hash.digest("hex");
  }
}

/** Yields `chunks` as they are, calling `onBytes` with the running total after each (for progress; no hashing). */
export async function* countBytes(chunks: DumpChunks, onBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    onBytes(bytes);
    yield chunk;
  }
}

/**
 * A dump as the stores read it: its chunks in order. A chunk may be *lent* — a view of a buffer its
 * producer fills again for the next chunk — so a reader uses (or copies) each chunk before asking
 * for the next and never keeps one. A `Readable` of Buffers is one (its chunks are simply never
 * reused). Lending is what keeps a backup's memory flat: no chunk is allocated per read, so nothing
 * is left for the garbage collector, however large the dump.
 */
export type DumpChunks = AsyncIterable<Buffer>;

/**
 * A stored dump as a store opens it: its chunks (which may be lent, see {@link DumpChunks}), and
 * `destroy` to let go of what it holds when it is not read to its end. A `Readable` is one.
 */
export interface DumpReader extends DumpChunks {
  destroy(): void;
}
