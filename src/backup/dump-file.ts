import * as fsp from "node:fs/promises";
import type { Writable } from "node:stream";
import type { DumpChunks, DumpReader } from "./dump-meter";

/** How much of a dump is read or handed on at a time: every stage after a read costs something per chunk. */
export const DUMP_CHUNK_BYTES = 1024 * 1024;

/**
 * Lent chunks (see {@link DumpChunks}) of what `fill` reads into a buffer (resolving to the bytes
 * read, 0 at the end), from two buffers of `chunkBytes` allocated once: while the reader uses one
 * chunk, the next is read into the other buffer, so reading and whatever the reader does (a write,
 * an upload) overlap. A buffer is filled again only once the reader has asked for the chunk after
 * the one it held. A reader that stops early calls `stopped` (which should end the source, so the
 * read in flight ends too), then the read in flight is waited for.
 */
export async function* readAhead(fill: (buffer: Buffer) => Promise<number>, chunkBytes = DUMP_CHUNK_BYTES, stopped?: () => void): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
  let current = 0;
  let pending = fill(buffers[current]);
  let ended = false;
  try {
    for (;;) {
      const n = await pending;
      if (n === 0) {
        ended = true;
        return;
      }
      const chunk = buffers[current].subarray(0, n);
      current ^= 1;
      pending = fill(buffers[current]);
      yield chunk;
    }
  } finally {
    // A reader that stopped early (or a failed read) leaves a read in flight: end the source, and
    // let the read end before the caller closes what it reads from.
    if (!ended) stopped?.();
    await pending.catch(() => 0);
  }
}

/** Reads into `buffer` from `handle` until it is full or the file (or pipe) ends; resolves to the bytes read. */
export async function fillFrom(handle: fsp.FileHandle, buffer: Buffer): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/**
 * The file's contents as lent chunks of up to `chunkBytes` (see {@link readAhead}): two buffers,
 * filled again and again, so reading a dump of any size allocates nothing after the first.
 */
export async function* fileChunks(file: string, chunkBytes = DUMP_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const handle = await fsp.open(file, "r");
  try {
    yield* readAhead((buffer) => fillFrom(handle, buffer), chunkBytes);
  } finally {
    await handle.close();
  }
}

/**
 * The file's contents as a {@link DumpReader} of lent chunks ({@link fileChunks}): the file is
 * opened when the first chunk is asked for and closed when the reading ends or is destroyed.
 */
export function fileReader(file: string, chunkBytes = DUMP_CHUNK_BYTES): DumpReader {
  let chunks: AsyncGenerator<Buffer> | undefined;
  return {
    [Symbol.asyncIterator]: () => (chunks ??= fileChunks(file, chunkBytes)),
    destroy: () => void chunks?.return(undefined).catch(() => undefined),
  };
}

/**
 * Writes `chunks` to a new file `file` (created with `flags`, mode 0600), each chunk written whole
 * before the next is asked for, so lent chunks are safe. On failure the error is thrown; the caller
 * removes what was written.
 */
export async function writeChunksToFile(file: string, chunks: DumpChunks, flags = "wx"): Promise<void> {
  const handle = await fsp.open(file, flags, 0o600);
  try {
    for await (const chunk of chunks) {
      for (let at = 0; at < chunk.length; ) at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Writes `chunk` to `stream` and waits until the stream is done with it (its write callback), so a
 * lent chunk's buffer can be filled again. Rejects with the stream's error (a closed pipe: EPIPE).
 */
export function writeWhole(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}
