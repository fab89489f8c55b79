import { InputError } from "../errors";
import { type CheckSource, checkedSection } from "../sql/check-parse";
import { type SqlStatement, SqlSyntaxError, loadParser, parseSqlSection } from "../sql/parse";
import { plainWrapper, refusalProblem, refusedInTransaction } from "../sql/transactions";
import type { Migration, SqlSection } from "../migration";
import type { IntegrityProblem } from "./plan";

/**
 * Transaction control inside a transactional migration. dbpipe runs such a migration in its own
 * transaction together with its history row; a COMMIT (or ROLLBACK, ...) in the file would end that
 * transaction early, so what came before it would be kept apart from the history row, and `plan
 * --rehearse` would keep it too. Before anything runs:
 *
 * - a file wrapped whole in `BEGIN; ... COMMIT;` (hand-written and sqitch-style files) runs without
 *   those two statements: they are blanked to spaces in the text sent, newlines kept, so error
 *   positions still map to the file;
 * - any other statement that ends the transaction refuses the run with a {@link TransactionControlError};
 * - so does a statement PostgreSQL cannot run inside a transaction block at all (CREATE INDEX
 *   CONCURRENTLY, VACUUM, ...: transactions.ts's outsideTransactionForm), which would otherwise fail
 *   the run at that file, after the migrations before it were applied.
 *
 * SAVEPOINT, RELEASE and ROLLBACK TO stay inside the transaction and are fine. A BEGIN alone is
 * harmless (PostgreSQL only warns that a transaction is already in progress), so only files whose
 * text mentions a word that can end a transaction, or a keyword every statement refused in a
 * transaction block has, are parsed: the no-op and apply paths stay cheap.
 */

/**
 * A cheap prefilter before parsing: the words that can end a transaction (`END` is `COMMIT`,
 * `ABORT` is `ROLLBACK`), and a keyword of each statement outsideTransactionForm names (CONCURRENTLY,
 * REINDEX, VACUUM, DATABASE, TABLESPACE, SYSTEM, CLUSTER, DISCARD, SUBSCRIPTION).
 */
const MAY_NEED_A_LOOK = /\b(commit|end|rollback|abort|prepare|concurrently|reindex|vacuum|database|tablespace|system|cluster|discard|subscription)\b/i;

/**
 * A transactional migration holds a statement dbpipe's transaction cannot take: one that would end
 * it, or one PostgreSQL refuses inside a transaction block. Nothing was run.
 */
export class TransactionControlError extends InputError {
  constructor(
    /** The file, as users see it. */
    readonly file: string,
    /** 1-based line of the statement in the file. */
    readonly line: number,
    /** 1-based column of the statement in the file. */
    readonly column: number,
    /** The statement, on one line. */
    readonly statement: string,
    /** What is wrong with it, and what to do instead. */
    problem: string,
    /** What was left undone, e.g. `Nothing was applied.` */
    consequence: string,
  ) {
    super(`${file}:${line}:${column}: ${problem} ${consequence}`);
  }
}

/**
 * The section as it must be sent inside dbpipe's own transaction: unchanged, or with a whole-file
 * `BEGIN; ... COMMIT;` wrapper blanked out. Throws {@link TransactionControlError} for the first
 * other statement that would end the transaction, or that PostgreSQL refuses inside a transaction
 * block. `consequence` ends the error's message. `ahead` may have the check-only parse done
 * already (see check-parse.ts's CheckSource).
 */
export async function withoutTransactionControl(section: SqlSection, file: string, consequence: string, ahead?: CheckSource): Promise<SqlSection> {
  if (!MAY_NEED_A_LOOK.test(section.text)) return section;
  // `END` also ends every PL/pgSQL block, `database` and `system` are common words of comments:
  // most files the words match hold no such statement at all, which the check-only parse tells
  // without building the tree.
  const check = await checkedSection(section, ahead);
  if (check.parses && !check.transactionStatement && !check.outsideTransactionStatement) return section;
  await loadParser();
  let statements: SqlStatement[];
  try {
    // Kept: the risk gate lints the same file next, and parses it once.
    statements = parseSqlSection(section, file, { keep: true }).statements;
  } catch (error) {
    // The server parses the whole batch before running any of it: SQL that does not parse runs
    // nothing, so it cannot break atomicity, and the server's own error (with its position) is
    // the better report.
    if (error instanceof SqlSyntaxError) return section;
    throw error;
  }
  const refused = refusedInTransaction(statements);
  if (refused) {
    const { statement: s } = refused;
    throw new TransactionControlError(file, s.line, s.column, oneLine(s.text), refusalProblem(refused, oneLine(s.text)), consequence);
  }
  const wrapper = plainWrapper(statements);
  return wrapper ? blank(section, wrapper) : section;
}

/**
 * The pending migrations as they must run: transactional ones through
 * {@link withoutTransactionControl} (`part` picks the up or the down section), no-transaction ones
 * unchanged. Throws before returning anything, so a refused file stops the whole run.
 */
export async function inOwnTransaction(migrations: readonly Migration[], part: "up" | "down", consequence: string, ahead?: CheckSource): Promise<Migration[]> {
  const out: Migration[] = [];
  for (const m of migrations) {
    const section = part === "up" ? m.up : m.down;
    if (m.noTransaction || !section) {
      out.push(m);
      continue;
    }
    const runnable = await withoutTransactionControl(section, m.file, consequence, ahead);
    out.push(runnable === section ? m : { ...m, [part]: runnable });
  }
  return out;
}

/**
 * What `plan` and `status` say of the pending migrations `up` would refuse to start
 * ({@link inOwnTransaction}'s refusals): each such file, as a problem of the plan, so that they
 * exit 2 as `up` does, before it applies anything. Every refused file is named, not only the first.
 */
export async function refusedInOwnTransaction(migrations: readonly Migration[]): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  for (const m of migrations) {
    if (m.noTransaction) continue;
    try {
      await withoutTransactionControl(m.up, m.file, "`dbpipe up` refuses the run here, before it applies anything.");
    } catch (error) {
      if (!(error instanceof TransactionControlError)) throw error;
      problems.push({ version: m.version, message: error.message });
    }
  }
  return problems;
}

/** The section with `statements` replaced by spaces, newlines kept: every other offset, line and column stays where it was. */
function blank(section: SqlSection, statements: readonly SqlStatement[]): SqlSection {
  let text = section.text;
  // One space per code point: the server's error positions count code points.
  for (const s of [...statements].reverse()) text = text.slice(0, s.offset) + text.slice(s.offset, s.end).replace(/[^\n]/gu, " ") + text.slice(s.end);
  return { ...section, text };
}

function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
