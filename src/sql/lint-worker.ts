import { parentPort } from "node:worker_threads";
import { type HistoryMessage, type LintJob, type LintedAnswer, type ParsedAnswer, lintClaimed, parseClaimed, serializeError } from "./lint-parallel";
import { Linter } from "./lint";
import { loadParser } from "./parse";
import type { SchemaEvent } from "./schema-history";

/**
 * A lint worker (see lint-parallel.ts): takes and parses files while there are any left, sends
 * their schema events, receives every file's, lints its own files, and answers.
 */

// Compiled while the main thread reads the files, before the first job arrives.
const parser = loadParser();

/** Receives the next message from the main thread. */
function receive<T>(): Promise<T> {
  return new Promise((resolve) => parentPort?.once("message", resolve));
}

async function run(job: LintJob): Promise<void> {
  await parser;
  const claimed = parseClaimed(job.migrations, job.next);
  const parsedAnswer: ParsedAnswer = { indexes: claimed.indexes, events: claimed.events, ...(claimed.failure ? { failure: { index: claimed.failure.index, error: serializeError(claimed.failure.error) } } : {}) };
  const history = receive<HistoryMessage>();
  parentPort?.postMessage(parsedAnswer);
  const { before, events, stopAt } = await history;
  let answer: LintedAnswer;
  try {
    const linter = new Linter(job.options);
    linter.history.apply(JSON.parse(before) as SchemaEvent[]);
    const { linted, failure } = lintClaimed(linter, job.migrations, claimed, events, stopAt);
    answer = { linted, ...(failure ? { failure: { index: failure.index, error: serializeError(failure.error) } } : {}) };
  } catch (error) {
    answer = { linted: [], failure: { index: claimed.indexes[0] ?? 0, error: serializeError(error) } };
  }
  parentPort?.postMessage(answer);
}

parentPort?.once("message", (job: LintJob) => void run(job));
