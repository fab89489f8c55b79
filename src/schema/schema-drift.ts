import type { Client } from "pg";
import { FailureError, InputError } from "../errors";
import { applyMigration } from "../migrate/apply";
import { type MigrationLayout, loadFiles } from "../migrate/files";
import { type HistoryRow, ensureHistory, readHistory } from "../migrate/history";
import { buildPlan } from "../migrate/plan";
import { MigrationFailedError } from "../migrate/sql-error";
import type { Migration } from "../migration";
import { withSession } from "../migrate/session";
import { inOwnTransaction } from "../migrate/transaction-control";
import type { MigrationLayoutSetting, StackSettings } from "../settings/stack-settings";
import { type SchemaDifference, compareSchemas } from "./compare";
import { type SchemaSnapshot, inspectSchema } from "./inspect";
import { withScratchDatabase } from "./scratch";

/**
 * Schema drift: the migrations are applied to an empty scratch database, and its schema is
 * compared with the live database's. Only the migrations the live database has applied (by its
 * history) are applied, so pending migrations are not drift; with no history, all of them are.
 * The scratch database gets the live session's `search_path` (creating its schemas) and the
 * default privileges the live user's objects get, so that migrations land where they land live.
 * An applied migration whose file was changed since, or is gone, is refused (as `up` and `status`
 * refuse it): a replay of other files than the ones applied gives no schema to compare with.
 */

/** What the comparison needs. */
export interface SchemaDriftOptions {
  settings: StackSettings;
  migrationsDir: string;
  /** Default the stack's `migrationsLayout`. */
  layout?: MigrationLayoutSetting;
  /** The live database. */
  databaseUrl: string;
  /** A server on which to create the scratch database (needs CREATEDB); it is dropped after. */
  scratchServerUrl: string;
  /** Base for file names in messages. Default: the working directory. */
  displayBase?: string;
  /** Roles whose privileges are compared. Default: the project's four roles (`<db>_owner`, `_migrator`, `_app`, `_readonly`). */
  roles?: readonly string[];
}

/** The result of a comparison. */
export interface SchemaDrift {
  layout: MigrationLayout;
  /** Every migration file the comparison was made from, in version order. */
  migrations: Migration[];
  /** Versions applied to the scratch database. */
  applied: string[];
  /** Every difference, expected (the migrations) against actual (the live database). */
  differences: SchemaDifference[];
  /** True when the database has no dbpipe history: it was compared with every migration. */
  historyEmpty: boolean;
  /** What the user should know: pending migrations left out, a database without history. */
  notes: string[];
  /** The schema the migrations give. */
  expected: SchemaSnapshot;
  /** The live database's schema. */
  actual: SchemaSnapshot;
}

/** The project's roles, whose privileges are compared by default. */
export function projectRoles(settings: StackSettings): string[] {
  const db = settings.infra.databaseName;
  return [`${db}_owner`, `${db}_migrator`, `${db}_app`, `${db}_readonly`];
}

/** Compares the live database's schema with the one its applied migrations give. */
export async function schemaDrift(options: SchemaDriftOptions): Promise<SchemaDrift> {
  const files = loadFiles(options);
  const roles = options.roles ?? projectRoles(options.settings);
  const notes: string[] = [];
  const live = await withSession(options.databaseUrl, async (client) => {
    const history = await readHistory(client);
    assertReplayable(files.migrations, history);
    const actual = await inspectSchema(client, { roles });
    const setup = await sessionSetup(client);
    return { history, actual, setup };
  });
  const applied = new Set(live.history.filter((h) => h.success).map((h) => BigInt(h.version)));
  const historyEmpty = applied.size === 0;
  let toApply: Migration[];
  if (historyEmpty) {
    toApply = files.migrations;
    if (files.migrations.length > 0) notes.push("the database has no dbpipe history: it was compared with every migration");
  } else {
    toApply = files.migrations.filter((m) => applied.has(m.order));
    const pending = files.migrations.filter((m) => !applied.has(m.order));
    if (pending.length > 0) notes.push(`${pending.length} pending migration(s) (${pending.map((m) => m.version).join(", ")}) not applied to the database were left out`);
  }
  const expected = await withScratchDatabase(options.scratchServerUrl, async (scratchUrl) => {
    await withSession(scratchUrl, (client) => prepareScratch(client, live.setup, roles, scratchUrl));
    // A new session, which starts with the search_path just set on the database, as live ones do.
    return withSession(scratchUrl, async (client) => {
      await applyToScratch(client, toApply, options);
      return inspectSchema(client, { roles });
    });
  });
  return { layout: files.layout, migrations: files.migrations, applied: toApply.map((m) => m.version), historyEmpty, differences: compareSchemas(expected, live.actual), notes, expected, actual: live.actual };
}

/**
 * Refuses (exit 2) when an applied migration's file is not what was applied: its checksum differs
 * from the history's, or it is gone. The problems are the plan's, worded as `status` and `up` word them.
 */
