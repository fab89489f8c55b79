import * as fsp from "node:fs/promises";
import { type OnReadOpts, Socket, type SocketConstructorOpts } from "node:net";
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

/**
 * Lent chunks (see {@link DumpChunks}) of what arrives on the pipe `fd` (a FIFO's read end, which
 * this takes over and closes), each of `chunkBytes` but the last, from two buffers allocated once.
 * The event loop reads the pipe straight into the buffer being filled, as data arrives (no thread
 * pool: a blocking read through it costs a hand-off to a thread and back for each of the few KiB
 * pg_dump writes at a time). A full buffer is handed on once the reader is done with the chunk
 * before it; until then reading stops, so the writer waits (backpressure). A reader that stops
 * early calls `stopped` (which should end the writer).
 */
export async function* pipeChunks(fd: number, chunkBytes = DUMP_CHUNK_BYTES, stopped?: () => void): AsyncGenerator<Buffer> {
  const buffers = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
  /** The buffer being filled, and how far. */
  let fill = 0;
  let filled = 0;
  /** Whether the other buffer is lent: handed on (or about to be) and not yet given back by the reader. */
  let lent = false;
  /** A full buffer waiting for the lent one to come back (reading is stopped meanwhile). */
  let waiting = false;
  let handed: Buffer | undefined;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  // Node's Socket takes `onread` (documented for the constructor) though its types list it only for connect().
  const options: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd,
    readable: true,
    writable: false,
    onread: {
      // The next read's room: the rest of the buffer being filled, or, while a full one waits, the
      // lent buffer, the next to fill (reading resumes only once it is given back).
      buffer: () => (waiting ? buffers[fill ^ 1] : buffers[fill].subarray(filled)),
      callback: (n: number) => {
        filled += n;
        if (filled < chunkBytes) return true;
        if (lent) {
          waiting = true;
          return false;
        }
        handed = buffers[fill];
        lent = true;
        fill ^= 1;
        filled = 0;
        signal();
        return true;
      },
    },
  };
  const pipe = new Socket(options);
  pipe.on("end", () => {
    ended = true;
    signal();
  });
  pipe.on("error", (error) => {
    failure = error;
    signal();
  });
  let done = false;
  try {
    for (;;) {
      while (!handed && !ended && !failure) await new Promise<void>((resolve) => (wake = resolve));
      if (failure) throw failure;
      if (handed) {
        const chunk = handed;
        handed = undefined;
        yield chunk;
        // The reader is done with the chunk: its buffer is free again.
        lent = false;
        if (waiting) {
          waiting = false;
          handed = buffers[fill];
          lent = true;
          fill ^= 1;
          filled = 0;
          pipe.resume();
        }
        continue;
      }
      // Ended, and nothing is lent (the reader asked for more): the last, partial chunk.
      if (filled > 0) yield buffers[fill].subarray(0, filled);
      done = true;
      return;
    }
  } finally {
    if (!done) stopped?.();
    pipe.destroy();
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
