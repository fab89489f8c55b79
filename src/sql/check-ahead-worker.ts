import { parentPort, workerData } from "node:worker_threads";
import { type SectionCheck, checkText, loadSectionChecker } from "./check-parse";
import { PARSER_WARM_UP } from "./parser-wasm";

/**
 * The check-ahead thread (see check-ahead.ts): runs the check-only parse over the texts it is
 * sent, in order, and sends back each answer, in batches.
 */

/** What the thread is sent: section texts, in the order the answers come back. */
export interface CheckAheadJob {
  texts: string[];
}

/** What it answers: the next answers, in the order of the texts. */
export interface CheckAheadAnswer {
  answers: SectionCheck[];
  /** Set when parsing failed in a way that is not the SQL's fault; no answers follow. */
  failure?: string;
}

/** What the thread is started with. */
export interface CheckAheadData {
  /** A SharedArrayBuffer of one Int32: set to 1 when no more answers are wanted (the thread stops at the next text). */
  stop: SharedArrayBuffer;
}

/** Answers per message: a check is a few bytes, and the main thread waits for one at a time. */
const BATCH = 32;

const stop = new Int32Array((workerData as CheckAheadData).stop);

// Compiled and warmed up while the main thread reads the stack's settings and files.
const loaded = loadSectionChecker().then(() => void checkText(PARSER_WARM_UP));

parentPort?.on("message", (job: CheckAheadJob) => void run(job));

async function run(job: CheckAheadJob): Promise<void> {
  let batch: SectionCheck[] = [];
  try {
    await loaded;
    for (const text of job.texts) {
      // Checked per text: a run with nothing pending, or one already applying, wants no more.
      if (Atomics.load(stop, 0) !== 0) return;
      batch.push(checkText(text));
      if (batch.length === BATCH) {
        parentPort?.postMessage({ answers: batch } satisfies CheckAheadAnswer);
        batch = [];
      }
    }
    parentPort?.postMessage({ answers: batch } satisfies CheckAheadAnswer);
  } catch (error) {
    parentPort?.postMessage({ answers: batch, failure: error instanceof Error ? error.message : String(error) } satisfies CheckAheadAnswer);
  }
}
