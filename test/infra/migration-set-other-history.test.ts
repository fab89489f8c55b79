import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, migratorUrl, withClient } from "../helpers/database";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "./migration-set-harness";

/**
 * The first `pulumi up` of a MigrationSet on a database that Flyway migrated, driven over gRPC
 * through the dynamic-provider host as the engine does, against a real PostgreSQL as the migrator
 * role: Create refuses, applying nothing, in the CLI's words and with how to run `dbpipe adopt` on
 * that database; done as said, the next Create applies nothing twice.
 */

const URN = migrationSetUrn("dev");
const PASSWORD = "Migr4tor-Pw-0ther-h1st";
const SEED = "CREATE TABLE IF NOT EXISTS settings (key text, value text);\nINSERT INTO settings VALUES ('theme', 'dark');\n";
const crc = (text: string) => zlib.crc32(Buffer.from(text.split("\n").join(""), "utf8")) | 0;

let databaseUrl: string;
let migrationsDir: string;
let clone: string;
let provider: DynamicProvider;

/** The inputs preview sends for the dev stack. */
async function preview(): Promise<Record<string, unknown>> {
  const registered = await registerMigrationSet("dev", { databaseUrl, migrationsDir, layout: "flyway" });
  const { inputs, failures } = await provider.check(URN, {}, registered.inputs);
  expect(failures).toEqual([]);
  return inputs;
}

/** The gRPC error's message (what Pulumi shows). */
async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as { details?: string }).details ?? String(error);
  }
  throw new Error("expected the call to fail");
}

async function seedRows(): Promise<number> {
  return withClient(databaseUrl, async (c) => Number((await c.query("SELECT count(*) AS n FROM settings")).rows[0].n));
}

beforeAll(async () => {
  databaseUrl = await migratorUrl(await freshDatabase("msother"), PASSWORD);
  migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-msother-"));
  fs.writeFileSync(path.join(migrationsDir, "V1__seed.sql"), SEED);
  await withClient(databaseUrl, async (c) => {
    await c.query(SEED);
    await c.query(`CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,
      script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL)`);
    await c.query(
      `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (1, '1', 'seed', 'SQL', 'V1__seed.sql', $1, 'deploy', 7, true)`,
      [crc(SEED)],
    );
  });
  clone = cloneProject();
  provider = await DynamicProvider.start(clone);
});

afterAll(async () => {
  await provider?.stop();
  for (const dir of [clone, migrationsDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("a MigrationSet's first pulumi up on a database Flyway migrated", () => {
  it("Create refuses before anything runs, naming Flyway's table, with dbpipe adopt and how to run it on that database", async () => {
    const message = await failure(provider.create(URN, await preview()));
    expect(message).toContain(
      "this database has Flyway's migration history (public.flyway_schema_history) but no dbpipe history (dbpipe.schema_migrations is missing or empty): " +
        "`up` would run every migration, those Flyway applied included. To take over Flyway's history, run `dbpipe adopt`",
    );
    expect(message).toContain("If that table is stale and every migration should run here, run `dbpipe up --ignore-other-history`.\nNothing was applied.");
    expect(message).toContain(`Run that dbpipe command from this project's folder, on the database pulumi up migrates: add --stack dev --database-url "$(pulumi stack output migrationUrl --show-secrets --stack dev)"`);
    expect(message).not.toContain(PASSWORD);
    expect(await seedRows()).toBe(1);
    expect(await withClient(databaseUrl, async (c) => (await c.query("SELECT to_regnamespace('dbpipe') IS NULL AS absent")).rows[0].absent)).toBe(true);
  });

  it("after `dbpipe adopt` as the message says, Create applies nothing and records the adopted history", async () => {
    const adopt = spawnSync(process.execPath, [path.join(clone, "bin/dbpipe.js"), "adopt", "--stack", "dev", "--dir", migrationsDir, "--database-url", databaseUrl], {
      cwd: clone,
      env: { ...process.env, NO_COLOR: "1", DATABASE_URL: "", DATABASE_URL_DIRECT: "" },
      encoding: "utf8",
    });
    expect({ status: adopt.status, stderr: adopt.stderr }).toEqual({ status: 0, stderr: "" });
    const { outputs } = await provider.create(URN, await preview());
    expect(outputs.lastApplied).toEqual([]);
    expect(outputs.head).toBe("1_seed");
    expect(Object.keys(outputs.applied as object)).toEqual(["1_seed"]);
    expect(await seedRows()).toBe(1);
  });
});
