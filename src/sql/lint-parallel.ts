import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
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
import type { SchemaEvent } from "./schema-history";

/**
 * Linting a long migration history on every core. Parsing is most of the cost, and each file
 * parses on its own; what one migration's findings depend on from the others is the schema
 * history, which is plain data (schema events). So the migrations are cut into contiguous chunks,
 * one per lane (this thread and one worker per extra core); every lane parses its chunk at once,
 * then receives the events of all earlier chunks down a chain of message ports, passes them on
 * with its own, and lints. The result is the same, finding for finding, as linting in one thread.
 */

/** Below this many migrations, starting workers costs more than it saves. */
export const PARALLEL_THRESHOLD = 64;

/** The worker's script: present when running the built dbpipe (dist/), absent when running the TypeScript sources. */
const WORKER_SCRIPT = path.join(__dirname, "lint-worker.js");

/** What a worker is asked to do. */
export interface LintJob {
  /** The chunk to lint, in version order. */
  migrations: Migration[];
  /** Lint options without the functions and the history (workers never reach the database). */
  options: Omit<LintOptions, "tableRows" | "history" | "historyEvents">;
  /** Where the events of every earlier chunk arrive. */
  previous: MessagePort;
  /** Where to pass them on, with this chunk's own; absent for the last chunk. */
  next?: MessagePort;
}

/** What a worker answers. */
export type LintJobResult =
  | { ok: true; linted: LintedMigration[] }
  | { ok: false; index: number; error: WorkerError };

/** Workers started ahead of the files they will lint, so their start-up overlaps reading the files. */
export class LintPool {
  private readonly workers: Worker[];

  private constructor(workers: Worker[]) {
    this.workers = workers;
  }

  /**
   * Starts `jobs - 1` workers (this thread is the first lane). Starts none when `jobs` is 1 or
   * when the worker script is not there (running the TypeScript sources): linting then runs here.
   */
  static start(jobs: number = defaultJobs()): LintPool {
    if (jobs <= 1 || !fs.existsSync(WORKER_SCRIPT)) return new LintPool([]);
    return new LintPool(Array.from({ length: jobs - 1 }, () => new Worker(WORKER_SCRIPT)));
  }

  /** Lints `migrations` as {@link lintMigrations} does, on every lane when there are enough of them. */
  async lint(migrations: readonly Migration[], options: LintOptions = {}): Promise<LintedMigration[]> {
    if (this.workers.length === 0 || migrations.length < PARALLEL_THRESHOLD) return lintMigrations(migrations, options);
    checkRuleSeverity(options.ruleSeverity ?? {}, options.settingsSource);
    const sorted = sortByVersion(migrations);
    const chunks = splitBySize(sorted, this.workers.length + 1);
    if (chunks.length < 2) return lintMigrations(migrations, options);
    const { tableRows, history, historyEvents, ...plain } = options;
    const ports = chunks.slice(1).map(() => new MessageChannel());

    const answers = this.workers.slice(0, chunks.length - 1).map(
      (worker, i) =>
        new Promise<LintJobResult>((resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
          const job: LintJob = { migrations: chunks[i + 1], options: plain, previous: ports[i].port2, next: ports[i + 1]?.port1 };
          worker.postMessage(job, [job.previous, ...(job.next ? [job.next] : [])]);
        }),
    );

    // This thread is lane 0: it reads the history, parses its chunk, and starts the chain.
    let own: LintedMigration[] = [];
    let failure: { index: number; error: unknown } | undefined;
    await loadParser();
    const linter = new Linter(plain);
    const parsed: (ParsedSection | SqlSyntaxError)[] = [];
    const events: SchemaEvent[] = [];
    try {
      for (const m of sortByVersion(history ?? [])) {
        const p = parseMigration(m);
        linter.learn(m, p);
        events.push(...schemaEventsOf(p));
      }
      linter.history.apply(historyEvents ?? []);
      events.push(...(historyEvents ?? []));
      for (const m of chunks[0]) {
        const p = tryParseMigration(m);
        parsed.push(p);
        if (!(p instanceof SqlSyntaxError)) events.push(...schemaEventsOf(p));
      }
    } catch (error) {
      failure = { index: parsed.length, error };
    }
    ports[0].port1.postMessage(events);
    ports[0].port1.close();
    if (!failure) {
      try {
        own = chunks[0].map((m, i) => linter.lint(m, parsed[i]));
      } catch (error) {
        failure = { index: own.length, error };
      }
    }

    const results = await Promise.all(answers);
    // Report the error a one-thread run would have met first: the earliest migration's.
    if (failure) throw failure.error;
    const failed = results.find((r): r is Extract<LintJobResult, { ok: false }> => !r.ok);
    if (failed) throw rebuildError(failed.error);
    const linted = [...own, ...results.flatMap((r) => (r.ok ? r.linted : []))];
    if (tableRows) await applyTableSizes(linted, tableRows, options.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS);
    return linted;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * One lane per core, at most 8, on machines with 4 cores or more; else 1. On 2 cores a second lane
 * costs more than it saves (each worker loads the parser and the rules itself, and results are
 * copied back): 1,000 files took 1.78 s of CPU on two lanes against 1.16 s on one (bench/lint/RESULTS.md).
 */
export function defaultJobs(): number {
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return cores >= 4 ? Math.min(8, cores) : 1;
}

/** Cuts `migrations` into at most `lanes` contiguous chunks of about the same amount of SQL. */
function splitBySize(migrations: Migration[], lanes: number): Migration[][] {
  const total = migrations.reduce((sum, m) => sum + m.up.text.length, 0);
  const chunks: Migration[][] = [];
  let current: Migration[] = [];
  let size = 0;
  for (const m of migrations) {
    current.push(m);
    size += m.up.text.length;
    if (size >= (total * (chunks.length + 1)) / lanes && chunks.length < lanes - 1) {
      chunks.push(current);
      current = [];
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** An error as a worker sends it: its message and kind, and where a syntax error is. */
export interface WorkerError {
  name: string;
  message: string;
  kind?: ErrorKind;
  syntax?: { file: string; line: number; column: number; parserMessage: string; snippet: string };
}

/** A worker's error as the error the CLI reports (its message, its kind, its position). */
function rebuildError(error: WorkerError): Error {
  if (error.syntax) {
    const { file, line, column, parserMessage, snippet } = error.syntax;
    return new SqlSyntaxError(file, line, column, parserMessage, snippet);
  }
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
  if (error instanceof DbpipeError) return { name: error.name, message: error.message, kind: error.kind };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
