import type { Client } from "pg";
import { InputError } from "../errors";

/**
 * The history tables other migration tools keep, found in any schema of the database, and read
 * as each tool writes them:
 *
 * - Prisma Migrate: `_prisma_migrations` (one row per attempt: `migration_name`, `checksum`,
 *   `finished_at`, `rolled_back_at`);
 * - Drizzle: `drizzle.__drizzle_migrations` (`hash`, `created_at`: the journal entry's `when`);
 * - Alembic: `alembic_version` (only the current head revision, no checksum);
 * - Flyway: `flyway_schema_history` (`version`, `type`, `checksum` as CRC-32, `success`).
 */

/** The tools whose history dbpipe can adopt. */
export const OTHER_TOOLS = ["prisma", "drizzle", "alembic", "flyway"] as const;

/** A tool whose history dbpipe can adopt. */
export type OtherTool = (typeof OTHER_TOOLS)[number];

/** The table each tool keeps its history in, by default. */
export const HISTORY_TABLES: Record<OtherTool, string> = {
  prisma: "_prisma_migrations",
  drizzle: "__drizzle_migrations",
  alembic: "alembic_version",
  flyway: "flyway_schema_history",
};

/** The display names of the tools. */
export const TOOL_NAMES: Record<OtherTool, string> = { prisma: "Prisma Migrate", drizzle: "Drizzle", alembic: "Alembic", flyway: "Flyway" };

/** Another tool's history table found in the database. */
export interface FoundHistoryTable {
  tool: OtherTool;
  /** Its schema. */
  schema: string;
  /** Its name. */
  table: string;
  /** `schema.table`, quoted where needed, for SQL and messages. */
  qualified: string;
}

/** A Prisma row: one attempt at one migration. */
export interface PrismaRecord {
  migrationName: string;
  checksum: string;
  startedAt: Date;
  finishedAt: Date | null;
  rolledBackAt: Date | null;
}

/** A Drizzle row. */
export interface DrizzleRecord {
  id: number;
  hash: string;
  /** The journal entry's `when` (milliseconds) when Drizzle applied it. */
  createdAt: number | null;
}

/** A Flyway row. */
export interface FlywayRecord {
  installedRank: number;
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  installedBy: string;
  installedOn: Date;
  executionTime: number;
  success: boolean;
}

/**
 * The columns each tool's table must have for adopt to read it: the ones each tool's own DDL
 * creates and that adopt reads. A table without them is not that tool's history.
 */
export const HISTORY_COLUMNS: Record<OtherTool, readonly string[]> = {
  prisma: ["migration_name", "checksum", "started_at", "finished_at", "rolled_back_at"],
  drizzle: ["id", "hash", "created_at"],
  alembic: ["version_num"],
  flyway: ["installed_rank", "version", "description", "type", "script", "checksum", "installed_by", "installed_on", "execution_time", "success"],
};

/** Quotes an identifier when it needs it. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * Every other tool's history table in the database, in any schema (tools let you move them:
 * Drizzle's `migrationsSchema`, Flyway's `schemas`, Alembic's `version_table_schema`). `table`,
 * when given as `[schema.]name`, looks for that table only, for `tool`.
 */
export async function findHistoryTables(client: Client, only?: { tool?: OtherTool; table?: string }): Promise<FoundHistoryTable[]> {
  if (only?.table !== undefined) {
    if (!only.tool) throw new InputError("--table needs --from: say which tool wrote that table");
    const { schema, table } = parseTableName(only.table);
    const { rows } = await client.query<{ schema: string; table: string }>(
      `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relname = $1 AND ($2::text IS NULL OR n.nspname = $2) ORDER BY n.nspname`,
      [table, schema ?? null],
    );
    if (rows.length === 0) throw new InputError(`--table ${only.table}: no such table in this database`);
    return rows.map((r) => ({ tool: only.tool!, ...r, qualified: `${quoteIdent(r.schema)}.${quoteIdent(r.table)}` }));
  }
  const tools = only?.tool ? [only.tool] : [...OTHER_TOOLS];
  const { rows } = await client.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY n.nspname, c.relname`,
    [tools.map((t) => HISTORY_TABLES[t])],
  );
  return rows.map((r) => ({
    tool: tools.find((t) => HISTORY_TABLES[t] === r.table)!,
    ...r,
    qualified: `${quoteIdent(r.schema)}.${quoteIdent(r.table)}`,
  }));
}

/** `--table`'s `[schema.]name`, split; refused when it has more than two parts or an empty one. */
export function parseTableName(name: string): { schema?: string; table: string } {
  const parts = name.split(".");
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw new InputError(`--table ${name}: expected [schema.]name, a table name with at most one dot between the schema and the table`);
  }
  return parts.length === 2 ? { schema: parts[0], table: parts[1] } : { table: parts[0] };
}

/**
 * Refuses a table that lacks the columns {@link HISTORY_COLUMNS} lists for its tool, naming the
 * missing ones — before any of them is read, so a table of the wrong shape (another tool's, or one
 * of the same name) is invalid input, not a failure of the database. Returns each column's type.
 */
async function requireColumns(client: Client, table: FoundHistoryTable): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
    [table.schema, table.table],
  );
  const types = new Map(rows.map((r) => [r.name, r.type]));
  const missing = HISTORY_COLUMNS[table.tool].filter((column) => !types.has(column));
  if (missing.length > 0) {
    throw new InputError(
      `${table.qualified} does not have ${TOOL_NAMES[table.tool]}'s columns: ${missing.join(", ")}. ` +
        `Is it ${TOOL_NAMES[table.tool]}'s history table? (--from and --table say which tool's table to read)`,
    );
  }
  return types;
}