function assertReplayable(migrations: readonly Migration[], history: readonly HistoryRow[]): void {
  const plan = buildPlan(migrations, history, { outOfOrder: true });
  const versions = new Set(
    plan.entries
      .filter((e) => (e.status === "modified" && e.history!.checksum !== e.migration!.checksum) || e.status === "missing" || e.status === "failed")
      .map((e) => e.version),
  );
  const problems = plan.problems.filter((p) => p.version !== undefined && versions.has(p.version));
  if (problems.length === 0) return;
  const failed = plan.entries.some((e) => e.status === "failed" && versions.has(e.version));
  const why = failed
    ? "Nothing was compared: a migration that stopped part way leaves a schema that no replay of the files gives."
    : "Nothing was compared: replaying files other than the ones the database applied gives no schema to compare it with.";
  throw new InputError(
    problems.length === 1
      ? `${problems[0].message}\n${why}`
      : `${problems.length} applied migrations differ from their files:\n${problems.map((p) => `  - ${p.message}`).join("\n")}\n${why}`,
  );
}

/** What of the live session a scratch database copies. */
interface SessionSetup {
  searchPath: string;
  /** Schemas on the search path that exist. */
  schemas: string[];
  /** Default privileges that objects the live user creates get: `ALTER DEFAULT PRIVILEGES` clauses. */
  defaultPrivileges: { schema: string | null; objects: string; privileges: string[]; grantee: string }[];
}

const OBJECT_TYPES: Record<string, string> = { r: "TABLES", S: "SEQUENCES", f: "FUNCTIONS", T: "TYPES", n: "SCHEMAS" };

async function sessionSetup(client: Client): Promise<SessionSetup> {
  const { rows: sp } = await client.query<{ search_path: string }>("SELECT current_setting('search_path') AS search_path");
  const { rows: schemas } = await client.query<{ name: string }>(
    "SELECT quote_ident(nspname) AS name FROM pg_namespace WHERE nspname = ANY(current_schemas(false)) AND nspname <> 'public'",
  );
  const { rows: acl } = await client.query<{ schema: string | null; objtype: string; grantee: string; privileges: string[] }>(
    `SELECT CASE WHEN d.defaclnamespace = 0 THEN NULL ELSE quote_ident(n.nspname) END AS schema, d.defaclobjtype::text AS objtype, quote_ident(r.rolname) AS grantee,
            array_agg(a.privilege_type ORDER BY a.privilege_type) AS privileges
       FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a JOIN pg_roles r ON r.oid = a.grantee
      WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND a.grantee <> d.defaclrole
      GROUP BY 1, 2, 3`,
  );
  return {
    searchPath: sp[0].search_path,
    schemas: schemas.map((s) => s.name),
    defaultPrivileges: acl.filter((a) => OBJECT_TYPES[a.objtype]).map((a) => ({ schema: a.schema, objects: OBJECT_TYPES[a.objtype], privileges: a.privileges, grantee: a.grantee })),
  };
}

async function prepareScratch(client: Client, setup: SessionSetup, roles: readonly string[], scratchUrl: string): Promise<void> {
  // Roles are the server's: create the project's where the scratch server lacks them, so that the
  // migrations' GRANTs run. Without CREATEROLE, a GRANT to a missing role fails and says so.
  const { rows } = await client.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [roles]);
  for (const role of roles.filter((r) => !rows.some((x) => x.rolname === r))) {
    await client.query(`CREATE ROLE "${role.replace(/"/g, '""')}" NOLOGIN`).catch(() => undefined);
  }
  for (const schema of setup.schemas) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const database = decodeURIComponent(new URL(scratchUrl).pathname.slice(1));
  await client.query(`ALTER DATABASE "${database}" SET search_path TO ${setup.searchPath}`);
  for (const d of setup.defaultPrivileges) {
    await client
      .query(`ALTER DEFAULT PRIVILEGES${d.schema ? ` IN SCHEMA ${d.schema}` : ""} GRANT ${d.privileges.join(", ")} ON ${d.objects} TO ${d.grantee}`)
      .catch(() => undefined);
  }
}

async function applyToScratch(client: Client, migrations: readonly Migration[], options: SchemaDriftOptions): Promise<void> {
  await ensureHistory(client);
  const runnable = await inOwnTransaction(migrations, "up", "Nothing was compared.");
  const timeouts = { lockTimeoutMs: options.settings.migrations.lockTimeoutMs, statementTimeoutMs: options.settings.migrations.statementTimeoutMs };
  for (const m of runnable) {
    try {
      await applyMigration(client, m, timeouts, {});
    } catch (error) {
      // What the failure did to the scratch database (rolled back, recorded as failed) is nobody's concern: it is dropped.
      const said = error instanceof MigrationFailedError ? error.failure : (error as Error).message;
      throw new FailureError(`the migrations do not apply to an empty scratch database, so there is nothing to compare with (the scratch database was dropped; your database was not changed): ${said}`, { cause: error });
    }
  }
}
