import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { DbpipeError, type ErrorKind, FailureError, InputError } from "../errors";
import type { Migration } from "../migration";
import {
  DEFAULT_LARGE_TABLE_ROWS,
  type LintOptions,
  type LintedMigration,
  Linter,
  applyTableSizes,
  checkRuleSeverity,
  lintMigrations,
  parseMigration,
  schemaEventsOf,
  sortByVersion,
  tryParseMigration,
} from "./lint";
import { type ParsedSection, SqlSyntaxError, loadParser } from "./parse";
import { AllowDirectiveError } from "./allow";
import { defaultJobs, parsesAhead } from "./lanes";
import { ParseAhead, nextOrError } from "./parse-ahead";
import type { SchemaEvent } from "./schema-history";

/**
 * Linting a long migration history on every core. Parsing is most of the cost, and each file
 * parses on its own; what one migration's findings depend on from the others is the schema
 * history, which is plain data (schema events). So every lane (this thread and one worker per
 * extra core) takes the next file not yet taken from a shared counter and parses it, until none
 * is left: a lane that starts late or runs slower simply takes fewer. The lanes then exchange the
 * files' schema events (through this thread), and each lints its own files in version order,
 * applying the events of the others' files between them. The result is the same, finding for
 * finding, as linting in one thread.
 */

/** Below this many migrations, starting workers costs more than it saves. */
export const PARALLEL_THRESHOLD = 64;

/** The worker's script: present when running the built dbpipe (dist/), absent when running the TypeScript sources. */
const WORKER_SCRIPT = path.join(__dirname, "lint-worker.js");

/** What a worker is asked to do first: parse what it can take of `migrations`. */
export interface LintJob {
  /** Every migration being linted, in version order. */
  migrations: Migration[];
  /** Lint options without the functions and the history (workers never reach the database). */
  options: Omit<LintOptions, "tableRows" | "history" | "historyEvents">;
  /** The index of the next migration no lane has taken yet (an Int32Array of one, on a SharedArrayBuffer). */
  next: Int32Array;
}

/** What a worker answers once it has parsed its files. */
export interface ParsedAnswer {
  /** The indexes of the files it took, ascending. */
  indexes: number[];
  /** The schema events of each of them, as JSON (see {@link Claimed}). */
  events: string[];
  /** The first error it met, if any (it took no file after it). */
  failure?: { index: number; error: WorkerError };
}

/** What a worker is told next: the schema events of every file, and where to stop. */
export interface HistoryMessage {
  /** The events of the history before the linted files, as JSON. */
  before: string;
  /** The events of each file the worker did not take, as JSON, by index (undefined for its own and past `stopAt`). */
  events: (string | undefined)[];
  /** Lint only files before this index (the earliest error's, or all of them). */
  stopAt: number;
}

/** What a worker answers at the end. */
export interface LintedAnswer {
  /** Its files' results, in the order of its `indexes`, up to `stopAt`. */
  linted: LintedMigration[];
  failure?: { index: number; error: WorkerError };
}

/**
 * The files a lane took and parsed, with their schema events as JSON: the other lanes need them,
 * and a JSON string crosses to another thread in a copy of its bytes, where a structured clone of
 * the events (some 12,000 small objects for 1,000 files) took 2-3 times as long as
 * `JSON.stringify` and `JSON.parse` of them.
 */
export interface Claimed {
  indexes: number[];
  parsed: (ParsedSection | SqlSyntaxError)[];
  events: string[];
  failure?: { index: number; error: unknown };
}

/** Takes the next untaken migration from `next` and parses it, until none is left or one fails. */
export function parseClaimed(migrations: readonly Migration[], next: Int32Array): Claimed {
  const claimed: Claimed = { indexes: [], parsed: [], events: [] };
  for (let index = Atomics.add(next, 0, 1); index < migrations.length; index = Atomics.add(next, 0, 1)) {
    try {
      const p = tryParseMigration(migrations[index]);
      claimed.events.push(p instanceof SqlSyntaxError ? "[]" : JSON.stringify(schemaEventsOf(p)));
      claimed.parsed.push(p);
      claimed.indexes.push(index);
    } catch (error) {
      claimed.failure = { index, error };
      break;
    }
  }
  return claimed;
}

/**
 * Lints a lane's files in version order with `linter` (whose history holds the events before the
 * first file), applying the other files' `events` in between; stops before `stopAt`.
 */
