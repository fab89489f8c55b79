import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { pipeChunks } from "../../src/backup/dump-file";
import { tempFolder } from "../helpers/project";

/**
 * Reading pg_dump's FIFO: what a writer puts into the pipe a few KiB at a time comes out whole and
 * in order, in full chunks from two reused buffers, none overwritten while its reader holds it.
 */

/** A FIFO with `dd` writing `data` into it 4 KiB at a time (as pg_dump writes), and its read end. */
function writerInto(data: Buffer, repeat = false) {
  const dir = tempFolder();
  const file = path.join(dir, "data");
  fs.writeFileSync(file, data);
  const fifo = path.join(dir, "fifo");
  expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
  const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(fifo, "w");
  const command = `dd if=${file} bs=4096 status=none`;
  const child = spawn("sh", ["-c", repeat ? `while ${command}; do :; done` : command], { stdio: ["ignore", writeFd, "ignore"] });
  fs.closeSync(writeFd);
  const exited = new Promise<string | number | null>((resolve) => child.on("close", (code, signal) => resolve(signal ?? code)));
  return { readFd, child, exited };
}

const pattern = (bytes: number) => {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
  return data;
};

describe.skipIf(process.platform === "win32")("pipeChunks", () => {
  it("yields the pipe's bytes whole and in order, in full chunks of two reused buffers that stay as they were while a slow reader holds them", async () => {
    const data = pattern(3 * 256 * 1024 + 12_345);
    const { readFd, exited } = writerInto(data);
    const chunkBytes = 64 * 1024;
    const received: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const chunk of pipeChunks(readFd, chunkBytes)) {
      const copy = Buffer.from(chunk);
      buffers.add(chunk.buffer);
      // Held for a while, with the writer going on: the pipe fills the other buffer meanwhile, then has to wait.
      await sleep(5);
      expect(chunk.equals(copy)).toBe(true);
      received.push(copy);
    }
    expect(await exited).toBe(0);
    expect(Buffer.concat(received).equals(data)).toBe(true);
    expect(received.slice(0, -1).every((c) => c.length === chunkBytes)).toBe(true);
    expect(received.at(-1)!.length).toBe(data.length % chunkBytes);
    expect(buffers.size).toBe(2);
  });

  it("a reader that stops early has `stopped` called, and the writer, left without a reader, ends", async () => {
    const { readFd, exited } = writerInto(pattern(200_000), true);
    let stopped = 0;
    let chunks = 0;
    for await (const chunk of pipeChunks(readFd, 64 * 1024, () => stopped++)) {
      expect(chunk.length).toBe(64 * 1024);
      if (++chunks === 3) break;
    }
    expect(stopped).toBe(1);
    // The read end is closed: the writer's next write fails (SIGPIPE), which ends its loop.
    expect(await exited).toBe(0);
  });
});
