import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, migratorUrl, withClient } from "../helpers/database";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "./migration-set-harness";

/**
 * `pulumi refresh` with `dbpipe:schemaDriftOnRefresh`: the MigrationSet's Read compares the live
 * schema with the one its applied migrations give, as `dbpipe verify` does, and reports each
 * difference in its `schemaDrift` output. Driven over gRPC through the dynamic-provider host, as
 * the engine does, against a real PostgreSQL whose column is changed by hand.
 */

const URN = migrationSetUrn("dev");
const PASSWORD = "Migr4tor-Pw-dr1ft-42";

let adminUrl: string;
let databaseUrl: string;
let migrationsDir: string;
let clone: string;
let provider: DynamicProvider;

/** The inputs preview sends for the dev stack, with the stack's config `overrides`. */
async function preview(overrides: Record<string, unknown>): Promise<Record<string, unknown>> {
  const registered = await registerMigrationSet("dev", { databaseUrl, migrationsDir }, overrides);
  const { inputs, failures } = await provider.check(URN, {}, registered.inputs);
  expect(failures).toEqual([]);
  return inputs;
}

beforeAll(async () => {
  adminUrl = await freshDatabase("msdrift");
  databaseUrl = await migratorUrl(adminUrl, PASSWORD);
  migrationsDir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-msdrift-"));
  fs.writeFileSync(path.join(migrationsDir, "0001_create_customers.sql"), "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);\n");
  fs.writeFileSync(path.join(migrationsDir, "0002_add_score.sql"), "ALTER TABLE customers ADD COLUMN score integer;\n");
  clone = cloneProject();
  provider = await DynamicProvider.start(clone);
});

afterAll(async () => {
  await provider?.stop();
  for (const dir of [clone, migrationsDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("pulumi refresh of a MigrationSet", () => {
  let id: string;
  let outputs: Record<string, unknown>;
  let inputs: Record<string, unknown>;

  it("without dbpipe:schemaDriftOnRefresh reads the history only: no schemaDrift output, even with a column changed by hand", async () => {
    const plain = await preview({});
    expect(plain.settings).not.toHaveProperty("schemaDriftOnRefresh");
    ({ id, outputs } = await provider.create(URN, plain));
    await withClient(adminUrl, (c) => c.query("ALTER TABLE customers ALTER COLUMN score TYPE bigint"));
    const read = await provider.read(URN, id, outputs);
    expect(read.outputs).not.toHaveProperty("schemaDrift");
    expect(Object.keys(read.outputs.applied as object)).toEqual(["0001_create_customers", "0002_add_score"]);
    await withClient(adminUrl, (c) => c.query("ALTER TABLE customers ALTER COLUMN score TYPE integer"));
  });

  it("with it, an untouched database reads an empty schemaDrift", async () => {
    inputs = await preview({ "dbpipe:schemaDriftOnRefresh": true });
    expect(inputs.settings).toMatchObject({ schemaDriftOnRefresh: true });
    // The changed setting is an update (nothing to apply), which records it in the state.
    expect((await provider.diff(URN, id, outputs, inputs)).changes).toBe("some");
    outputs = await provider.update(URN, id, outputs, inputs);
    const read = await provider.read(URN, id, outputs);
    expect(read.outputs.schemaDrift).toEqual([]);
    outputs = read.outputs;
  });

  it("reports a column changed by hand with the migrations' type and the database's, and leaves the password out", async () => {
    await withClient(adminUrl, async (c) => {
      await c.query("ALTER TABLE customers ALTER COLUMN email TYPE varchar(200)");
      await c.query("ALTER TABLE customers ALTER COLUMN score SET DEFAULT 0");
    });
    const read = await provider.read(URN, id, outputs);
    expect(read.id).toBe(id);
    expect(read.outputs.schemaDrift).toEqual([
      "changed column public.customers.email type: text → character varying(200)",
      "changed column public.customers.score default: none → 0",
    ]);
    // The history did not drift: the rest of the state is as the last run left it.
    expect(read.outputs.applied).toEqual(outputs.applied);
    expect(read.outputs.manifestSha256).toBe(outputs.manifestSha256);
    expect(read.outputs.databaseUrl).toBe(databaseUrl);
    const rest = JSON.stringify({ ...read.outputs, databaseUrl: undefined });
    expect(rest).not.toContain(PASSWORD);
    expect(provider.stderr).not.toContain(PASSWORD);
    // pulumi up cannot undo a change made by hand: schema drift alone is no update (dbpipe verify --sql or dbpipe diff are the ways back).
    expect((await provider.diff(URN, id, read.outputs, inputs)).changes).toBe("none");
    outputs = read.outputs;
  });

  it("says why when the migrations cannot be compared, without the password: an applied file changed, or one that does not apply to an empty database", async () => {
    const read = () =>
      provider.read(URN, id, outputs).then(
        () => "no error",
        (error: { details?: string }) => error.details ?? String(error),
      );
    const changed = "ALTER TABLE customers ADD COLUMN score integer REFERENCES nowhere(id);\n";
    fs.writeFileSync(path.join(migrationsDir, "0002_add_score.sql"), changed);
    try {
      const message = await read();
      expect(message).toContain("0002_add_score.sql was changed after it was applied");
      expect(message).not.toContain(PASSWORD);
    } finally {
      fs.writeFileSync(path.join(migrationsDir, "0002_add_score.sql"), "ALTER TABLE customers ADD COLUMN score integer;\n");
    }
    // Recorded as applied (by hand, say) with its checksum, but it needs what only that database has.
    const outside = "ALTER TABLE customers ADD COLUMN region integer REFERENCES nowhere(id);\n";
    fs.writeFileSync(path.join(migrationsDir, "0003_add_region.sql"), outside);
    await withClient(adminUrl, (c) =>
      c.query("INSERT INTO dbpipe.schema_migrations (version, name, checksum, success) VALUES ('0003', 'add_region', $1, true)", [createHash("sha256").update(outside).digest("hex")]),
    );
    try {
      const message = await read();
      expect(message).toMatch(/^the migrations do not apply to an empty scratch database, so there is nothing to compare with \(the scratch database was dropped; your database was not changed\): .*nowhere/);
      // Not the advice meant for a real database ("runs again on the next dbpipe up").
      expect(message).not.toMatch(/rolled back|runs again|dbpipe repair/);
      expect(message).not.toContain(PASSWORD);
    } finally {
      await withClient(adminUrl, (c) => c.query("DELETE FROM dbpipe.schema_migrations WHERE version = '0003'"));
      fs.rmSync(path.join(migrationsDir, "0003_add_region.sql"));
    }
  });
});