export function lintClaimed(linter: Linter, migrations: readonly Migration[], claimed: Claimed, events: readonly (string | undefined)[], stopAt: number): { linted: LintedMigration[]; failure?: { index: number; error: unknown } } {
  const linted: LintedMigration[] = [];
  let k = 0;
  for (let own = 0; own < claimed.indexes.length && claimed.indexes[own] < stopAt; own++) {
    const index = claimed.indexes[own];
    for (; k < index; k++) {
      const json = events[k];
      if (json !== undefined && json !== "[]") linter.history.apply(JSON.parse(json) as SchemaEvent[]);
    }
    k = index + 1;
    try {
      linted.push(linter.lint(migrations[index], claimed.parsed[own]));
    } catch (error) {
      return { linted, failure: { index, error } };
    }
  }
  return { linted };
}

/** The next message from `worker`. */
function receive<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      worker.off("message", onMessage);
      reject(error);
    };
    const onMessage = (message: T) => {
      worker.off("error", onError);
      resolve(message);
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
  });
}

/** Workers started ahead of the files they will lint, so their start-up overlaps reading the files. */
export class LintPool {
  private constructor(
    private readonly workers: Worker[],
    /** With one lane on two cores or more: the thread that parses ahead of it. */
    private readonly ahead?: ParseAhead,
  ) {}

  /**
   * Starts `jobs - 1` workers (this thread is the first lane). With one lane on a machine of two
   * cores or more, starts instead a thread that parses ahead of this one (see parse-ahead.ts),
   * unless `threads` is false. Starts nothing when the worker scripts are not there (running the
   * TypeScript sources): linting then runs here.
   */
  static start(jobs: number = defaultJobs(), threads = true): LintPool {
    if (!threads) {
      // Too few files for a thread to pay: one started ahead of the count is not needed.
      ParseAhead.dropPrestarted();
      return new LintPool([]);
    }
    if (jobs <= 1) return new LintPool([], parsesAhead(jobs) ? ParseAhead.start() : undefined);
    if (!fs.existsSync(WORKER_SCRIPT)) return new LintPool([]);
    return new LintPool(Array.from({ length: jobs - 1 }, () => new Worker(WORKER_SCRIPT)));
  }

  /** Lints `migrations` as {@link lintMigrations} does: parsed ahead when the pool has that thread, else on every lane when there are enough of them. */
  async lint(migrations: readonly Migration[], options: LintOptions = {}): Promise<LintedMigration[]> {
    // A thread started ahead (the files were still to be read) is used however few they turned out to be: it has already loaded the parser, which this thread has not.
    if (this.ahead) return lintParsedAhead(this.ahead, migrations, options);
    if (this.workers.length === 0 || migrations.length < PARALLEL_THRESHOLD) return lintMigrations(migrations, options);
    checkRuleSeverity(options.ruleSeverity ?? {}, options.settingsSource);
    const sorted = sortByVersion(migrations);
    const { tableRows, history, historyEvents, ...plain } = options;
    const next = new Int32Array(new SharedArrayBuffer(4));
    const parsedAnswers = this.workers.map((worker) => {
      const answer = receive<ParsedAnswer>(worker);
      const job: LintJob = { migrations: sorted, options: plain, next };
      worker.postMessage(job);
      return answer;
    });

    // This thread is lane 0: it reads the history, then takes files as the workers do.
    await loadParser();
    const linter = new Linter(plain);
    const before: SchemaEvent[] = [];
    let own: Claimed;
    try {
      for (const m of sortByVersion(history ?? [])) {
        const p = parseMigration(m);
        linter.learn(m, p);
        for (const e of schemaEventsOf(p)) before.push(e);
      }
      linter.history.apply(historyEvents ?? []);
      for (const e of historyEvents ?? []) before.push(e);
      own = parseClaimed(sorted, next);
    } catch (error) {
      // The history comes before every file: its error is the one a one-thread run meets first.
      Atomics.store(next, 0, sorted.length);
      own = { indexes: [], parsed: [], events: [], failure: { index: -1, error } };
    }
    const parsed = await Promise.all(parsedAnswers);

    // Every file's events, by index; lint only up to the earliest error (a one-thread run stops there).
    const events: (string | undefined)[] = new Array(sorted.length);
    const failures: { index: number; error: unknown }[] = [];
    own.indexes.forEach((index, i) => (events[index] = own.events[i]));
    if (own.failure) failures.push(own.failure);
    for (const answer of parsed) {
      answer.indexes.forEach((index, i) => (events[index] = answer.events[i]));
      if (answer.failure) failures.push({ index: answer.failure.index, error: rebuildError(answer.failure.error) });
    }
    const stopAt = Math.min(sorted.length, ...failures.map((f) => f.index));
    const beforeJson = JSON.stringify(before);
    const lintedAnswers = this.workers.map((worker, lane) => {
      const answer = receive<LintedAnswer>(worker);
      const theirs = events.slice();
      for (const index of parsed[lane].indexes) theirs[index] = undefined;
      const message: HistoryMessage = { before: beforeJson, events: theirs, stopAt };
      worker.postMessage(message);
      return answer;
    });
    const mine = stopAt < 0 ? { linted: [] } : lintClaimed(linter, sorted, own, events, stopAt);
    const results = await Promise.all(lintedAnswers);

    // Report the error a one-thread run would have met first: the earliest migration's.
    if (mine.failure) failures.push(mine.failure);
    for (const r of results) if (r.failure) failures.push({ index: r.failure.index, error: rebuildError(r.failure.error) });
    if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
    const linted: LintedMigration[] = new Array(sorted.length);
    mine.linted.forEach((m, i) => (linted[own.indexes[i]] = m));
    results.forEach((r, lane) => r.linted.forEach((m, i) => (linted[parsed[lane].indexes[i]] = m)));
    if (tableRows) await applyTableSizes(linted, tableRows, options.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS);
    return linted;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all([...this.workers.map((w) => w.terminate()), this.ahead?.close()]);
  }
}