/** Reads Prisma's rows, oldest attempt first. */
export async function readPrismaHistory(client: Client, table: FoundHistoryTable): Promise<PrismaRecord[]> {
  await requireColumns(client, table);
  const { rows } = await client.query<{ migration_name: string; checksum: string; started_at: Date; finished_at: Date | null; rolled_back_at: Date | null }>(
    `SELECT migration_name, checksum, started_at, finished_at, rolled_back_at FROM ${table.qualified} ORDER BY started_at, migration_name`,
  );
  return rows.map((r) => ({ migrationName: r.migration_name, checksum: r.checksum, startedAt: r.started_at, finishedAt: r.finished_at, rolledBackAt: r.rolled_back_at }));
}

/** Reads Drizzle's rows, in the order it applied them. */
export async function readDrizzleHistory(client: Client, table: FoundHistoryTable): Promise<DrizzleRecord[]> {
  const types = await requireColumns(client, table);
  // Ordered by the column itself (not its text), so that numbers sort as numbers.
  const { rows } = await client.query<{ id: number; hash: string; created_at: string | null }>(
    `SELECT h.id, h.hash, h.created_at::text AS created_at FROM ${table.qualified} h ORDER BY h.created_at NULLS FIRST, h.id`,
  );
  const problems: string[] = [];
  const records = rows.map((r) => {
    const createdAt = r.created_at === null ? null : drizzleMillis(r.created_at);
    if (createdAt === undefined) problems.push(`  - row id ${r.id}: created_at is '${r.created_at}'`);
    return { id: r.id, hash: r.hash, createdAt: createdAt ?? null };
  });
  if (problems.length > 0) {
    const type = types.get("created_at")!;
    const column = NUMBER_TYPES.has(type) ? "" : ` (this table's created_at is ${type})`;
    throw new InputError(
      `${table.qualified}: created_at must be a whole number of milliseconds since 1970, the migration's journal \`when\`, ` +
        `as Drizzle writes it in a bigint column${column}:\n${problems.join("\n")}`,
    );
  }
  return records;
}

/** Column types a `created_at` of Drizzle's may have: bigint (drizzle-orm's PostgreSQL migrators), numeric (its pg-proxy's). */
const NUMBER_TYPES = new Set(["bigint", "numeric", "integer"]);

/** A `created_at` as Drizzle writes it: a whole number of milliseconds that is a date; `undefined` when it is not. */
function drizzleMillis(text: string): number | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const millis = Number(text);
  // The range of a JavaScript Date.
  return Math.abs(millis) <= 8.64e15 ? millis : undefined;
}

/** Reads Alembic's head revision(s). */
export async function readAlembicHeads(client: Client, table: FoundHistoryTable): Promise<string[]> {
  await requireColumns(client, table);
  const { rows } = await client.query<{ version_num: string }>(`SELECT version_num FROM ${table.qualified} ORDER BY version_num`);
  return rows.map((r) => r.version_num);
}

/** Reads Flyway's rows, in installed order. */
export async function readFlywayHistory(client: Client, table: FoundHistoryTable): Promise<FlywayRecord[]> {
  await requireColumns(client, table);
  const { rows } = await client.query<{
    installed_rank: number;
    version: string | null;
    description: string;
    type: string;
    script: string;
    checksum: number | null;
    installed_by: string;
    installed_on: Date;
    execution_time: number;
    success: boolean;
  }>(`SELECT installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success FROM ${table.qualified} ORDER BY installed_rank`);
  return rows.map((r) => ({
    installedRank: r.installed_rank,
    version: r.version,
    description: r.description,
    type: r.type,
    script: r.script,
    checksum: r.checksum,
    installedBy: r.installed_by,
    installedOn: r.installed_on,
    executionTime: r.execution_time,
    success: r.success,
  }));
}
