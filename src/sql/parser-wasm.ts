/**
 * PostgreSQL's parser (libpg-query's WebAssembly build), called directly: one instance per thread,
 * shared by the full parse (`parse.ts`), the check-only parse (`check-parse.ts`) and the parse-ahead
 * thread (`parse-ahead-worker.ts`). libpg-query's own entry point does the same call, but encodes
 * the SQL and decodes the result in JavaScript and parses the JSON itself; here the text goes in
 * and the result comes out through Node's native UTF-8 encoder and decoder, and each caller reads
 * the result as it needs it (the check-only parse never decodes it; a parse in another thread sends
 * the JSON text on, as a string crosses threads in one copy). A leaf: it imports nothing of dbpipe.
 */

/** The part of the parser's Emscripten module this uses. */
interface ParserModule {
  HEAPU8: Uint8Array;
  getValue(pointer: number, type: "i32"): number;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _wasm_parse_query_raw(query: number): number;
  _wasm_free_parse_result(result: number): void;
}

/** Where and why the parser rejected the SQL, as libpg-query reports it. */
export interface RawParseError {
  /** The parser's message, e.g. `syntax error at or near "TABEL"`. */
  message: string;
  /** Where, in characters (code points) from 0. */
  cursorPosition: number;
}

/** The parser's answer: its result read by the caller's reader, or its error. */
export type RawParse<T> = { tree: T; error?: undefined } | { error: RawParseError; tree?: undefined };

/**
 * SQL a thread that parses for another one (`parse-ahead-worker.ts`, `check-ahead-worker.ts`)
 * parses once as soon as the parser is loaded, while the main thread still reads the files: the
 * parser's first calls cost more than later ones (the first parse of 1,000 files' first batch took
 * some 30 ms, which the main thread spent waiting for it), and this pays that before the first job.
 */
export const PARSER_WARM_UP = `CREATE TABLE w (id bigint PRIMARY KEY, t text NOT NULL DEFAULT 'x', j jsonb, CHECK (id > 0));
CREATE INDEX w_t ON w (t) WHERE j IS NOT NULL; ALTER TABLE w ADD COLUMN c int REFERENCES w (id) NOT VALID;
INSERT INTO w (id, t) VALUES (1, 'a') ON CONFLICT DO NOTHING; UPDATE w SET t = 'b' WHERE id = 1;
CREATE VIEW v AS SELECT id, count(*) FROM w GROUP BY id;
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
GRANT SELECT ON w TO r; COMMENT ON TABLE w IS 'w';`;

let instance: ParserModule | undefined;
let loading: Promise<ParserModule> | undefined;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Loads the parser's WebAssembly module in this thread; later calls return at once. */
export async function loadParserWasm(): Promise<void> {
  if (instance) return;
  loading ??= (async () => {
    tuneV8ForTheParser();
    // The Emscripten factory libpg-query's own entry point instantiates.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require("libpg-query/wasm/libpg-query.js") as () => Promise<ParserModule>;
    return factory();
  })();
  instance = await loading;
}

/** Whether {@link loadParserWasm} has finished in this thread. */
export function parserWasmLoaded(): boolean {
  return instance !== undefined;
}

/**
 * Parses `text` (SQL as the parser is given it: see `sql-text.ts`'s parserText) and gives the
 * parser's JSON result, as bytes in the module's memory, to `read`, whose answer is returned; the
 * bytes are freed afterwards. Requires {@link loadParserWasm}.
 */
export function parseRaw<T>(text: string, read: (heap: Uint8Array, start: number, end: number) => T): RawParse<T> {
  const m = instance;
  if (!m) throw new Error("the SQL parser is not loaded: await loadParserWasm() first");
  // The parser answers an empty query with no result at all (libpg-query's entry point refuses
  // one); a blank holds no statement either, and gets the empty list of statements it should.
  if (text === "") text = " ";
  const size = Buffer.byteLength(text, "utf8") + 1;
  const query = m._malloc(size);
  let result = 0;
  try {
    const heap = m.HEAPU8;
    encoder.encodeInto(text, heap.subarray(query, query + size - 1));
    heap[query + size - 1] = 0;
    result = m._wasm_parse_query_raw(query);
    if (!result) throw new Error("the SQL parser could not allocate its result");
    // struct PgQueryParseResult { char* parse_tree; char* stderr_buffer; PgQueryError* error; }
    const tree = m.getValue(result, "i32");
    const error = m.getValue(result + 8, "i32");
    // The parse may have grown the module's memory, which replaces HEAPU8.
    const after = m.HEAPU8;
    if (error) {
      // struct PgQueryError { char* message; char* funcname; char* filename; int lineno; int cursorpos; char* context; }
      const message = m.getValue(error, "i32");
      const cursor = m.getValue(error + 16, "i32");
      // As libpg-query's entry point reports it: the cursor from 0.
      return { error: { message: message ? cString(after, message) : "Unknown error", cursorPosition: cursor > 0 ? cursor - 1 : 0 } };
    }
    if (!tree) throw new Error("the SQL parser returned no result");
    return { tree: read(after, tree, after.indexOf(0, tree)) };
  } finally {
    m._free(query);
    if (result) m._wasm_free_parse_result(result);
  }
}

/** {@link parseRaw} giving the parser's JSON as text. */
export function parseToJson(text: string): RawParse<string> {
  return parseRaw(text, (heap, start, end) => decoder.decode(heap.subarray(start, end)));
}

function cString(heap: Uint8Array, at: number): string {
  return decoder.decode(heap.subarray(at, heap.indexOf(0, at)));
}

let tuned = false;

/**
 * Sets the V8 flags every load of the parser runs under, before the WebAssembly module compiles;
 * process-wide, once.
 */
export function tuneV8ForTheParser(): void {
  if (tuned) return;
  tuned = true;
  // The parser is a large WebAssembly module. V8 compiles it at once with its baseline compiler
  // (Liftoff), then recompiles the hot functions with its optimising one on background threads;
  // in a run of seconds that second compile costs more CPU than it saves (parsing 1,000 files:
  // 0.86 s of CPU with it, 0.52 s without, and less wall time too). The flag only affects
  // WebAssembly compiled from now on, and the parser is the only module dbpipe compiles.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const v8 = require("node:v8") as typeof import("node:v8");
  v8.setFlagsFromString("--liftoff-only");
  // The same holds for JavaScript: V8 (Node 20) sends a function to its optimising compiler, on a
  // background thread, once it has run through its interrupt budget (66 KB of bytecode executed) a
  // few times; linting 1,000 files then pays for about 210 such compiles (`--trace-opt`), most
  // finishing too late to repay their CPU. A budget nine times larger optimises only what stays
  // hot (86 compiles; the same files then take 0.91 s of CPU instead of 1.13 s, in the same wall
  // time or less). A process that runs for minutes still optimises its hot code, a little later.
  v8.setFlagsFromString("--interrupt-budget=600000");
}
