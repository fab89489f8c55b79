import { formatElapsed } from "../text/duration";
import type { IntegrityProblem, PlanEntry } from "../migrate/plan";
import { type DbpipeError } from "../errors";
import { MigrationFailedError } from "../migrate/sql-error";
import type { Output } from "./output";

/** Rendering the plan for people: a table of migrations and the problems that stop a run. */

/** Counts by status, e.g. `{ applied: 3, pending: 2 }`. */
export function summary(entries: readonly PlanEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.status] = (out[e.status] ?? 0) + 1;
  return out;
}

/** One sentence for the counts: "5 migrations: 3 applied, 2 pending". */
export function summaryLine(entries: readonly PlanEntry[]): string {
  if (entries.length === 0) return "No migrations.";
  const counts = Object.entries(summary(entries)).map(([status, n]) => `${n} ${status}`);
  return `${entries.length} migration${entries.length === 1 ? "" : "s"}: ${counts.join(", ")}.`;
}

/** Prints the plan as a table. */
export function printEntries(output: Output, entries: readonly PlanEntry[]): void {
  if (entries.length === 0) return;
  const s = output.style;
  const rows = entries.map((e) => [
    e.version,
    e.name,
    e.status + (e.outOfOrder ? " (out of order)" : "") + (e.history?.kind === "baseline" ? " (baseline)" : ""),
    e.history ? e.history.appliedAt.toISOString().replace("T", " ").slice(0, 19) : "",
    e.history?.appliedBy ?? "",
    e.history && e.history.kind !== "baseline" ? formatElapsed(e.history.executionMs) : "",
  ]);
  const header = ["VERSION", "NAME", "STATUS", "APPLIED AT (UTC)", "BY", "TIME"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const pad = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  output.line(s.dim(`  ${pad(header)}`));
  rows.forEach((r, i) => {
    const colour = statusColour(output, entries[i].status);
    output.line(`  ${pad([r[0], r[1], colour(r[2].padEnd(widths[2])), r[3], r[4], r[5]])}`);
  });
}

function statusColour(output: Output, status: PlanEntry["status"]): (t: string) => string {
  const s = output.style;
  if (status === "applied") return s.green;
  if (status === "pending") return s.cyan;
  return s.red;
}

/** Prints integrity problems. */
export function printProblems(output: Output, problems: readonly IntegrityProblem[]): void {
  for (const p of problems) output.line(`  ${output.style.red("✗")} ${p.message}`);
}

/** An error as JSON, with its location when it is a failed migration. */
export function errorJson(error: DbpipeError): Record<string, unknown> {
  if (error instanceof MigrationFailedError) {
    return {
      message: error.message,
      version: error.migration.version,
      file: error.migration.file,
      line: error.position?.line ?? null,
      column: error.position?.column ?? null,
      sqlstate: error.code ?? null,
      detail: error.detail ?? null,
      hint: error.hint ?? null,
    };
  }
  return { message: error.message };
}

/** A size for people: `512 B`, `3.4 KiB`, `12.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
