import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { restoreDrill } from "../../src/backup/drill";
import { FolderStore } from "../../src/backup/folder-store";
import { takeBackup } from "../../src/backup/take-backup";
import { freshDatabase, withClient } from "../helpers/database";
import { REPO } from "../helpers/cli";
import { tempFolder } from "../helpers/project";

/**
 * The restore drill's scratch database: dropped when the drill is interrupted by a signal, and
 * what an earlier interrupted drill left dropped by the next one (only that: never another
 * database, never the scratch database of a drill running now).
 */

/** A database with a table of rows, backed up into a new folder store. */
async function backedUpDatabase(prefix: string): Promise<{ url: string; folder: string; db: string }> {
  const url = await freshDatabase(prefix);
  await withClient(url, (c) => c.query("CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, md5(g::text) FROM generate_series(1, 2000) g"));
  const folder = tempFolder();
  await withClient(url, (client) => takeBackup(new FolderStore(folder), { url, client, stack: "dev", head: null, pending: [] }));
  return { url, folder, db: new URL(url).pathname.slice(1) };
}

/** The databases on the server whose names start with `prefix`, sorted. */
async function databasesLike(url: string, prefix: string): Promise<string[]> {
  return withClient(url, async (c) => (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE left(datname, $1) = $2 ORDER BY 1", [prefix.length, prefix])).rows.map((r) => r.datname));
}

describe("restore --drill's scratch database", () => {
  it("drops what earlier interrupted drills of the same database left, and nothing else", async () => {
    const { url, folder, db } = await backedUpDatabase("bkdrill");
    const leftover = `${db}_drill_0badf00d`;
    const running = `${db}_drill_1234abcd`;
    const notOurs = [`${db}_drill_notes`, `${db}_drill_0badf00d0`, `${db}x_drill_deadbeef`];
    await withClient(url, async (c) => {
      for (const name of [leftover, running, ...notOurs]) await c.query(`CREATE DATABASE "${name}"`);
    });
    try {
      // A drill running now in another session holds its scratch database's lock.
      const other = await withClient(url, async (holder) => {
        await holder.query("SELECT pg_advisory_lock(hashtext('dbpipe restore --drill'), hashtext($1))", [running]);
        return withClient(url, (client) => restoreDrill(new FolderStore(folder), { url, client }));
      });
      expect(other.matches).toBe(true);
      expect(other.leftoversDropped).toEqual([leftover]);
      expect(await databasesLike(url, db)).toEqual([db, running, ...notOurs].sort());
    } finally {
      await withClient(url, async (c) => {
        for (const name of [leftover, running, ...notOurs]) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    }
  });

  it.each([
    ["SIGINT", "nothing else handles it", 130],
    ["SIGTERM", "nothing else handles it", 143],
    ["SIGINT", "the process already handles it (as the embedded server's hold does)", 7],
  ] as const)("is dropped when %s interrupts the drill (%s), which then ends as the signal would have: exit %i", { timeout: 60_000 }, async (signal, handled, code) => {
    const otherHandler = code === 7;
    const { url, folder, db } = await backedUpDatabase("bkdrillsig");
    // A drill whose dump never arrives: it waits in the restore, its scratch database made.
    const script = `
      const { FolderStore } = require("./src/backup/folder-store");
      const { restoreDrill } = require("./src/backup/drill");
      const { Client } = require("pg");
      const folder = new FolderStore(process.env.DRILL_FOLDER);
      const stalled = { async *[Symbol.asyncIterator]() { await new Promise(() => undefined); }, destroy() {} };
      const store = { url: folder.url, list: () => folder.list(), put: () => Promise.reject(new Error("no")), delete: () => Promise.reject(new Error("no")),
        open: async (id) => ({ ...(await folder.open(id)), dump: stalled }) };
      if (process.env.DRILL_OTHER_HANDLER) process.on("SIGINT", () => { console.log("the process's own handler"); process.exit(7); });
      const client = new Client({ connectionString: process.env.DRILL_URL });
      client.connect().then(() => restoreDrill(store, { url: process.env.DRILL_URL, client })).then(() => console.log("drill ended"), (e) => console.log("drill failed: " + e.message));`;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], {
      cwd: REPO,
      env: { ...process.env, DRILL_URL: url, DRILL_FOLDER: folder, DRILL_OTHER_HANDLER: otherHandler ? "1" : "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, sig) => resolve({ code, signal: sig })));
    const scratchPrefix = `${db}_drill_`;
    // Interrupted once the restore has begun: pg_restore (or the drill) is connected to the scratch database.
    for (const deadline = Date.now() + 30_000; ; ) {
      const sessions = await withClient(url, async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE left(datname, $1) = $2", [scratchPrefix.length, scratchPrefix])).rows[0].n);
      if (sessions > 0) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the drill never started its restore: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await databasesLike(url, scratchPrefix)).toHaveLength(1);
    child.kill(signal);
    const exit = await ended;
    expect(output).toBe(otherHandler ? "the process's own handler\n" : "");
    expect(exit, handled).toEqual({ code, signal: null });
    expect(await databasesLike(url, scratchPrefix)).toEqual([]);
  });
});
