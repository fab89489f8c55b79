import { parentPort } from "node:worker_threads";
import { type SectionParse, parseSectionAhead } from "./parse";
import { PARSER_WARM_UP, loadParserWasm } from "./parser-wasm";

/**
 * The parse-ahead thread (see parse-ahead.ts): runs PostgreSQL's parser over the texts it is sent,
 * in order, and sends back the parser's JSON (or its error) for each, with where its statements
 * stand in the text (parse.ts's Placement), in batches.
 */

/** What the thread is sent: texts to parse, in order (`null`: nothing to parse, answered `null`). */
export interface ParseAheadJob {
  texts: (string | null)[];
}

/** What it answers: the next answers, in the order of the texts. */
export interface ParseAheadAnswer {
  answers: (SectionParse | null)[];
  /** Set when parsing failed in a way that is not the SQL's fault; no answers follow. */
  failure?: string;
}

/** Answers per message: few enough that the first arrive at once, enough that messages cost little. */
const BATCH = 8;

// Compiled (and warmed up) while the main thread reads the files, before the first job arrives.
const loaded = loadParserWasm().then(() => void parseSectionAhead(PARSER_WARM_UP));

parentPort?.on("message", (job: ParseAheadJob) => void run(job));

async function run(job: ParseAheadJob): Promise<void> {
  let batch: (SectionParse | null)[] = [];
  try {
    await loaded;
    for (const text of job.texts) {
      batch.push(text === null ? null : parseSectionAhead(text));
      if (batch.length === BATCH) {
        parentPort?.postMessage({ answers: batch } satisfies ParseAheadAnswer);
        batch = [];
      }
    }
    parentPort?.postMessage({ answers: batch } satisfies ParseAheadAnswer);
  } catch (error) {
    parentPort?.postMessage({ answers: batch, failure: error instanceof Error ? error.message : String(error) } satisfies ParseAheadAnswer);
  }
}
