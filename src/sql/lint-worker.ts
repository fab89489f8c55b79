import { type MessagePort, parentPort } from "node:worker_threads";
import { type LintJob, type LintJobResult, serializeError } from "./lint-parallel";
import { type LintedMigration, Linter, schemaEventsOf, tryParseMigration } from "./lint";
import { type ParsedSection, SqlSyntaxError, loadParser } from "./parse";
import type { SchemaEvent } from "./schema-history";

/**
 * A lint worker (see lint-parallel.ts): parses its chunk, waits for the schema events of the
 * chunks before it, passes them on with its own, lints, and answers.
 */

/** Receives one message from `port`. */
function receive<T>(port: MessagePort): Promise<T> {
  return new Promise((resolve) => port.once("message", resolve));
}

parentPort?.on("message", async (job: LintJob) => {
  let answer: LintJobResult;
  const parsed: (ParsedSection | SqlSyntaxError)[] = [];
  try {
    await loadParser();
    let parseError: { index: number; error: unknown } | undefined;
    const own: SchemaEvent[] = [];
    try {
      for (const m of job.migrations) {
        const p = tryParseMigration(m);
        parsed.push(p);
        if (!(p instanceof SqlSyntaxError)) for (const e of schemaEventsOf(p)) own.push(e);
      }
    } catch (error) {
      parseError = { index: parsed.length, error };
    }
    const before = await receive<SchemaEvent[]>(job.previous);
    job.previous.close();
    if (job.next) {
      job.next.postMessage(before.concat(own));
      job.next.close();
    }
    if (parseError) throw parseError;
    const linter = new Linter(job.options);
    linter.history.apply(before);
    const linted: LintedMigration[] = [];
    try {
      for (const [i, m] of job.migrations.entries()) linted.push(linter.lint(m, parsed[i]));
    } catch (error) {
      throw { index: linted.length, error };
    }
    answer = { ok: true, linted };
  } catch (failure) {
    const { index, error } = failure as { index: number; error: unknown };
    answer = { ok: false, index: index ?? 0, error: serializeError(error ?? failure) };
  }
  parentPort?.postMessage(answer);
});
