import type { Verdict } from "../../risk/verdict";
import type { RiskLevel } from "../../risk-level";
import type { LintedMigration } from "../../sql/lint";
import type { Style } from "../output";

/**
 * Findings as a compiler prints them — `file:line:column severity rule message`, then the hint —
 * so editors and CI logs turn them into links; then the stack's verdict.
 */
export function formatText(migrations: readonly LintedMigration[], verdict: Verdict, style: Style): string[] {
  const lines: string[] = [];
  const colour: Record<RiskLevel, (t: string) => string> = { high: style.red, medium: style.yellow, low: style.cyan };
  const counts: Record<RiskLevel, number> = { high: 0, medium: 0, low: 0 };
  let acknowledged = 0;
  for (const m of migrations) {
    if (m.parseError) {
      const e = m.parseError;
      lines.push(`${style.bold(`${e.file}:${e.line}:${e.column}`)} ${style.red("error")} ${e.cannotRun ? "cannot run" : "does not parse"}: ${e.message}`);
      for (const l of e.snippet.split("\n")) if (l) lines.push(`    ${l}`);
    }
    for (const f of m.findings) {
      const ack = f.acknowledged ? ` ${style.dim(`(acknowledged: ${f.acknowledgedReason ?? ""})`)}` : "";
      lines.push(`${style.bold(`${m.file}:${f.line}:${f.column}`)} ${colour[f.severity](f.severity)} ${f.rule} ${f.message}${ack}`);
      lines.push(`    ${style.dim(`hint: ${f.hint}`)}`);
      if (f.acknowledged) acknowledged++;
      else counts[f.severity]++;
    }
  }
  if (lines.length > 0) lines.push("");
  const found = counts.high + counts.medium + counts.low + acknowledged;
  const unparsable = migrations.filter((m) => m.parseError && !m.parseError.cannotRun).length;
  const unrunnable = migrations.filter((m) => m.parseError?.cannotRun).length;
  const errors = [unparsable > 0 ? `${unparsable} that ${unparsable === 1 ? "does" : "do"} not parse` : "", unrunnable > 0 ? `${unrunnable} that dbpipe cannot run` : ""].filter(Boolean);
  const parts = (["high", "medium", "low"] as const).filter((l) => counts[l] > 0).map((l) => `${counts[l]} ${l}`);
  if (acknowledged > 0) parts.push(`${acknowledged} acknowledged`);
  const highest = highestRisk(colour[verdict.risk](verdict.risk), migrations.length, unparsable + unrunnable);
  lines.push(`${plural(migrations.length, "migration")}${errors.length > 0 ? ` (${errors.join(", ")})` : ""}, ${plural(found, "finding")}${parts.length ? ` (${parts.join(", ")})` : ""}; ${highest}.`);
  const stack = `Stack ${verdict.stack} (tier ${verdict.tier})`;
  if (verdict.allowed) {
    lines.push(`${stack}: ${style.green("allowed")}${verdict.backupRequired ? `, after a backup: ${verdict.backupReason}` : "."}`);
  } else {
    lines.push(`${stack}: ${style.red("refused")}.`);
    for (const reason of verdict.reasons) lines.push("", reason);
  }
  return lines;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * `highest risk <risk>` of a lint's `checked` migrations, `notAssessed` of which could not be (a file
 * that does not parse has no findings, which must not read as low risk): then the risk is the
 * others', `among the N assessed`, or `none assessed`. `risk` is shown as given (coloured, bold).
 */
export function highestRisk(risk: string, checked: number, notAssessed: number): string {
  if (notAssessed === 0) return `highest risk ${risk}`;
  const assessed = checked - notAssessed;
  return assessed === 0 ? "none assessed" : `highest risk ${risk} among the ${assessed} assessed`;
}
