import * as fsp from "node:fs/promises";
import type { Writable } from "node:stream";
import type { DumpChunks } from "./dump-meter";

/** How much of a dump is read or handed on at a time: every stage after a read costs something per chunk. */
export const DUMP_CHUNK_BYTES = 1024 * 1024;

/**
 * The file's contents as lent chunks of up to `chunkBytes` (see {@link DumpChunks}): one buffer,
 * filled again for each chunk, so reading a dump of any size allocates nothing after the first.
 */
export async function* fileChunks(file: string, chunkBytes = DUMP_CHUNK_BYTES): AsyncGenerator<Buffer> {
  const handle = await fsp.open(file, "r");
  try {
    const buffer = Buffer.allocUnsafeSlow(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
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
