import { InputError } from "../../errors";
import { ensureHistory, readHistory, recordBaseline } from "../history";
import type { Migration } from "../../migration";
import { type EngineOptions, withLockedSession } from "../run";
import { loadFiles } from "../files";

/** `baseline`: adopt a database that already has the schema. */

/** Result of `baseline`. */
export interface BaselineResult {
  /** The versions recorded as applied. */
  recorded: { version: string; name: string }[];
}

/**
 * Records every migration up to `version` as applied without running it: for a database that
 * already has the schema those migrations would create. Refused when the history already has
 * applied migrations.
 */
export async function baselineMigrations(options: EngineOptions, version: string): Promise<BaselineResult> {
  if (!/^\d+$/.test(version)) throw new InputError(`--version must be a migration version (digits), got "${version}"`);
  const files = loadFiles(options);
  const target = files.migrations.find((m) => m.order === BigInt(version));
  if (!target) {
    throw new InputError(`--version ${version}: no migration has this version; versions here are ${summariseVersions(files.migrations)}`);
  }
  const upTo = files.migrations.filter((m) => m.order <= target.order);
  return withLockedSession(options, async (client) => {
    await ensureHistory(client);
    const history = await readHistory(client);
    if (history.length > 0) {
      throw new InputError(
        `the history already records ${history.length} migration(s) (newest ${history[history.length - 1].version}): baseline is for a database that has the schema but no dbpipe history`,
      );
    }
    await recordBaseline(client, upTo);
    return { recorded: upTo.map((m) => ({ version: m.version, name: m.name })) };
  });
}

function summariseVersions(migrations: readonly Migration[]): string {
  if (migrations.length === 0) return "none (the folder is empty)";
  if (migrations.length <= 6) return migrations.map((m) => m.version).join(", ");
  return `${migrations[0].version} to ${migrations[migrations.length - 1].version}`;
}

