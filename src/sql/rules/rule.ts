import type { RiskLevel } from "../../risk-level";
import type { AlterTableCmd, AlterTableStmt } from "libpg-query";
import type { ColumnType, NodeOf, TableRef } from "../ast";
import type { SqlStatement, StatementKind } from "../parse";
import type { SchemaHistory } from "../schema-history";

/**
 * What a rule is: metadata users see (`dbpipe lint`, SARIF, docs/rules/<id>.md) and a check that
 * reports problems on one statement. A rule never decides whether a migration may run: it reports
 * a finding with a severity, and the tier's verdict (src/risk/verdict.ts) decides.
 */

/** A rule's metadata. */
export interface RuleMeta {
  /** Stable kebab-case id: what `-- dbpipe:allow`, `dbpipe:ruleSeverity` and SARIF refer to. */
  readonly id: string;
  /** Severity when the stack does not override it. */
  readonly severity: RiskLevel;
  /** What it catches, in one line. */
  readonly summary: string;
  /** Why it hurts. */
  readonly why: string;
  /** The safe alternative; findings use it as their hint unless they give a more specific one. */
  readonly instead: string;
  /**
   * True when the operation's cost grows with the table: a rewrite, a scan or an index build under
   * a lock. With a database at hand, such a finding on a table above `dbpipe:largeTableRows` rows
   * becomes high.
   */
  readonly sizeSensitive?: boolean;
}

/** An ALTER TABLE subcommand's type, as the parser names it: `AT_AddColumn`, `AT_SetNotNull`, ... */
export type AlterTableSubtype = NonNullable<AlterTableCmd["subtype"]>;

/** Listeners on statements: `IndexStmt(node, context)` gets every CREATE INDEX, typed as the parser's IndexStmt. */
export type StatementListeners = { readonly [K in StatementKind]?: (node: NodeOf<K>, context: RuleContext) => void };

/** Listeners on ALTER TABLE subcommands: `"AlterTableCmd:AT_SetNotNull"(cmd, context)` gets every SET NOT NULL part. */
export type CommandListeners = { readonly [S in AlterTableSubtype as `AlterTableCmd:${S}`]?: (cmd: AlterTableCmd, context: AlterCommandContext) => void };

/** What a rule listens to: statement kinds and ALTER TABLE subcommand types. */
export type Listeners = StatementListeners & CommandListeners;

/**
 * Which ALTER statements a rule's `AlterTableCmd:*` listeners see:
 * - `existing-tables` (the default): ALTER TABLE of a table that existed before this migration —
 *   nobody can be waiting on a table created in the same migration, and it holds no rows;
 * - `existing-relations`: ALTER TABLE, INDEX, VIEW, MATERIALIZED VIEW, SEQUENCE or FOREIGN TABLE
 *   of a relation that existed before this migration;
 * - `every-alter`: every such statement, new relation or not (the listener decides).
 */
export type CommandScope = "existing-tables" | "existing-relations" | "every-alter";

/**
 * A rule: metadata and the node listeners that check statements. The linter walks each statement
 * once and calls the listeners of every rule for its kind, then for each of its ALTER TABLE
 * subcommands (as ESLint's rules return node-type listeners).
 */
export interface Rule extends RuleMeta {
  /**
   * True when one finding per migration says it all (the first statement at fault is reported).
   * Once it reported, its listeners are not called again in that migration: they must only report.
   */
  readonly oncePerMigration?: boolean;
  /** Which ALTER statements the `AlterTableCmd:*` listeners see; default `existing-tables`. */
  readonly commandsOf?: CommandScope;
  /** The listeners; report problems through `context.report`. */
  readonly on: Listeners;
}

/** The migration a statement belongs to. */
export interface MigrationInfo {
  /** Version, e.g. `0004`. */
  version: string;
  /** The file, as users see it. */
  file: string;
  /** True for `-- dbpipe:no-transaction` migrations. */
  noTransaction: boolean;
}

