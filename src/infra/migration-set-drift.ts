import * as path from "node:path";
import { startEmbedded } from "../local/embedded";
import type { MigrationLayout } from "../migrate/files";
import { rememberUrlSecrets } from "../redact";
import { describeDifference } from "../schema/compare";
import { schemaDrift } from "../schema/schema-drift";
import type { StackSettings } from "../settings/stack-settings";

/**
 * The schema-drift half of the MigrationSet's `read` (`pulumi refresh`), when the stack sets
 * `dbpipe:schemaDriftOnRefresh`: the comparison `dbpipe verify` makes, its differences as lines of
 * text for the resource's `schemaDrift` output.
 */

/** What the comparison needs, from the resource's state. */
export interface MigrationSetDriftRequest {
  /** The stack's settings, as the resource recorded them. */
  settings: StackSettings;
  /** The migrator's URL. */
  databaseUrl: string;
  /** The migrations folder, relative to `projectDir` (or absolute). */
  migrationsDir: string;
  /** Its layout, as recorded. */
  layout: MigrationLayout;
  /** The project the provider runs in: migrations are relative to it, the scratch server lives in its `.dbpipe/scratch`. */
  projectDir: string;
}

/**
 * Applies the migrations the database has applied to a scratch database on an embedded
 * PostgreSQL (kept in `<project>/.dbpipe/scratch`, as `dbpipe verify` keeps its own; the migrator
 * usually may not create databases on the live server) and returns each difference from the live
 * schema, one line each, then the comparison's notes (`note: …`). Empty when there is no drift.
 */
export async function migrationSetSchemaDrift(request: MigrationSetDriftRequest): Promise<string[]> {
  const server = await startEmbedded({ dataDir: path.join(request.projectDir, ".dbpipe", "scratch") });
  rememberUrlSecrets(server.url);
  try {
    const result = await schemaDrift({
      // The project's roles, whose privileges are compared, are named after the database the migrator connects to.
      settings: { ...request.settings, infra: { ...request.settings.infra, databaseName: decodeURIComponent(new URL(request.databaseUrl).pathname.slice(1)) } },
      migrationsDir: path.resolve(request.projectDir, request.migrationsDir),
      layout: request.layout,
      databaseUrl: request.databaseUrl,
      scratchServerUrl: server.url,
      displayBase: request.projectDir,
    });
    return [...result.differences.map(describeDifference), ...result.notes.map((note) => `note: ${note}`)];
  } finally {
    await server.stop();
  }
}

