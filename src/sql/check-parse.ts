import type { Migration, SqlSection } from "../migration";
import { parseRaw, parserWasmLoaded, loadParserWasm } from "./parser-wasm";
import { DIRECTIVE_MARK, isBlank, parserText } from "./sql-text";
import { OUTSIDE_TRANSACTION_KEYS } from "./transactions";

/**
 * A check-only parse: whether a section's SQL parses, and whether it holds a transaction
 * statement or one PostgreSQL cannot run in a transaction block, without building its parse tree. `up` on a tier where risk cannot matter only needs
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
  /**
   * Some statement of it may be one PostgreSQL refuses inside a transaction block (transactions.ts's
   * outsideTransactionForm): only meaningful when it parses.
   */
  outsideTransactionStatement: boolean;
}

/**
 * Check-only parses answered somewhere else, before this thread would parse the section itself:
 * a thread that parsed the files while this one connected (`check-ahead.ts`). An answer is the
 * one {@link checkText} gives; `undefined` means "parse it here".
 */
export interface CheckSource {
  answer(section: SqlSection): Promise<SectionCheck | undefined>;
}

const checked = new WeakMap<SqlSection, SectionCheck>();

/** The key of a transaction statement in the parser's JSON. */
const TRANSACTION_KEY = Buffer.from('"TransactionStmt"');

/** The keys of the statements PostgreSQL may refuse in a transaction block. */
const OUTSIDE_TRANSACTION = OUTSIDE_TRANSACTION_KEYS.map((k) => Buffer.from(k));

const NOTHING: SectionCheck = { parses: true, transactionStatement: false, outsideTransactionStatement: false };

/** Loads the parser's WebAssembly module for {@link checkSection}; later calls return at once. */
export async function loadSectionChecker(): Promise<void> {
  await loadParserWasm();
}

/** Parses `section` without building its tree (remembered per section object). Requires {@link loadSectionChecker}. */
export function checkSection(section: SqlSection): SectionCheck {
  const earlier = checked.get(section);
  if (earlier) return earlier;
  const result = checkText(section.text);
  checked.set(section, result);
  return result;
}

/** {@link checkSection}, taking the answer from `ahead` when it has one, and loading the parser only when it has none. */
export async function checkedSection(section: SqlSection, ahead?: CheckSource): Promise<SectionCheck> {
  const earlier = checked.get(section);
  if (earlier) return earlier;
  const answered = await ahead?.answer(section);
  if (answered) {
    checked.set(section, answered);
    return answered;
  }
  await loadSectionChecker();
  return checkSection(section);
}

/**
 * Whether every migration's up and down sections parse and none mentions `dbpipe:allow`: then the
 * check-only lint of them (`LintOptions.checkOnly`) can find nothing to refuse.
 */
export async function parseWithoutDirectives(migrations: readonly Migration[], ahead?: CheckSource): Promise<boolean> {
  for (const m of migrations) {
    for (const section of [m.up, m.down]) {
      if (!section) continue;
      if (section.text.includes(DIRECTIVE_MARK) || !(await checkedSection(section, ahead)).parses) return false;
    }
  }
  return true;
}

/** The check-only parse of a section's text (in whichever thread has the parser loaded). Requires {@link loadSectionChecker}. */
export function checkText(source: string): SectionCheck {
  if (!parserWasmLoaded()) throw new Error("the SQL parser is not loaded: await loadSectionChecker() before checkSection()");
  // As parse.ts does: a byte order mark is blanked out (the parser rejects it), a blank section
  // has no statement; text that is blank only to JavaScript is left to the full parse.
  const text = parserText(source);
  if (isBlank(text)) return NOTHING;
  if (text.trim() === "") return { ...NOTHING, parses: false };
  // The result is read where it lies, never decoded.
  const result = parseRaw(text, (heap, start, end): SectionCheck => {
    const json = Buffer.from(heap.buffer, heap.byteOffset + start, end - start);
    return { parses: true, transactionStatement: json.includes(TRANSACTION_KEY), outsideTransactionStatement: OUTSIDE_TRANSACTION.some((k) => json.includes(k)) };
  });
  return result.error ? { ...NOTHING, parses: false } : result.tree;
}
