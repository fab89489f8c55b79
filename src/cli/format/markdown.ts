import type { Verdict } from "../../risk/verdict";
import type { LintedMigration } from "../../sql/lint";
import type { LintFailure } from "./lint-problem";
import { highestRisk } from "./text";

/**
 * `--format markdown`: a pull-request comment. The verdict first (what a reviewer needs), then one
 * table per migration with findings, then why the stack refuses and the YAML that approves.
 */
export function formatMarkdown(migrations: readonly LintedMigration[], verdict: Verdict): string {
  const out: string[] = [];
  const state = verdict.allowed ? (verdict.backupRequired ? "allowed, after a backup" : "allowed") : "refused";
  out.push(`### dbpipe lint · stack \`${verdict.stack}\` (tier ${verdict.tier}): **${state}**`, "");
  const withFindings = migrations.filter((m) => m.findings.length > 0);
  const unparsable = migrations.filter((m) => m.parseError);
  const highest = highestRisk(`**${verdict.risk}**`, migrations.length, unparsable.length);
  out.push(`${migrations.length} migration${migrations.length === 1 ? "" : "s"} checked, ${withFindings.length} with findings; ${highest}.${verdict.backupReason ? ` ${cell(verdict.backupReason)}` : ""}`);
  if (unparsable.length > 0) {
    const heading = unparsable.every((m) => !m.parseError?.cannotRun)
      ? `${unparsable.length === 1 ? "A file does" : `${unparsable.length} files do`} not parse`
      : `${unparsable.length === 1 ? "A file" : `${unparsable.length} files`} dbpipe cannot run`;
    out.push("", `#### ${heading}`, "", "| File | Line | Error |", "|---|---|---|");
    for (const m of unparsable) {
      const e = m.parseError as NonNullable<typeof m.parseError>;
      out.push(`| \`${e.file}\` | ${e.line}:${e.column} | ${cell(e.message)} |`);
    }
  }
  if (withFindings.length > 0) {
    out.push("", "| Migration | Risk | Findings |", "|---|---|---|");
    for (const m of withFindings) out.push(`| \`${m.version}\` ${cell(m.name)} | ${m.risk === "high" ? "**high**" : m.risk} | ${m.findings.length} |`);
  }
  for (const m of withFindings) {
    out.push("", `#### \`${m.file}\``, "", "| Line | Severity | Rule | Finding | Instead |", "|---|---|---|---|---|");
    for (const f of m.findings) {
      const severity = f.acknowledged ? `~~${f.severity}~~ acknowledged: ${cell(f.acknowledgedReason ?? "")}` : f.severity;
      out.push(`| ${f.line}:${f.column} | ${severity} | \`${f.rule}\` | ${cell(f.message)} | ${cell(f.hint)} |`);
    }
  }
  if (!verdict.allowed) {
    out.push("", "#### Why the stack refuses");
    for (const reason of verdict.reasons) out.push("", "```text", reason, "```");
  }
  return out.join("\n");
}

/**
 * The comment of a run that stopped before it could lint (a stack file in error, migration files
 * dbpipe refuses, a flag it does not know): what is wrong, as stderr says it, so that the job
 * summary or the pull request says why there is no report.
 */
export function formatMarkdownFailure(failure: LintFailure): string {
  const stack = `stack \`${failure.stack}\`${failure.tier ? ` (tier ${failure.tier})` : ""}`;
  return [`### dbpipe lint · ${stack}: **not linted**`, "", `dbpipe lint stopped before it could lint the migrations (exit ${failure.exitCode}):`, "", "```text", failure.message, "```"].join("\n");
}

/** Text safe inside a table cell: no pipes or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}
