import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { AdoptRefusedError, adoptHistory } from "../../src/adopt/adopt";
import { flywayChecksum } from "../../src/adopt/checksums";
import { upMigrations } from "../../src/migrate/verbs/up";
import { readHistory } from "../../src/migrate/history";
import { freshDatabase, publicTables, withClient } from "../helpers/database";
import { engineFor, tempFolder, writeFiles } from "../helpers/project";

/**
 * Each tool's history table is created with the DDL the tool itself runs, and filled as the tool
 * fills it after applying the same SQL files; the checksums are computed here independently
 * (node's crypto and zlib), as each tool computes them.
 */

const INIT = "CREATE TABLE customers (\n  id bigint PRIMARY KEY,\n  name text NOT NULL\n);\n";
const EMAIL = "ALTER TABLE customers ADD COLUMN email text;\n";
const ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));\n";

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");
/** Flyway's CRC-32, independently: zlib's CRC over the lines without their endings, signed. */
const flywayCrc = (text: string) => {
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  return zlib.crc32(Buffer.from(lines.join(""), "utf8")) | 0;
};

/** A database that `tool` migrated with the files in `dir`, and helpers to make them disagree. */
interface Adopted {
  url: string;
  dir: string;
  /** Records, as the tool would, a migration whose file is not in `dir`. */
  recordWithoutFile(): Promise<void>;
  /** Adds a file the tool never applied. */
  addUnappliedFile(): void;
  /** Edits an applied file. */
  editAppliedFile(): void;
}

async function run(url: string, sql: string): Promise<void> {
  await withClient(url, async (c) => void (await c.query(sql)));
}

