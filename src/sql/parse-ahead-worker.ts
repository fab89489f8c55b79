import { parentPort } from "node:worker_threads";
import { type SectionParse, parseSectionAhead } from "./parse";
import { loadParserWasm } from "./parser-wasm";

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

/**
 * Parsed once as soon as the parser is loaded, while the main thread still reads the files: the
 * parser's first calls cost more than later ones (the first parse of 1,000 files' first batch took
 * some 30 ms, which the main thread spent waiting for it), and this pays that before the first job.
 */
const WARM_UP = `CREATE TABLE w (id bigint PRIMARY KEY, t text NOT NULL DEFAULT 'x', j jsonb, CHECK (id > 0));
CREATE INDEX w_t ON w (t) WHERE j IS NOT NULL; ALTER TABLE w ADD COLUMN c int REFERENCES w (id) NOT VALID;
INSERT INTO w (id, t) VALUES (1, 'a') ON CONFLICT DO NOTHING; UPDATE w SET t = 'b' WHERE id = 1;
CREATE VIEW v AS SELECT id, count(*) FROM w GROUP BY id;
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
GRANT SELECT ON w TO r; COMMENT ON TABLE w IS 'w';`;

// Compiled (and warmed up) while the main thread reads the files, before the first job arrives.
const loaded = loadParserWasm().then(() => void parseSectionAhead(WARM_UP));

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
