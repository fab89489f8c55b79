import type { Migration, SqlSection } from "../migration";

/**
 * A check-only parse: whether a section's SQL parses, and whether it holds a transaction
 * statement, without building its parse tree. `up` on a tier where risk cannot matter only needs
 * to know that every pending file parses and has no `dbpipe:allow` to check; the full parse
 * (`parse.ts`) turns the parser's JSON into a tree for every statement, which costs more than the
 * parse itself (turning the JSON into objects, placing each statement and its comments, and
 * collecting the garbage). This runs the same parser (libpg-query, the same WebAssembly build),
 * reads its result where it lies in the module's memory and drops it. Callers fall back to the
 * full parse for anything this does not clear, so every message stays the full parse's own.
 */

/** What a check-only parse found out about a section. */
export interface SectionCheck {
  /** The parser accepted the SQL (an empty or comments-only section parses). */
  parses: boolean;
  /** Some statement of it may be a `TransactionStmt` (BEGIN, COMMIT, ...): only meaningful when it parses. */
  transactionStatement: boolean;
}

/** The part of the parser's Emscripten module this uses. */
interface ParserModule {
  HEAPU8: Uint8Array;
  getValue(pointer: number, type: "i32"): number;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _wasm_parse_query_raw(query: number): number;
  _wasm_free_parse_result(result: number): void;
}

let instance: ParserModule | undefined;
let loading: Promise<ParserModule> | undefined;
const checked = new WeakMap<SqlSection, SectionCheck>();
const encoder = new TextEncoder();

/** The key of a transaction statement in the parser's JSON. */
const TRANSACTION_KEY = Buffer.from('"TransactionStmt"');
/** What every `dbpipe:allow` directive contains (as `parse.ts` looks for it). */
const DIRECTIVE_MARK = "dbpipe:allow";

/** Loads the parser's WebAssembly module for {@link checkSection}; later calls return at once. */
export async function loadSectionChecker(): Promise<void> {
  if (instance) return;
  loading ??= (async () => {
    // The flags parse.ts's loadParser sets, for the reasons given there: V8's optimising tiers cost
    // more than they save in a run of seconds. Set before the module compiles; process-wide.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const v8 = require("node:v8") as typeof import("node:v8");
    v8.setFlagsFromString("--liftoff-only");
    v8.setFlagsFromString("--interrupt-budget=600000");
    // The Emscripten factory libpg-query's own entry point instantiates; called here for an
    // instance whose raw result can be read without the entry point's JSON.parse.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require("libpg-query/wasm/libpg-query.js") as () => Promise<ParserModule>;
    return factory();
  })();
  instance = await loading;
}

/** Parses `section` without building its tree (remembered per section object). Requires {@link loadSectionChecker}. */
export function checkSection(section: SqlSection): SectionCheck {
  const earlier = checked.get(section);
  if (earlier) return earlier;
  const result = run(section.text);
  checked.set(section, result);
  return result;
}

/**
 * Whether every migration's up and down sections parse and none mentions `dbpipe:allow`: then the
 * check-only lint of them (`LintOptions.checkOnly`) can find nothing to refuse.
 */
export async function parseWithoutDirectives(migrations: readonly Migration[]): Promise<boolean> {
  await loadSectionChecker();
  for (const m of migrations) {
    for (const section of [m.up, m.down]) {
      if (!section) continue;
      if (section.text.includes(DIRECTIVE_MARK) || !checkSection(section).parses) return false;
    }
  }
  return true;
}

function run(source: string): SectionCheck {
  if (!instance) throw new Error("the SQL parser is not loaded: await loadSectionChecker() before checkSection()");
  // As parse.ts does: a byte order mark is blanked out (the parser rejects it), a blank section
  // has no statement; text that is blank only to JavaScript is left to the full parse.
  const text = source.charCodeAt(0) === 0xfeff ? ` ${source.slice(1)}` : source;
  if (/^[ \n\t\r\f\v]*$/.test(text)) return { parses: true, transactionStatement: false };
  if (text.trim() === "") return { parses: false, transactionStatement: false };
  const m = instance;
  // Node's own UTF-8 encoder, straight into the module's memory (Emscripten's helpers encode in JavaScript).
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
    if (error || !tree) return { parses: false, transactionStatement: false };
    // The parse may have grown the module's memory, which replaces HEAPU8.
    const after = m.HEAPU8;
    const json = Buffer.from(after.buffer, after.byteOffset + tree, after.indexOf(0, tree) - tree);
    return { parses: true, transactionStatement: json.includes(TRANSACTION_KEY) };
  } finally {
    m._free(query);
    if (result) m._wasm_free_parse_result(result);
  }
}