/** What a rule's check gets. */
export interface RuleContext {
  /** The statement. */
  readonly statement: SqlStatement;
  /** The statements before it in the same migration, in file order (to tell what it undoes or finishes). */
  readonly preceding: readonly SqlStatement[];
  /** The statements after it in the same migration (to tell a drop-and-recreate from a drop). */
  readonly following: readonly SqlStatement[];
  /** Its migration. */
  readonly migration: MigrationInfo;
  /**
   * True when the statement runs inside a transaction: always, unless the migration is
   * `-- dbpipe:no-transaction` and the statement is outside an explicit BEGIN ... COMMIT.
   */
  readonly inTransaction: boolean;
  /**
   * True when `table` was created earlier in this migration (or is temporary): nobody else can
   * be using it, so locks on it wait for no one and rewrites of it are cheap. A CREATE TABLE IF NOT
   * EXISTS (or CREATE OR REPLACE VIEW) counts only when the history knows the table was gone: it
   * may otherwise have found the table already there, with its rows.
   */
  isNewTable(table: TableRef | undefined): boolean;
  /**
   * What `ADD COLUMN` said about `column` of `table` when an earlier statement of this migration
   * added it to a table that existed before: no client uses it yet. Undefined otherwise.
   */
  newColumn(table: TableRef, column: string): { type?: ColumnType; hasDefault: boolean; notNull: boolean } | undefined;
  /** True when the index `key` (`schema.name`) was created on a new table earlier in this migration. */
  isNewIndex(key: string): boolean;
  /**
   * True when the type (`key`: `schema.name`; `schema` when the statement qualifies the name) was
   * created earlier in this migration, under the same search_path when the name is unqualified.
   */
  isNewType(type: { key: string; schema?: string }): boolean;
  /** What earlier statements and migrations said about the schema. */
  readonly history: SchemaHistory;
  /**
   * True when an earlier statement of this migration changed the search_path (SET, set_config,
   * RESET ALL): an unqualified name may then be another schema's object than the history's
   * (which takes unqualified names to be in `public`).
   */
  readonly searchPathChanged: boolean;
  /** The lock_timeout in force for this statement, in ms (0: none): the runner's, or the migration's own SET. */
  readonly lockTimeoutMs: number;
  /** The statement_timeout in force for this statement, in ms (0: none): the runner's, or the migration's own SET. */
  readonly statementTimeoutMs: number;
  /** Extensions the stack declares (`dbpipe:extensions`): the Pulumi program creates those. */
  readonly extensions: ReadonlySet<string>;
  /**
   * Reports a problem with the statement. In an `AlterTableCmd:*` listener of a multi-part ALTER
   * TABLE, a problem without `at` points at its own part.
   */
  report(problem: Problem): void;
}

/** A problem a rule found; the linter turns it into a finding with a position and a severity. */
export interface Problem {
  /** What is wrong, about this statement: "CREATE INDEX on orders blocks writes ...". */
  message: string;
  /** The safe alternative for this statement; defaults to the rule's `instead`. */
  hint?: string;
  /** The table the problem is about: the data-aware pass looks up its size. */
  table?: TableRef;
  /** Parser location (UTF-8 byte offset in the section) of the part at fault; defaults to the statement's start. */
  at?: number;
  /** Offset (UTF-16 code units) in the section's text of the part at fault, for rules that read the text itself; instead of `at`. */
  offset?: number;
}

/** What an `AlterTableCmd:*` listener gets besides the subcommand: the statement's context and the ALTER around it. */
export interface AlterCommandContext extends RuleContext {
  /** The ALTER statement. */
  readonly alter: AlterTableStmt;
  /** The relation it alters. */
  readonly table: TableRef;
  /** Every subcommand of the statement, in order. */
  readonly commands: readonly AlterTableCmd[];
  /** This subcommand's index in `commands`. */
  readonly commandIndex: number;
}
