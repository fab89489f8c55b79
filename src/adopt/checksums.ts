import { createHash } from "node:crypto";

/**
 * The checksums other migration tools record, computed as each tool computes them, so that a
 * file can be checked against what the tool says it applied.
 */

/**
 * Prisma Migrate's checksum of a `migration.sql`: sha256 (hex) of the file's bytes. Prisma accepts
 * a recorded checksum that matches the script as it is, with CRLF turned into LF, or LF into CRLF
 * (git changes line endings on checkout), so this returns all three.
 */
export function prismaChecksums(raw: Buffer): string[] {
  const text = raw.toString("utf8");
  const variants = [text, text.replace(/\r\n/g, "\n"), text.replace(/\r\n/g, "\n").replace(/\n/g, "\r\n")];
  return [...new Set(variants.map((v) => sha256(v)))];
}

/** Drizzle's hash of a migration: sha256 (hex) of the `.sql` file's text, as read. */
export function drizzleHash(raw: Buffer): string {
  return sha256(raw.toString("utf8"));
}

/**
 * Flyway's checksum of an SQL migration: CRC-32 over the UTF-8 bytes of each line without its line
 * ending (`\n`, `\r\n` or `\r`), a byte-order mark removed from the first line, as a signed 32-bit
 * integer. Line endings therefore do not change it.
 */
export function flywayChecksum(raw: Buffer): number {
  const text = raw.toString("utf8").replace(/^\uFEFF/, "");
  let crc = 0xffffffff;
  for (const line of splitLines(text)) crc = crc32Update(crc, Buffer.from(line, "utf8"));
  return (crc ^ 0xffffffff) | 0;
}

/** Lines as Java's `BufferedReader.readLine` returns them: a final line ending does not start an empty line. */
function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

let table: Uint32Array | undefined;

function crc32Update(crc: number, bytes: Buffer): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = crc >>> 0;
  for (const byte of bytes) c = table[(c ^ byte) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