async function prismaDatabase(): Promise<Adopted> {
  const url = await freshDatabase("adopt");
  const dir = tempFolder({
    "migration_lock.toml": 'provider = "postgresql"\n',
    "20240101120000_init/migration.sql": `-- CreateTable\n${INIT}`,
    "20240102120000_add_email/migration.sql": `-- AlterTable\n${EMAIL}`,
  });
  // The table as Prisma's schema engine creates it on PostgreSQL.
  await run(
    url,
    `CREATE TABLE "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    );`,
  );
  const record = async (name: string, sql: string, finished = true) => {
    await withClient(url, (c) =>
      c.query(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, ${finished ? "now()" : "NULL"}, $3, 1)`, [
        randomUUID(),
        sha256(sql),
        name,
      ]),
    );
  };
  for (const name of ["20240101120000_init", "20240102120000_add_email"]) {
    const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
    await run(url, sql);
    await record(name, sql);
  }
  return {
    url,
    dir,
    recordWithoutFile: () => record("20240103120000_add_phone", "ALTER TABLE customers ADD COLUMN phone text;\n"),
    addUnappliedFile: () => writeFiles(dir, { "20240104120000_orders/migration.sql": ORDERS }),
    editAppliedFile: () => writeFiles(dir, { "20240102120000_add_email/migration.sql": "ALTER TABLE customers ADD COLUMN email varchar(200);\n" }),
  };
}

async function drizzleDatabase(): Promise<Adopted> {
  const url = await freshDatabase("adopt");
  const journal = (entries: { tag: string; when: number }[]) =>
    JSON.stringify({ version: "7", dialect: "postgresql", entries: entries.map((e, idx) => ({ idx, version: "7", when: e.when, tag: e.tag, breakpoints: true })) }, null, 2);
  const entries = [
    { tag: "0000_init", when: 1_700_000_000_000 },
    { tag: "0001_add_email", when: 1_700_000_100_000 },
  ];
  const dir = tempFolder({
    "0000_init.sql": INIT.replace(";\n", ";\n--> statement-breakpoint\n"),
    "0001_add_email.sql": EMAIL,
    "meta/_journal.json": journal(entries),
  });
  // As drizzle-orm's PostgreSQL migrator creates it (default migrationsSchema and migrationsTable).
  await run(url, 'CREATE SCHEMA IF NOT EXISTS "drizzle"; CREATE TABLE IF NOT EXISTS "drizzle"."__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)');
  const record = (hash: string, when: number) => withClient(url, (c) => c.query('INSERT INTO "drizzle"."__drizzle_migrations" ("hash", "created_at") VALUES ($1, $2)', [hash, when]));
  for (const e of entries) {
    const sql = fs.readFileSync(path.join(dir, `${e.tag}.sql`), "utf8");
    for (const statement of sql.split("--> statement-breakpoint")) await run(url, statement);
    await record(sha256(sql), e.when);
  }
  return {
    url,
    dir,
    recordWithoutFile: async () => void (await record(sha256("ALTER TABLE customers ADD COLUMN phone text;\n"), 1_700_000_200_000)),
    addUnappliedFile: () => {
      writeFiles(dir, { "0002_orders.sql": ORDERS, "meta/_journal.json": journal([...entries, { tag: "0002_orders", when: 1_700_000_300_000 }]) });
    },
    editAppliedFile: () => writeFiles(dir, { "0001_add_email.sql": "ALTER TABLE customers ADD COLUMN email varchar(200);\n" }),
  };
}

async function flywayDatabase(): Promise<Adopted> {
  const url = await freshDatabase("adopt");
  const dir = tempFolder({ "V1__init.sql": INIT, "V2__add_email.sql": `\uFEFF${EMAIL.replace("\n", "\r\n")}` });
  // As Flyway's PostgreSQL createMetaDataTable.sql writes it, in the default schema.
  await run(
    url,
    `CREATE TABLE "public"."flyway_schema_history" (
      "installed_rank" INT NOT NULL,
      "version" VARCHAR(50),
      "description" VARCHAR(200) NOT NULL,
      "type" VARCHAR(20) NOT NULL,
      "script" VARCHAR(1000) NOT NULL,
      "checksum" INTEGER,
      "installed_by" VARCHAR(100) NOT NULL,
      "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
      "execution_time" INTEGER NOT NULL,
      "success" BOOLEAN NOT NULL
    );
    ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
    CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");`,
  );
  let rank = 0;
  const record = (version: string, script: string, text: string) =>
    withClient(url, (c) =>
      c.query(
        `INSERT INTO "public"."flyway_schema_history" (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
         VALUES ($1, $2, $3, 'SQL', $4, $5, 'flyway_user', 12, true)`,
        [++rank, version, script.replace(/^V\d+__|\.sql$/g, "").replace(/_/g, " "), script, flywayCrc(text)],
      ),
    );
  for (const [version, script] of [
    ["1", "V1__init.sql"],
    ["2", "V2__add_email.sql"],
  ]) {
    const text = fs.readFileSync(path.join(dir, script), "utf8");
    await run(url, text.replace(/^\uFEFF/, ""));
    await record(version, script, text);
  }
  return {
    url,
    dir,
    recordWithoutFile: async () => void (await record("3", "V3__add_phone.sql", "ALTER TABLE customers ADD COLUMN phone text;\n")),
    addUnappliedFile: () => writeFiles(dir, { "V4__orders.sql": ORDERS }),
    editAppliedFile: () => writeFiles(dir, { "V2__add_email.sql": "ALTER TABLE customers ADD COLUMN email varchar(200);\n" }),
  };
}

async function alembicDatabase(): Promise<Adopted> {
  const url = await freshDatabase("adopt");
  const dir = tempFolder({ "0001_1a2b3c4d5e6f_init.sql": INIT, "0002_2b3c4d5e6f7a_add_email.sql": EMAIL });
  await run(url, INIT + EMAIL);
  // As Alembic's MigrationContext creates it: one row, the current revision.
  await run(url, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); INSERT INTO alembic_version VALUES ('2b3c4d5e6f7a')");
  return {
    url,
    dir,
    recordWithoutFile: () => run(url, "UPDATE alembic_version SET version_num = '3c4d5e6f7a8b'"),
    addUnappliedFile: () => writeFiles(dir, { "0003_4d5e6f7a8b9c_orders.sql": ORDERS }),
    editAppliedFile: () => writeFiles(dir, { "0002_2b3c4d5e6f7a_add_email.sql": "ALTER TABLE customers ADD COLUMN email varchar(200);\n" }),
  };
}

const TOOLS = { prisma: prismaDatabase, drizzle: drizzleDatabase, flyway: flywayDatabase, alembic: alembicDatabase } as const;

describe.each(Object.entries(TOOLS))("adopting %s's history", (tool, setup) => {
  it("records dbpipe's history to match the files, runs nothing, and leaves nothing for `up`", async () => {
    const db = await setup();
    const result = await adoptHistory(engineFor(db.dir, db.url));
    expect(result.tool).toBe(tool);
    expect(result.recorded.map((r) => r.matchedBy)).toEqual(tool === "alembic" ? ["version", "version"] : ["checksum", "checksum"]);
    const history = await withClient(db.url, readHistory);
    expect(history.map((h) => [h.name, h.kind, h.success])).toEqual(result.recorded.map((r) => [r.name, "baseline", true]));
    // Nothing ran again: `up` would have failed on the existing table.
    const up = await upMigrations(engineFor(db.dir, db.url));
    expect(up.applied).toEqual([]);
    expect(up.plan.pending).toEqual([]);
  });

  it("refuses, recording nothing, when the tool applied a migration that has no file", async () => {
    const db = await setup();
    await db.recordWithoutFile();
    const error = await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdoptRefusedError);
    expect((error as AdoptRefusedError).problems.join("\n")).toMatch(tool === "alembic" ? /current revision 3c4d5e6f7a8b matches no file/ : /has no file|no file has version|no folder/);
    expect(await withClient(db.url, readHistory)).toEqual([]);
  });

  it("records the applied files and leaves a later one the tool never applied pending; `up` then applies only it", async () => {
    const db = await setup();
    db.addUnappliedFile();
    const dry = await adoptHistory(engineFor(db.dir, db.url), { dryRun: true });
    expect(dry.pending.map((p) => p.file)).toEqual([expect.stringMatching(/orders(\.sql|\/migration\.sql)$/)]);
    expect(await withClient(db.url, readHistory)).toEqual([]);

    const result = await adoptHistory(engineFor(db.dir, db.url));
    const [init, email, orders] = [/init$/, /add_email$/, /orders$/].map((name) => expect.stringMatching(name));
    expect(result.recorded.map((r) => r.name)).toEqual([init, email]);
    expect(result.pending).toEqual([{ version: expect.any(String), name: orders, file: expect.stringMatching(/orders(\.sql|\/migration\.sql)$/) }]);
    expect((await withClient(db.url, readHistory)).map((h) => [h.name, h.kind])).toEqual([
      [init, "baseline"],
      [email, "baseline"],
    ]);
    expect(await publicTables(db.url)).not.toContain("orders");

    const up = await upMigrations(engineFor(db.dir, db.url));
    expect(up.applied.map((m) => m.name)).toEqual([orders]);
    expect(await publicTables(db.url)).toContain("orders");
    expect((await withClient(db.url, readHistory)).map((h) => [h.name, h.kind, h.success])).toEqual([
      [init, "baseline", true],
      [email, "baseline", true],
      [orders, "migrate", true],
    ]);
  });

  it(tool === "alembic" ? "matches by version only, and says so, since Alembic records no checksum" : "refuses when an applied file differs from the checksum the tool recorded", async () => {
    const db = await setup();
    db.editAppliedFile();
    if (tool === "alembic") {
      const result = await adoptHistory(engineFor(db.dir, db.url));
      expect(result.notes.join("\n")).toMatch(/Alembic records no checksum.*matched by version, not by content/);
      return;
    }
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error).toBeInstanceOf(AdoptRefusedError);
    expect(error.problems).toEqual([expect.stringMatching(/add_email.*: differs from what .* applied .*checksum|hash/)]);
    expect(await withClient(db.url, readHistory)).toEqual([]);
  });
});