/**
 * {@link lintMigrations} with every section parsed by `ahead`'s thread: the same results, in the
 * same order, with the same first error; this thread builds the trees and lints as the parses arrive.
 */
async function lintParsedAhead(ahead: ParseAhead, migrations: readonly Migration[], options: LintOptions): Promise<LintedMigration[]> {
  const linter = new Linter(options);
  const sorted = sortByVersion(migrations);
  const history = options.checkOnly ? [] : sortByVersion(options.history ?? []);
  const end = ahead.submit([
    ...history.map((m) => ({ section: m.up, file: m.file })),
    ...sorted.flatMap((m) => [{ section: m.up, file: m.file }, ...(m.down ? [{ section: m.down, file: m.file }] : [])]),
  ]);
  const linted: LintedMigration[] = [];
  try {
    for (const m of history) linter.learn(m, await ahead.next());
    if (!options.checkOnly) linter.history.apply(options.historyEvents ?? []);
    for (const m of sorted) {
      const up = await nextOrError(ahead);
      linted.push(linter.lint(m, up, m.down ? await nextOrError(ahead) : undefined));
    }
  } finally {
    // Stopped by an error: what is left of this submission is not for the next one.
    ahead.skip(end);
  }
  if (options.tableRows) await applyTableSizes(linted, options.tableRows, options.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS);
  return linted;
}

/** An error as a worker sends it: its message and kind, and where a syntax error or a malformed directive is. */
export interface WorkerError {
  name: string;
  message: string;
  kind?: ErrorKind;
  syntax?: { file: string; line: number; column: number; parserMessage: string; snippet: string };
  directive?: { file: string; line: number; column: number; problem: string };
}

/** A worker's error as the error the CLI reports (its message, its kind, its position). */
function rebuildError(error: WorkerError): Error {
  if (error.syntax) {
    const { file, line, column, parserMessage, snippet } = error.syntax;
    return new SqlSyntaxError(file, line, column, parserMessage, snippet);
  }
  if (error.directive) return new AllowDirectiveError(error.directive.file, error.directive.line, error.directive.column, error.directive.problem);
  if (error.kind === "invalid-input") return new InputError(error.message);
  if (error.kind === "failure") return new FailureError(error.message);
  return new Error(error.message);
}

/** An error as a worker sends it. */
export function serializeError(error: unknown): WorkerError {
  if (error instanceof SqlSyntaxError) {
    const snippet = error.message.slice(error.message.indexOf("\n") + 1);
    return { name: error.name, message: error.message, kind: error.kind, syntax: { file: error.file, line: error.line, column: error.column, parserMessage: error.parserMessage, snippet } };
  }
  if (error instanceof AllowDirectiveError) {
    return { name: error.name, message: error.message, kind: error.kind, directive: { file: error.file, line: error.line, column: error.column, problem: error.problem } };
  }
  if (error instanceof DbpipeError) return { name: error.name, message: error.message, kind: error.kind };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
