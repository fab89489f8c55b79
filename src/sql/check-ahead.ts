import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Migration, SqlSection } from "../migration";
import type { CheckAheadAnswer, CheckAheadData, CheckAheadJob } from "./check-ahead-worker";
import type { CheckSource, SectionCheck } from "./check-parse";

/**
 * The check-only parse (check-parse.ts) one thread ahead. Before `up` applies anything on a tier
 * where risk cannot matter, every pending file must parse: some 100 ms of parsing on 1,000 files,
 * which the main thread did after connecting and reading the history, while the database waited.
 * A front end that knows it is about to deploy starts this thread first: the thread loads the
 * parser while the main thread reads the settings and the files, checks them while it connects,
 * locks and reads the history, and the first migration starts as soon as the pending files are
 * checked. The answers are {@link checkText}'s own, computed in the other thread; any failure of
 * the thread only means the main thread parses for itself.
 */

/** The thread's script: present when running the built dbpipe (dist/), absent when running the TypeScript sources. */
const WORKER_SCRIPT = path.join(__dirname, "check-ahead-worker.js");

export class CheckAhead implements CheckSource {
  /** Each submitted section's place in the answers. */
  private readonly places = new Map<SqlSection, number>();
  private readonly answers: SectionCheck[] = [];
  private waiting: (() => void)[] = [];
  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    /** Set to 1 by {@link close}: the thread stops at the next text. */
    private readonly stopFlag: Int32Array,
  ) {
    worker.on("message", (message: CheckAheadAnswer) => {
      for (const a of message.answers) this.answers.push(a);
      if (message.failure) this.stopped = true;
      this.wake();
    });
    worker.on("error", () => this.stop());
    worker.on("exit", () => this.stop());
    // It never holds the process open: only a caller waiting for an answer does (see answer).
    worker.unref();
  }

  /** Starts the thread, or gives `undefined` when its script is not there (running the TypeScript sources). */
  static start(): CheckAhead | undefined {
    if (!fs.existsSync(WORKER_SCRIPT)) return undefined;
    const stop = new SharedArrayBuffer(4);
    return new CheckAhead(new Worker(WORKER_SCRIPT, { workerData: { stop } satisfies CheckAheadData }), new Int32Array(stop));
  }

  /**
   * Sends the up and down sections of `migrations` to check, newest first: where the database has
   * a history, what is pending is the newest files, and their answers come first.
   */
  submit(migrations: readonly Migration[]): void {
    const texts: string[] = [];
    for (let i = migrations.length - 1; i >= 0; i--) {
      for (const section of [migrations[i].up, migrations[i].down]) {
        if (!section || this.places.has(section)) continue;
        this.places.set(section, this.places.size);
        texts.push(section.text);
      }
    }
    if (texts.length > 0) this.worker.postMessage({ texts } satisfies CheckAheadJob);
  }

  /** The thread's answer for `section`, once it is there; `undefined` when it was not submitted or the thread stopped. */
  async answer(section: SqlSection): Promise<SectionCheck | undefined> {
    const place = this.places.get(section);
    if (place === undefined) return undefined;
    if (this.answers.length <= place && !this.stopped) {
      this.worker.ref();
      try {
        while (this.answers.length <= place && !this.stopped) await new Promise<void>((resolve) => this.waiting.push(resolve));
      } finally {
        this.worker.unref();
      }
    }
    return this.answers[place];
  }

  /**
   * Stops the thread, as soon as no answer is wanted any more (nothing pending, or the first
   * migration started): it stops parsing at the next text, and nothing waits for it to end. Later
   * answers are `undefined`. Calling it again does nothing.
   */
  close(): void {
    if (Atomics.exchange(this.stopFlag, 0, 1) !== 0) return;
    this.stop();
    void this.worker.terminate();
  }

  private stop(): void {
    this.stopped = true;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }
}