describe("adopt", () => {
  it("says where it looked when the database has no other tool's history, and points at baseline", async () => {
    const url = await freshDatabase("adopt");
    const dir = tempFolder({ "0001_init.sql": INIT });
    await expect(adoptHistory(engineFor(dir, url))).rejects.toThrow(
      /no other tool's history table in this database: looked for _prisma_migrations \(Prisma Migrate\), __drizzle_migrations \(Drizzle\), alembic_version \(Alembic\), flyway_schema_history \(Flyway\) in every schema.*dbpipe baseline/,
    );
  });

  it("asks which tool when the database has the tables of two", async () => {
    const db = await alembicDatabase();
    await run(db.url, 'CREATE TABLE "_prisma_migrations" (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0)');
    await expect(adoptHistory(engineFor(db.dir, db.url))).rejects.toThrow(/history tables of several tools: public\._prisma_migrations \(Prisma Migrate\), public\.alembic_version \(Alembic\)\. Say which one to adopt with --from/);
    const result = await adoptHistory(engineFor(db.dir, db.url), { from: "alembic" });
    expect(result.recorded).toHaveLength(2);
  });

  it("refuses a second adoption: dbpipe's history already exists", async () => {
    const db = await prismaDatabase();
    await adoptHistory(engineFor(db.dir, db.url));
    await expect(adoptHistory(engineFor(db.dir, db.url))).rejects.toThrow(/already records 2 migration\(s\), newest 20240102120000: this database is already adopted/);
  });

  it("says the folder is in the wrong layout when nothing matches", async () => {
    const db = await prismaDatabase();
    const flat = tempFolder({ "0001_init.sql": INIT });
    await expect(adoptHistory(engineFor(flat, db.url))).rejects.toThrow(/reads as the dbpipe layout, not Prisma Migrate's \(prisma\): is --dir the folder Prisma Migrate migrates from\?/);
  });

  it("with dryRun, writes nothing", async () => {
    const db = await flywayDatabase();
    const result = await adoptHistory(engineFor(db.dir, db.url), { dryRun: true });
    expect(result.recorded.map((r) => [r.version, r.appliedBy, r.executionMs])).toEqual([
      ["1", "flyway_user", 12],
      ["2", "flyway_user", 12],
    ]);
    expect(await withClient(db.url, readHistory)).toEqual([]);
  });

  it("refuses a migration Prisma recorded as failed", async () => {
    const db = await prismaDatabase();
    await run(db.url, "UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = '20240102120000_add_email'");
    await expect(adoptHistory(engineFor(db.dir, db.url))).rejects.toThrow(/20240102120000_add_email: Prisma recorded it as started .* never finished .*prisma migrate resolve/);
  });
});

describe("adopting a Flyway history that `flyway repair` marked as deleted", () => {
  const PHONE = "ALTER TABLE customers ADD COLUMN phone text;\n";
  /** Appends a row to Flyway's history at `rank`, as Flyway writes it. */
  const flywayRow = (url: string, rank: number, type: string, version: string, script: string, text: string) =>
    withClient(url, (c) =>
      c.query(
        `INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
         VALUES ($1, $2, 'add phone', $3, $4, $5, 'flyway_user', 3, true)`,
        [rank, version, type, script, flywayCrc(text)],
      ),
    );

  it("reads version 3 as never applied: its DELETE row cancels its earlier row, whose file is gone", async () => {
    const db = await flywayDatabase();
    await db.recordWithoutFile();
    // What repair appends for an applied migration whose file is gone: a copy of its row, type DELETE.
    await flywayRow(db.url, 4, "DELETE", "3", "V3__add_phone.sql", PHONE);
    const result = await adoptHistory(engineFor(db.dir, db.url));
    expect(result.recorded.map((r) => r.version)).toEqual(["1", "2"]);
    expect(result.notes).toContain("Flyway's history marks V3__add_phone.sql (version 3) as deleted (`flyway repair`): it counts as never applied");
  });

  it("counts the latest row of a version deleted, then added and applied again", async () => {
    const db = await flywayDatabase();
    await db.recordWithoutFile();
    await flywayRow(db.url, 4, "DELETE", "3", "V3__add_phone.sql", PHONE);
    writeFiles(db.dir, { "V3__add_phone.sql": PHONE });
    await flywayRow(db.url, 5, "SQL", "3", "V3__add_phone.sql", PHONE);
    const result = await adoptHistory(engineFor(db.dir, db.url));
    expect(result.recorded.map((r) => [r.version, r.matchedBy])).toEqual([
      ["1", "checksum"],
      ["2", "checksum"],
      ["3", "checksum"],
    ]);
  });

  it("refuses a version with two DELETE rows for one applied row, as Flyway does (a corrupted history)", async () => {
    const db = await flywayDatabase();
    await db.recordWithoutFile();
    await flywayRow(db.url, 4, "DELETE", "3", "V3__add_phone.sql", PHONE);
    await flywayRow(db.url, 5, "DELETE", "3", "V3__add_phone.sql", PHONE);
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error).toBeInstanceOf(AdoptRefusedError);
    expect(error.problems).toEqual([
      "V3__add_phone.sql (version 3): Flyway's history has more than one DELETE row for it (installed_rank 5), which Flyway itself refuses as a corrupted history",
    ]);
  });
});

