import { tablesOf } from "./round-database";

/**
 * The migration histories the reliability tests run, shared by the CLI and the provider tests.
 */

/** A version as the files write it: 1 → `0001`. */
export const version = (i: number): string => String(i).padStart(4, "0");

/**
 * Ten migrations (files under `migrations/`): tables, seed rows, pauses that keep the run lock held
 * while other runners arrive, and one CREATE INDEX CONCURRENTLY outside a transaction. Each records
 * itself in `applied_log` with its server pid, so a migration run twice, or by two runners, shows
 * in the data and not only in the history.
 */
export function raceMigrations(): Record<string, string> {
  const files: Record<string, string> = {
    "migrations/0001_create_applied_log.sql":
      "CREATE TABLE applied_log (version text NOT NULL, pid int NOT NULL DEFAULT pg_backend_pid());\nINSERT INTO applied_log (version) VALUES ('0001');\n",
  };
  for (let i = 2; i <= 10; i++) {
    const v = version(i);
    files[`migrations/${v}_create_t${i}.sql`] =
      i === 6
        ? "-- dbpipe:no-transaction\nCREATE INDEX CONCURRENTLY t2_note ON t2 (note);\nINSERT INTO applied_log (version) VALUES ('0006');\n"
        : `CREATE TABLE t${i} (id bigint PRIMARY KEY, note text);\nINSERT INTO t${i} SELECT g, 'row ' || g FROM generate_series(1, 50) g;\n` +
          `${i % 3 === 0 ? "SELECT pg_sleep(0.05);\n" : ""}INSERT INTO applied_log (version) VALUES ('${v}');\n`;
  }
  return files;
}

/** The versions of {@link raceMigrations}. */
export const RACE_VERSIONS = Array.from({ length: 10 }, (_, i) => version(i + 1));

/**
 * `count` migrations (files under `migrations/`): migration i makes three tables, m<i>_a (with 100
 * rows), m<i>_b and m<i>_c, around a short pause. The server notices a killed client when it next
 * writes to it, or at its next check that the client is still there (every second): the odd
 * migrations print rows after the pause, so a kill before that aborts their transaction half-way
 * (two of three tables made); the even ones print nothing, so their transaction mostly still
 * commits whole after the client is gone. Either way the three tables and the history row must
 * come together.
 */
export function crashMigrations(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= count; i++) {
    const v = version(i);
    files[`migrations/${v}_step_${i}.sql`] = [
      `CREATE TABLE m${v}_a (id bigint PRIMARY KEY, note text NOT NULL);`,
      `INSERT INTO m${v}_a SELECT g, md5(g::text) FROM generate_series(1, 100) g;`,
      `CREATE TABLE m${v}_b (id bigint PRIMARY KEY, a_id bigint NOT NULL REFERENCES m${v}_a (id));`,
      `CREATE INDEX m${v}_b_a_id ON m${v}_b (a_id);`,
      "SELECT pg_sleep(0.02);",
      ...(i % 2 === 1 ? ["SELECT repeat('x', 1000) AS filler FROM generate_series(1, 20);"] : []),
      `CREATE TABLE m${v}_c (id bigint PRIMARY KEY);`,
      "",
    ].join("\n");
  }
  return files;
}

/** Which of {@link crashMigrations}' migrations have their tables, and any with only some of its three (`0007: a,b`). */
export async function crashSchemaState(url: string): Promise<{ complete: string[]; partial: string[] }> {
  const byVersion = new Map<string, string[]>();
  for (const t of await tablesOf(url)) {
    const m = /^m(\d{4})_([abc])$/.exec(t);
    if (!m) continue;
    byVersion.set(m[1], [...(byVersion.get(m[1]) ?? []), m[2]]);
  }
  const complete = [...byVersion].filter(([, parts]) => parts.length === 3).map(([v]) => v).sort();
  const partial = [...byVersion].filter(([, parts]) => parts.length !== 3).map(([v, parts]) => `${v}: ${parts.join(",")}`);
  return { complete, partial };
}
