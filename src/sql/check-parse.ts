import type { Migration, SqlSection } from "../migration";
import { DIRECTIVE_MARK, isBlank, parserText } from "./sql-text";

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

/** Loads the parser's WebAssembly module for {@link checkSection}; later calls return at once. */
export async function loadSectionChecker(): Promise<void> {
  if (instance) return;
  loading ??= (async () => {
    tuneV8ForTheParser();
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
  const text = parserText(source);
  if (isBlank(text)) return { parses: true, transactionStatement: false };
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

let tuned = false;

/**
 * Sets the V8 flags every load of the parser (this check-only one and `parse.ts`'s full one) runs
 * under, before the WebAssembly module compiles; process-wide, once.
 */
export function tuneV8ForTheParser(): void {
  if (tuned) return;
  tuned = true;
  // The parser is a large WebAssembly module. V8 compiles it at once with its baseline compiler
  // (Liftoff), then recompiles the hot functions with its optimising one on background threads;
  // in a run of seconds that second compile costs more CPU than it saves (parsing 1,000 files:
  // 0.86 s of CPU with it, 0.52 s without, and less wall time too). The flag only affects
  // WebAssembly compiled from now on, and the parser is the only module dbpipe compiles.
  // Both flags are process-wide and set once, the first time either parser loads.
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