describe("adopting a history with a gap: a file older than the newest applied one was never applied", () => {
  it("refuses a Flyway history that skipped version 1, naming the file and what to do, recording nothing", async () => {
    const db = await flywayDatabase();
    db.addUnappliedFile();
    await run(db.url, "DELETE FROM flyway_schema_history WHERE version = '1'");
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error).toBeInstanceOf(AdoptRefusedError);
    expect(error.problems).toEqual([
      "V1__init.sql: Flyway never applied it, yet it is older than V2__add_email.sql (version 2), the newest migration Flyway applied: Flyway skipped it, or the file was added out of order. " +
        "Apply it with Flyway first, or rename it to a version above 2 so that `dbpipe up` applies it after the adopted ones; then run adopt again",
    ]);
    expect(await withClient(db.url, readHistory)).toEqual([]);
  });

  it("refuses a Prisma migration added between two applied ones (out of order)", async () => {
    const db = await prismaDatabase();
    writeFiles(db.dir, { "20240101130000_backfill/migration.sql": "UPDATE customers SET name = trim(name);\n" });
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error).toBeInstanceOf(AdoptRefusedError);
    expect(error.problems).toEqual([
      expect.stringMatching(/^20240101130000_backfill\/migration\.sql: Prisma Migrate never applied it, yet it is older than 20240102120000_add_email\/migration\.sql .*rename it to a version above 20240102120000/),
    ]);
    expect(await withClient(db.url, readHistory)).toEqual([]);
  });

  it("keeps Drizzle's 'never will' refusal for a file its watermark skipped", async () => {
    const db = await drizzleDatabase();
    await run(db.url, 'DELETE FROM drizzle.__drizzle_migrations WHERE created_at = 1700000000000');
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error.problems).toEqual([expect.stringMatching(/^0000_init\.sql: Drizzle never applied it \(and never will: its journal `when` is older/)]);
  });

  it("leaves only the files after the newest applied pending when a gap is also there: nothing recorded", async () => {
    const db = await flywayDatabase();
    db.addUnappliedFile();
    writeFiles(db.dir, { "V0__legacy.sql": "SELECT 1;\n" });
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error.problems).toEqual([expect.stringMatching(/^V0__legacy\.sql: Flyway never applied it, yet it is older than V2__add_email\.sql/)]);
    expect(await withClient(db.url, readHistory)).toEqual([]);
  });
});

