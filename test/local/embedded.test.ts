import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Client } from "pg";
import { startEmbedded } from "../../src/local/embedded";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-embedded-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("embedded PostgreSQL", () => {
  it("keeps its data between runs, creates the database, and stops after", async () => {
    const first = await startEmbedded({ dataDir: dir, database: "crm" });
    expect(first.started).toBe(true);
    await query(first.url, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)");
    await first.stop();
    await expect(query(first.url, "SELECT 1")).rejects.toThrow();

    const second = await startEmbedded({ dataDir: dir, database: "crm" });
    try {
      expect(await query(second.url, "SELECT id FROM kept")).toEqual([{ id: 42 }]);
      expect(await query(second.url, "SHOW server_version_num")).toEqual([{ server_version_num: expect.stringMatching(/^15\d{4}$/) }]);
    } finally {
      await second.stop();
    }
  });

  it("lets a second process attach to a running server without stopping it", async () => {
    const owner = await startEmbedded({ dataDir: dir });
    try {
      const attached = await startEmbedded({ dataDir: dir, database: "other" });
      expect(attached.started).toBe(false);
      expect(attached.port).toBe(owner.port);
      await attached.stop();
      expect(await query(owner.url, "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
    } finally {
      await owner.stop();
    }
  });

  it("keeps the generated password private to the owner", () => {
    const mode = fs.statSync(path.join(dir, "password")).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});
