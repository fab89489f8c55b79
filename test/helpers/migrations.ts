import { createHash } from "node:crypto";
import type { Migration } from "../../src/migration";
import { type Finding, type LintOptions, type LintedMigration, lintMigrations } from "../../src/sql/lint";

/** What a test migration may set; everything else gets a sensible value. */
export interface MigrationSpec {
  /** Default `0001`, then `0002`, ... for a list. */
  version?: string;
  /** Default `test`. */
  name?: string;
  /** Default false. */
  noTransaction?: boolean;
}

/** A migration built in memory from SQL (the up section starts on line 1 of `migrations/<version>_<name>.sql`). */
export function migration(sql: string, spec: MigrationSpec = {}): Migration {
  const version = spec.version ?? "0001";
  const name = spec.name ?? "test";
  const file = `migrations/${version}_${name}.sql`;
  return {
    version,
    order: BigInt(version),
    name,
    file,
    path: `/project/${file}`,
    checksum: createHash("sha256").update(sql).digest("hex"),
    up: { text: sql, line: 1 },
    noTransaction: spec.noTransaction ?? false,
  };
}

/** Lints SQL: one migration per string, versions 0001, 0002, ... in order. */
export async function lintSql(sql: string | readonly string[], options: LintOptions & { noTransaction?: boolean } = {}): Promise<LintedMigration[]> {
  const list = typeof sql === "string" ? [sql] : sql;
  const migrations = list.map((text, i) => migration(text, { version: String(i + 1).padStart(4, "0"), noTransaction: options.noTransaction }));
  return lintMigrations(migrations, options);
}

/** The findings of `rule` when linting `sql` (see {@link lintSql}), across every migration. */
export async function findingsOf(rule: string, sql: string | readonly string[], options: LintOptions & { noTransaction?: boolean } = {}): Promise<Finding[]> {
  return (await lintSql(sql, options)).flatMap((m) => m.findings.filter((f) => f.rule === rule));
}

/** Findings as `line:column severity message` lines, for inline snapshots. */
export function describeFindings(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.line}:${f.column} ${f.severity} ${f.message}`);
}