describe("adopting a history where the tool applied nothing", () => {
  it("refuses an empty Alembic version table: there is nothing to adopt, and says what runs them all", async () => {
    const db = await alembicDatabase();
    await run(db.url, "DELETE FROM alembic_version");
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error).toBeInstanceOf(AdoptRefusedError);
    expect(error.problems).toEqual([
      "0001_1a2b3c4d5e6f_init.sql: Alembic never applied it (its version table is empty)",
      "0002_2b3c4d5e6f7a_add_email.sql: Alembic never applied it (its version table is empty)",
      "Alembic applied none of these migrations, so there is nothing to adopt: if they should all run on this database, `dbpipe up --ignore-other-history` applies them",
    ]);
    expect(await withClient(db.url, readHistory)).toEqual([]);
  });

  it("refuses a Flyway history with only its SCHEMA row", async () => {
    const db = await flywayDatabase();
    await run(db.url, "DELETE FROM flyway_schema_history; INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES (1, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', '\"public\"', 'flyway_user', 0, true)");
    const error = (await adoptHistory(engineFor(db.dir, db.url)).catch((e: unknown) => e)) as AdoptRefusedError;
    expect(error.problems).toEqual(["V1__init.sql: Flyway never applied it", "V2__add_email.sql: Flyway never applied it", expect.stringMatching(/^Flyway applied none of these migrations/)]);
  });

  it("leaves later files pending after a Flyway baseline row, matching the files up to it by version", async () => {
    const db = await flywayDatabase();
    db.addUnappliedFile();
    await run(db.url, "DELETE FROM flyway_schema_history; INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, installed_by, execution_time, success) VALUES (1, '3', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', 'flyway_user', 0, true)");
    const result = await adoptHistory(engineFor(db.dir, db.url));
    expect(result.recorded.map((r) => [r.version, r.matchedBy])).toEqual([
      ["1", "version"],
      ["2", "version"],
    ]);
    expect(result.pending.map((p) => p.file)).toEqual(["V4__orders.sql"]);
  });
});

describe("flywayChecksum", () => {
  it("is CRC-32 of the lines without their endings, signed, so CRLF, LF and a BOM give the same value", () => {
    expect(flywayChecksum(Buffer.from("123456789"))).toBe(0xcbf43926 | 0);
    const lf = Buffer.from("CREATE TABLE a (id int);\nSELECT 1;\n");
    expect(flywayChecksum(Buffer.from("\uFEFFCREATE TABLE a (id int);\r\nSELECT 1;\r\n"))).toBe(flywayChecksum(lf));
    expect(flywayChecksum(lf)).toBe(flywayCrc(lf.toString()));
  });
});
