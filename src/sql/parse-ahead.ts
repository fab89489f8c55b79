import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { SqlSection } from "../migration";
import type { ParseAheadAnswer, ParseAheadJob } from "./parse-ahead-worker";
import { type ParsedSection, type SectionParse, SqlSyntaxError, parseSqlSectionFrom, sectionParserText } from "./parse";
import { parsesAhead } from "./lanes";

/**
 * Parsing one thread ahead of the lint. On a machine of two cores, a second lint lane costs more
 * than it saves (it loads the rules and lints cold, and the lanes exchange schema events and
 * results); but the parser's own run over the SQL — half of a cold lint — needs nothing from the
 * lint. So one thread parses every section in order and sends the parser's JSON text (a string
 * crosses threads in one copy) with where the section's statements and comments stand in its text
 * (worked out there from the text and the JSON, without building the tree: parse.ts's Placement),
 * while this thread builds each tree from it and lints, file after file, as the answers arrive. The trees and every message are the ones a parse in this thread
 * gives (parse.ts turns the same answer into the same statements and errors).
 */

/** The thread's script: present when running the built dbpipe (dist/), absent when running the TypeScript sources. */
const WORKER_SCRIPT = path.join(__dirname, "parse-ahead-worker.js");

/** A parse-ahead thread, started before the files are read so that its start-up overlaps the reading. */
export class ParseAhead {
  private readonly answers: (SectionParse | null)[] = [];
  /** The index of the next answer {@link next} gives. */
  private taken = 0;
  private waiting?: () => void;
  private failure?: Error;
  /** Every section submitted, in order; the answers come in the same order. */
  private readonly sections: ({ section: SqlSection; file: string } | undefined)[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on("message", (message: ParseAheadAnswer) => {
      // An answer to a section already given up (see skip) is not kept.
      for (const a of message.answers) this.answers.push(this.answers.length < this.taken ? null : a);
      if (message.failure) this.fail(new Error(`the SQL parser failed: ${message.failure}`));
      this.wake();
    });
    worker.on("error", (error: Error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`the SQL parser's thread stopped (exit code ${code})`)));
  }

  /**
   * Starts the thread (or takes the one {@link prestartParseAhead} started), or gives `undefined`
   * when its script is not there (running the TypeScript sources).
   */
  static start(): ParseAhead | undefined {
    const ahead = prestarted ?? ParseAhead.started(true);
    prestarted = undefined;
    ahead?.worker.ref();
    return ahead;
  }

  /** Stops the thread {@link prestartParseAhead} started, if no lint took it. */
  static dropPrestarted(): void {
    const unused = prestarted;
    prestarted = undefined;
    if (unused) void unused.close();
  }

  /** A new thread (none without its script); one not `held` does not keep the process open. */
  static started(held: boolean): ParseAhead | undefined {
    if (!fs.existsSync(WORKER_SCRIPT)) return undefined;
    const worker = new Worker(WORKER_SCRIPT);
    if (!held) worker.unref();
    return new ParseAhead(worker);
  }

  /**
   * Sends sections to parse, in the order {@link next} will take them (after any submitted before).
   * Returns the index past them, for {@link skip}.
   */
  submit(sections: { section: SqlSection; file: string }[]): number {
    for (const s of sections) this.sections.push(s);
    const job: ParseAheadJob = { texts: sections.map((s) => sectionParserText(s.section) ?? null) };
    this.worker.postMessage(job);
    return this.sections.length;
  }

  /** Gives up the sections not yet taken before index `end` (a lint that stopped early), so that the next {@link next} is the one after them. */
  skip(end: number): void {
    for (let i = this.taken; i < end; i++) {
      this.sections[i] = undefined;
      if (i < this.answers.length) this.answers[i] = null;
    }
    this.taken = Math.max(this.taken, end);
  }

  /** The next submitted section, parsed (a {@link SqlSyntaxError} when its SQL does not parse, as parseSqlSection throws it). */
  async next(): Promise<ParsedSection> {
    while (this.answers.length <= this.taken) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    const i = this.taken++;
    const answer = this.answers[i];
    const { section, file } = this.sections[i] as { section: SqlSection; file: string };
    // Dropped once taken: the JSON text and the section are not needed again.
    this.answers[i] = null;
    this.sections[i] = undefined;
    return parseSqlSectionFrom(section, file, answer ?? undefined);
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    this.failure ??= new Error("the SQL parser's thread was closed");
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
}

let prestarted: ParseAhead | undefined;

/**
 * Starts the parse-ahead thread now when a lint on `jobs` lanes will parse ahead, for the lint
 * that follows to take (`LintPool.start`): a front end calls it before it loads the linter, so that
 * the thread's start (some 80 ms to its first parse) overlaps the loading. The thread holds the
 * process open only once taken.
 */
export function prestartParseAhead(jobs: number): void {
  if (!prestarted && parsesAhead(jobs)) prestarted = ParseAhead.started(false);
}

/** Like {@link ParseAhead.next}, with a syntax error as a value, as tryParseMigration gives it. */
export async function nextOrError(ahead: ParseAhead): Promise<ParsedSection | SqlSyntaxError> {
  try {
    return await ahead.next();
  } catch (error) {
    if (error instanceof SqlSyntaxError) return error;
    throw error;
  }
}
