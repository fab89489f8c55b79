import * as fs from "node:fs";
import * as path from "node:path";
import { prng } from "../migrate/generate";

/**
 * The lint benchmark's input: `count` migration files of about 20 statements each, in the mix real
 * migration histories have — mostly new tables, columns and indexes, with foreign keys, data
 * fixes, views, comments, grants, PL/pgSQL functions with dollar-quoted bodies, and the risky
 * statements linters exist for. Deterministic: a seed gives the same files, byte for byte.
 */

const NOUNS = ["customer", "product", "invoice", "payment", "refund", "shipment", "ticket", "note", "contact", "account", "lead", "campaign", "supplier", "warehouse", "category", "review", "subscription", "order", "coupon", "address"];
const TYPES = ["text", "varchar(120)", "bigint", "integer", "boolean", "timestamptz", "numeric(12,2)", "jsonb", "uuid", "date"];

/** Writes the files into `dir` (emptied first); returns their paths. */
export function generateLintBench(dir: string, count = 1000, statementsPerFile = 20, seed = 42): string[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const tables: string[] = [];
  const files: string[] = [];

  for (let n = 1; n <= count; n++) {
    const statements: string[] = [`-- Migration ${n}: generated for the lint benchmark.`];
    const table = `${pick(NOUNS)}_${n}`;
    const columns = Array.from({ length: 3 + Math.floor(random() * 6) }, (_, i) => `  col_${i} ${pick(TYPES)}${random() < 0.3 ? " NOT NULL" : ""}`);
    statements.push(`CREATE TABLE ${table} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n${columns.join(",\n")},\n  created_at timestamptz NOT NULL DEFAULT now()\n);`);
    statements.push(`CREATE INDEX ${table}_created_at_idx ON ${table} (created_at);`);
    statements.push(`COMMENT ON TABLE ${table} IS 'Rows of ${table}; see the product spec §${n}.';`);
    while (statements.length < statementsPerFile + 1) {
      const existing = tables.length > 0 ? pick(tables) : table;
      const r = random();
      if (r < 0.16) statements.push(`ALTER TABLE ${existing} ADD COLUMN extra_${n}_${statements.length} ${pick(TYPES)};`);
      else if (r < 0.26) statements.push(`CREATE INDEX ${existing}_extra_${n}_${statements.length}_idx ON ${existing} (created_at DESC) WHERE created_at > '2024-01-01';`);
      else if (r < 0.34) statements.push(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_fk_${statements.length} FOREIGN KEY (col_0) REFERENCES ${existing} (id) NOT VALID;`);
      else if (r < 0.42) statements.push(`INSERT INTO ${table} (col_0) VALUES ('seed ${n}'), ('seed ${n + 1}');`);
      else if (r < 0.48) statements.push(`UPDATE ${existing} SET created_at = now() WHERE id = ${n};`);
      else if (r < 0.54) statements.push(`CREATE OR REPLACE VIEW ${table}_recent_${statements.length} AS\n  SELECT id, created_at FROM ${table} WHERE created_at > now() - interval '30 days';`);
      else if (r < 0.6) {
        statements.push(
          `CREATE OR REPLACE FUNCTION ${table}_touch_${statements.length}() RETURNS trigger\nLANGUAGE plpgsql AS $fn$\nBEGIN\n  NEW.created_at := coalesce(NEW.created_at, now()); -- keep it set\n  RETURN NEW;\nEND;\n$fn$;`,
        );
      } else if (r < 0.65) statements.push(`GRANT SELECT ON ${table} TO reporting;`);
      else if (r < 0.7) statements.push(`ALTER TABLE ${existing} ALTER COLUMN created_at SET DEFAULT now();`);
      else if (r < 0.74) statements.push(`ALTER TABLE ${existing} ADD COLUMN flag_${n}_${statements.length} boolean NOT NULL DEFAULT false;`);
      else if (r < 0.77) statements.push(`ALTER TABLE ${existing} ALTER COLUMN col_0 TYPE text;`);
      else if (r < 0.8) statements.push(`ALTER TABLE ${existing} ALTER COLUMN col_1 SET NOT NULL;`);
      else if (r < 0.83) statements.push(`DROP INDEX IF EXISTS ${existing}_old_idx;`);
      else if (r < 0.86) statements.push(`ALTER TABLE ${existing} RENAME COLUMN col_2 TO col_2_renamed_${n};`);
      else if (r < 0.88) statements.push(`ALTER TABLE ${existing} DROP COLUMN IF EXISTS legacy_${n};`);
      else if (r < 0.9) statements.push(`DELETE FROM ${existing} WHERE created_at < '2020-01-01';`);
      else if (r < 0.92) statements.push(`ALTER TABLE ${existing} ADD CONSTRAINT ${existing}_check_${n}_${statements.length} CHECK (id > 0);`);
      else if (r < 0.94) statements.push(`CREATE TRIGGER ${table}_touch_${statements.length} BEFORE UPDATE ON ${table}\n  FOR EACH ROW EXECUTE FUNCTION now_trigger();`);
      else if (r < 0.96) statements.push(`ALTER TABLE ${existing} ADD COLUMN token_${n}_${statements.length} uuid DEFAULT gen_random_uuid();`);
      else if (r < 0.98) statements.push(`-- Backfill in the same migration (reviewed).\nUPDATE ${table} SET col_0 = col_0 WHERE id < 1000;`);
      else statements.push(`DROP TABLE IF EXISTS ${existing}_archive;`);
    }
    tables.push(table);
    const file = path.join(dir, `${String(n).padStart(4, "0")}_${table}.sql`);
    fs.writeFileSync(file, `${statements.join("\n\n")}\n`);
    files.push(file);
  }
  return files;
}
