import * as path from "node:path";
import { InputError } from "../../errors";
import { HISTORY_TABLE, readHistory } from "../history";
import { buildPlan, compareVersions } from "../plan";
import { type EngineOptions, withLockedSession } from "../run";
import { loadFiles } from "../files";

/** `repair`: mend the history when the history itself is wrong. */

/** One change `repair` makes to the history. */
export interface RepairChange {
  version: string;
  /** `removed-failed`, `marked-applied`, `checksum-realigned` or `removed-missing`. */
  action: "removed-failed" | "marked-applied" | "checksum-realigned" | "removed-missing";
  /** What it means, in words. */
  description: string;
}

/**
 * Mends the history when the history itself is wrong: clears failed records (the migration runs
 * again), or marks them applied (`markApplied`, when finished by hand); realigns the checksum of
 * applied files that changed; removes records of files deleted on purpose. With `dryRun`, only
 * says what it would change.
 */
export async function repairHistory(options: EngineOptions, run: { dryRun?: boolean; markApplied?: readonly string[]; forgetAll?: boolean } = {}): Promise<RepairChange[]> {
  const files = loadFiles(options);
  const markApplied = new Set((run.markApplied ?? []).map((v) => v.trim()));
  return withLockedSession(options, async (client) => {
    const history = await readHistory(client);
    const plan = buildPlan(files.migrations, history, { outOfOrder: true });
    for (const v of markApplied) {
      const entry = plan.entries.find((e) => e.history && e.version === v);
      if (!entry || entry.status !== "failed") {
        throw new InputError(`--mark-applied ${v}: only a migration recorded as failed can be marked applied; ${entry ? `${v} is ${entry.status}` : `${v} is not in the history`}`);
      }
    }
    // Every applied record without a file is what a wrong --dir or --layout looks like: forgetting
    // them all would make the next `up` run the whole history again on a database that has it.
    const recorded = plan.entries.filter((e) => e.history?.success);
    const missing = recorded.filter((e) => e.status === "missing");
    if (recorded.length > 1 && missing.length === recorded.length && !run.forgetAll) {
      throw new InputError(
        `none of the ${recorded.length} applied migrations in the history has a file in ${path.relative(options.displayBase ?? process.cwd(), path.resolve(options.migrationsDir)) || "."} (layout ${files.layout}): ` +
          "is --dir or --layout wrong? Repairing would forget the whole history, and the next `dbpipe up` would run every migration again. " +
          "If the history really is obsolete, run `dbpipe repair --forget-all`.",
      );
    }
    const changes: { change: RepairChange; sql: string; params: unknown[] }[] = [];
    for (const e of plan.entries) {
      if (e.status === "failed" && markApplied.has(e.version)) {
        changes.push({
          change: { version: e.version, action: "marked-applied", description: `${e.version} (${e.name}): failed record marked applied (finished by hand)` },
          sql: `UPDATE ${HISTORY_TABLE} SET success = true, error = NULL${e.migration ? ", checksum = $2" : ""} WHERE version = $1`,
          params: e.migration ? [e.version, e.migration.checksum] : [e.version],
        });
      } else if (e.status === "failed") {
        changes.push({
          change: { version: e.version, action: "removed-failed", description: `${e.version} (${e.name}): failed record removed; ${e.migration ? "the migration will run again" : "its file is gone, so it will not run again"}` },
          sql: `DELETE FROM ${HISTORY_TABLE} WHERE version = $1 AND NOT success`,
          params: [e.version],
        });
      } else if (e.status === "modified") {
        changes.push({
          change: {
            version: e.version,
            action: "checksum-realigned",
            description:
              e.history!.checksum === e.checksum
                ? `${e.version} (${e.name}): recorded name set to the file's (${e.history!.name} → ${e.name})`
                : `${e.version} (${e.name}): recorded checksum set to the file's (${e.history!.checksum.slice(0, 12)} → ${e.checksum.slice(0, 12)})`,
          },
          sql: `UPDATE ${HISTORY_TABLE} SET checksum = $2, name = $3 WHERE version = $1`,
          params: [e.version, e.checksum, e.name],
        });
      } else if (e.status === "missing") {
        changes.push({
          change: { version: e.version, action: "removed-missing", description: `${e.version} (${e.name}): record of a deleted file removed` },
          sql: `DELETE FROM ${HISTORY_TABLE} WHERE version = $1`,
          params: [e.version],
        });
      }
    }
    if (!run.dryRun && changes.length > 0) {
      await client.query("BEGIN");
      try {
        for (const c of changes) await client.query(c.sql, c.params);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    }
    return changes.map((c) => c.change).sort((a, b) => compareVersions(a.version, b.version));
  });
}

