import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Client } from "pg";
import { initdbPasswordFile, startEmbedded } from "../../src/local/embedded";
import { embeddedDataDir, tempFolder } from "../helpers/project";

const dir = tempFolder({}, "dbpipe-embedded-");

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

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

  it("keeps the server for the users that remain when the one that started it leaves; the last one stops it", async () => {
    const starter = await startEmbedded({ dataDir: dir });
    const attached = await startEmbedded({ dataDir: dir, database: "crm" });
    expect([starter.started, attached.started]).toEqual([true, false]);
    await starter.stop();
    expect(await query(attached.url, "SELECT 1 AS ok")).toEqual([{ ok: 1 }]);
    await attached.stop();
    await expect(query(attached.url, "SELECT 1")).rejects.toThrow();
    expect(fs.existsSync(path.join(starter.dataDir, "postmaster.pid"))).toBe(false);
    expect(fs.readdirSync(path.join(dir, "users"))).toEqual([]);
  });

  it("breaks a start lock and ignores users left behind by processes that are gone", async () => {
    const gone = deadPid();
    fs.writeFileSync(path.join(dir, "start.lock"), `${gone} abc\n`);
    fs.writeFileSync(path.join(dir, "users", `${gone}-abcd`), `${gone}\n`);
    const server = await startEmbedded({ dataDir: dir, lockWaitMs: 5_000 });
    expect(server.started).toBe(true);
    await server.stop();
    await expect(query(server.url, "SELECT 1")).rejects.toThrow();
    expect(fs.readdirSync(path.join(dir, "users"))).toEqual([]);
    expect(fs.existsSync(path.join(dir, "start.lock"))).toBe(false);
  });

  it("waits for a live holder of the start lock, and says who holds it when it gives up", async () => {
    fs.writeFileSync(path.join(dir, "start.lock"), `${process.pid} held-by-this-test\n`);
    try {
      await expect(startEmbedded({ dataDir: dir, lockWaitMs: 300 })).rejects.toThrow(`is being started or stopped by another process (pid ${process.pid})`);
    } finally {
      fs.rmSync(path.join(dir, "start.lock"));
    }
  });

  it("initialises a fresh folder once when two start at the same moment", async () => {
    const fresh = tempFolder({}, "dbpipe-embedded-fresh-");
    const [a, b] = await Promise.all([startEmbedded({ dataDir: fresh, database: "crm" }), startEmbedded({ dataDir: fresh, database: "crm" })]);
    try {
      expect([a.started, b.started].sort()).toEqual([false, true]);
      expect(a.port).toBe(b.port);
      expect(await query(b.url, "SELECT current_database() AS db")).toEqual([{ db: "crm" }]);
    } finally {
      await a.stop();
      await b.stop();
    }
    await expect(query(a.url, "SELECT 1")).rejects.toThrow();
  });

  it("keeps the generated password private to the owner", () => {
    const mode = fs.statSync(path.join(dir, "password")).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it("hands initdb the password in a file beside the data that only the server's user can read, never in the temp folder, and removes it", async () => {
    const project = tempFolder({}, "dbpipe-embedded-pw-");
    const tmp = tempFolder({}, "dbpipe-embedded-tmp-");
    // Every file that exists at some moment of the first start: initdb's password file, and anything in TMPDIR.
    const seen = new Map<string, { mode: number; uid: number }>();
    const look = () => {
      for (const file of [initdbPasswordFile(embeddedDataDir(project)), ...fs.readdirSync(tmp).map((f) => path.join(tmp, f))]) {
        try {
          const stat = fs.statSync(file);
          seen.set(file, { mode: stat.mode & 0o777, uid: stat.uid });
        } catch {
          // not there (yet, or any more)
        }
      }
    };
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const poll = setInterval(look, 1);
    let server: Awaited<ReturnType<typeof startEmbedded>>;
    try {
      server = await startEmbedded({ dataDir: path.join(project, ".dbpipe/dev") });
    } finally {
      clearInterval(poll);
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    try {
      expect(server.started).toBe(true);
      const pwfile = initdbPasswordFile(server.dataDir);
      const serverUid = process.getuid!() === 0 ? Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout) : process.getuid!();
      expect(Object.fromEntries(seen)).toEqual({ [pwfile]: { mode: 0o600, uid: serverUid } });
      expect(fs.existsSync(pwfile)).toBe(false);
      expect(fs.readdirSync(tmp)).toEqual([]);
      expect(await query(server.url, "SELECT current_user AS who")).toEqual([{ who: "postgres" }]);
    } finally {
      await server.stop();
    }
  });

  it("leaves the exit code of a process that used it alone (a test run with failures, a refused CLI run exits non-zero)", () => {
    const script = `
      const { startEmbedded } = require(${JSON.stringify(path.resolve("src/local/embedded.ts"))});
      startEmbedded({ dataDir: ${JSON.stringify(dir)} }).then(async (server) => { await server.stop(); process.exitCode = 7; });
    `;
    const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).not.toMatch(/TypeError|done is not a function/);
    expect(child.status).toBe(7);
  });
});
