import { withClient } from "../helpers/database";

/** Every table outside the system schemas with its exact row count: what a restore brought back. */
export async function tableCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ t: string }>("SELECT format('%I.%I', schemaname, relname) AS t FROM pg_stat_user_tables ORDER BY 1");
    const out: Record<string, number> = {};
    for (const { t } of rows) out[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    return out;
  });
}

/** `dump` with the byte at `at` flipped: a damaged copy. */
export function flippedAt(dump: Buffer, at: number): Buffer {
  const copy = Buffer.from(dump);
  copy[at] ^= 0xff;
  return copy;
}

/** The whole of an opened dump, each chunk copied as it comes (a store may lend its chunks: a buffer read into again for the next). */
export async function readDump(dump: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of dump) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
