import type { Migration } from "../migration";
import { SettingsError } from "../errors";
import { type RiskLevel, maxRisk } from "../risk-level";
import { type Acknowledgement, acknowledgementsIn, rejectDanglingDirectives } from "./allow";
import type { AlterTableCmd, AlterTableStmt } from "libpg-query";
import { type AlterPart, alterTableParts } from "./alter-parts";
import { type TableRef, alterTableCommands, constantText, durationMs, formatRows, functionCalls, kindOf, nestedDataChanges, nodeAs, tableOf } from "./ast";
import { type ParsedSection, SqlSyntaxError, type SqlPosition, type SqlStatement, loadParser, parseSqlSection } from "./parse";
import { RULES, ruleById } from "./rules";
import { ruleIdProblem } from "./rules/ids";
import type { AlterCommandContext, CommandScope, MigrationInfo, Problem, Rule, RuleContext } from "./rules/rule";
import { unusedAllow } from "./rules/unused-allow";
import { type ColumnEvent, type SchemaEvent, SchemaHistory, schemaEvents } from "./schema-history";
import { transactionEnding, transactionEndingProblem } from "./transactions";
import { caretSnippet } from "../text/snippet";
import { durationTextMs } from "../text/duration";

/**
 * Linting: every statement of every migration through every rule, into findings. A finding is
 * data — rule, severity, position, message, hint — never an exception; whether it blocks is the
 * tier's verdict (src/risk/verdict.ts), not the linter's.
 */

/** One problem in a migration, at its place in the file. */
export interface Finding {
  /** The rule's id, e.g. `drop-table`. */
  rule: string;
  /** The severity after the stack's overrides and the data-aware pass. */
  severity: RiskLevel;
  /** 1-based line in the file. */
  line: number;
  /** 1-based column in the file (UTF-16 code units). */
  column: number;
  /** Line where the statement ends. */
  endLine: number;
  /** Column just past the statement's end. */
  endColumn: number;
  /** What is wrong. */
  message: string;
  /** The safe alternative. */
  hint: string;
  /** True when the file acknowledges it with `-- dbpipe:allow <rule> <reason>`: it no longer raises the migration's risk. */
  acknowledged: boolean;
  /** The acknowledgement's reason, when acknowledged. */
  acknowledgedReason?: string;
  /** The table the finding is about, as the SQL names it. */
  table?: string;
  /** The table's estimated rows, when the data-aware pass looked it up. */
  tableRows?: number;
  /** The statement's SQL, shortened to one line for display. */
  sql: string;
}

/** A migration with its findings. */
export interface LintedMigration {
  /** The migration's version. */
  version: string;
  /** The name after the version. */
  name: string;
  /** The file, as users see it. */
  file: string;
  /** The file's absolute path (for tools that need their own relative paths, such as SARIF). */
  path: string;
  /** The file's checksum: what an approval in `Pulumi.<stack>.yaml` must match. */
  checksum: string;
  /** Its highest non-acknowledged finding's severity; `low` when it has none. */
  risk: RiskLevel;
  /** Its findings, in file order. */
  findings: Finding[];
  /** True for `-- dbpipe:no-transaction` migrations. */
  noTransaction: boolean;
  /** How many statements its up section has. */
  statements: number;
  /** What the migration does to the schema, when `LintOptions.keepSchemaEvents` asked for it (for caching). */
  schemaEvents?: SchemaEvent[];
  /** Set when the file's SQL does not parse: it has no findings then, and the other files are still linted. */
  parseError?: ParseErrorRecord;
}

/** Where and why a migration's SQL does not parse (plain data, so that workers and the cache can carry it). */
export interface ParseErrorRecord {
  /** The file, as users see it. */
  file: string;
  /** 1-based line and column of the error. */
  line: number;
  column: number;
  /** The parser's message, e.g. `syntax error at or near "TABEL"`. */
  message: string;
  /** The offending line with a caret under the column. */
  snippet: string;
  /** True when the SQL parses but dbpipe cannot run it as it is (a COMMIT inside a transactional migration). */
  cannotRun?: true;
}

/** The error a parse-error record stands for (its message is the one the parser's error had). */
export function parseErrorOf(record: ParseErrorRecord): SqlSyntaxError {
  return new SqlSyntaxError(record.file, record.line, record.column, record.message, record.snippet);
}

/** Estimated rows per table, for the data-aware pass. Keys are the table names as given. */
export type TableRowsLookup = (tables: string[]) => Promise<Map<string, number>>;

/** How to lint. */
export interface LintOptions {
  /** Severity overrides by rule id (`dbpipe:ruleSeverity`); `off` drops the rule. Default none. */
  ruleSeverity?: Readonly<Record<string, RiskLevel | "off">>;
  /** Where the overrides come from, for messages about unknown rule ids. Default `stack settings`. */
  settingsSource?: string;
  /** The lock_timeout the runner sets for each migration, in ms (0: none). Default 5000 (the prod tier's). */
  lockTimeoutMs?: number;
  /** The statement_timeout the runner sets for each migration, in ms (0: none). Default 30 minutes (the prod tier's). */
  statementTimeoutMs?: number;
  /** Extensions the stack declares (`dbpipe:extensions`); CREATE EXTENSION of those is not reported. Default none. */
  extensions?: readonly string[];
  /** Estimated rows above which a size-sensitive finding becomes high. Default 1,000,000. */
  largeTableRows?: number;
  /** Looks up estimated rows per table (see `table-sizes.ts`); without it, linting is offline. */
  tableRows?: TableRowsLookup;
  /**
   * Migrations that come before the ones linted (already applied, say): read for what they say
   * about the schema (column types, defaults, validated checks), not reported. Default none.
   */
  history?: readonly Migration[];
  /** Schema facts of migrations before these, already extracted (from a cache); applied after `history`. Default none. */
  historyEvents?: readonly SchemaEvent[];
  /** Keep each migration's schema events in its result (`LintedMigration.schemaEvents`). Default false. */
  keepSchemaEvents?: boolean;
  /**
   * Only check that the migrations can run as written: their SQL parses (up and down sections)
   * and their `dbpipe:allow` directives are well-formed and name real rules — the checks that
   * refuse a file, which `up` makes on every tier. No rule runs: every result has no findings and
   * risk `low`, and `history` and `historyEvents` are not read. Default false.
   */
  checkOnly?: boolean;
}

/** The default `lockTimeoutMs`: the prod tier's runner setting. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

/** The default `statementTimeoutMs`: the prod tier's runner setting. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30 * 60_000;

/** The default `largeTableRows`. */
export const DEFAULT_LARGE_TABLE_ROWS = 1_000_000;

/**
 * Lints migrations in version order; each one sees what the earlier ones (and `options.history`)
 * did to the schema. Loads the parser when needed. A migration whose SQL does not parse gets a
 * `parseError` (and no findings) and the others are still linted. Throws an InputError for a
 * malformed `-- dbpipe:allow`, or an unknown rule id in the stack's `dbpipe:ruleSeverity`.
 */
export async function lintMigrations(migrations: readonly Migration[], options: LintOptions = {}): Promise<LintedMigration[]> {
  await loadParser();
  const linted = lintMigrationsSync(migrations, options);
  if (options.tableRows) await applyTableSizes(linted, options.tableRows, options.largeTableRows ?? DEFAULT_LARGE_TABLE_ROWS);
  return linted;
}

/** Lints one migration; see {@link lintMigrations}. */
export async function lintMigration(migration: Migration, options: LintOptions = {}): Promise<LintedMigration> {
  return (await lintMigrations([migration], options))[0];
}

/** {@link lintMigrations} without the data-aware pass, for callers that already loaded the parser. */
export function lintMigrationsSync(migrations: readonly Migration[], options: LintOptions = {}): LintedMigration[] {
  const linter = new Linter(options);
  if (!options.checkOnly) {
    for (const m of sortByVersion(options.history ?? [])) linter.learn(m);
    linter.history.apply(options.historyEvents ?? []);
  }
  return sortByVersion(migrations).map((m) => linter.lint(m));
}

/** `migrations` in version order (a copy). */
export function sortByVersion(migrations: readonly Migration[]): Migration[] {
  return [...migrations].sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
}

/** Throws a {@link SettingsError} naming each `dbpipe:ruleSeverity.<id>` that is not a rule. */
export function checkRuleSeverity(ruleSeverity: Readonly<Record<string, unknown>>, source = "stack settings"): void {
  const problems = Object.keys(ruleSeverity).flatMap((id) => {
    const message = ruleIdProblem(id);
    return message === undefined ? [] : [{ key: `dbpipe:ruleSeverity.${id}`, message }];
  });
  if (problems.length > 0) throw new SettingsError(source, problems);
}

/**
 * The linter's state across migrations: rules by statement kind, severity overrides, and the
 * schema history. `lint` and `learn` must be called in version order.
 */
export class Linter {
  /** Statement listeners by statement kind, in rule order. */
  private readonly onStatement = new Map<string, StatementListener[]>();
  /** ALTER TABLE subcommand listeners by subcommand type, in rule order. */
  private readonly onCommand = new Map<string, CommandListener[]>();
  /** Severity overrides by rule id. */
  readonly severity: Readonly<Record<string, RiskLevel | "off">>;
  private readonly lockTimeoutMs: number;
  private readonly statementTimeoutMs: number;
  /** Extensions the stack declares. */
  readonly extensions: ReadonlySet<string>;
  private readonly keepSchemaEvents: boolean;
  private readonly checkOnly: boolean;
  /** The schema as the migrations so far describe it. */
  readonly history = new SchemaHistory();

  constructor(options: LintOptions) {
    this.severity = options.ruleSeverity ?? {};
    checkRuleSeverity(this.severity, options.settingsSource);
    this.lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    this.extensions = new Set(options.extensions ?? []);
    this.keepSchemaEvents = options.keepSchemaEvents ?? false;
    this.checkOnly = options.checkOnly ?? false;
    for (const rule of this.checkOnly ? [] : RULES) {
      if (this.severity[rule.id] === "off") continue;
      for (const [key, listener] of Object.entries(rule.on) as [string, AnyListener][]) {
        if (key.startsWith(COMMAND_PREFIX)) {
          push(this.onCommand, key.slice(COMMAND_PREFIX.length), { rule, scope: rule.commandsOf ?? "existing-tables", listener });
        } else {
          push(this.onStatement, key, { rule, listener });
        }
      }
    }
  }

  /** Reads a migration for its schema facts only (no findings). */
  learn(migration: Migration, parsed: ParsedSection = parseMigration(migration)): void {
    this.history.apply(schemaEventsOf(parsed));
  }

  /**
   * Lints a migration (its up section and its down section parsed already, or parsed here; a
   * {@link SqlSyntaxError} when parsing one failed). SQL that does not parse, in its up or its
   * down section, gives a result with a `parseError` and no findings.
   */
  lint(migration: Migration, parsed?: ParsedSection | SqlSyntaxError, down?: ParsedSection | SqlSyntaxError): LintedMigration {
    try {
      if (parsed === undefined) parsed = parseMigration(migration);
      if (parsed instanceof SqlSyntaxError) throw parsed;
      // The down section runs on `dbpipe down`: SQL that does not parse must fail lint, not the rollback.
      if (migration.down) {
        const d = down ?? parseSqlSection(migration.down, migration.file);
        if (d instanceof SqlSyntaxError) throw d;
        down = d;
      }
      // A file `dbpipe up` (or `down`) refuses to run fails lint as SQL that does not parse does,
      // whatever the stack's rule settings: it is not a risk to weigh, it cannot run.
      if (!migration.noTransaction) {
        for (const section of [parsed, down]) {
          const ending = section === undefined ? undefined : transactionEnding((section as ParsedSection).statements);
          if (ending !== undefined) throw unrunnable(migration, ending);
        }
      }
    } catch (error) {
      if (error instanceof SqlSyntaxError) return unparsable(migration, error);
      throw error;
    }
    rejectDanglingDirectives(parsed.trailingComments, migration.file);
    if (this.checkOnly) return this.check(migration, parsed);
    const run = new MigrationRun(this, migration, parsed);
    let lockTimeoutMs = this.lockTimeoutMs;
    let statementTimeoutMs = this.statementTimeoutMs;
    let explicitTransaction = false;
    const kept: SchemaEvent[] | undefined = this.keepSchemaEvents ? [] : undefined;
    const { created } = run;

    const statements = parsed.statements;
    for (let index = 0; index < statements.length; index++) {
      const statement = statements[index];
      const acknowledgements = statement.comments.length > 0 ? acknowledgementsIn(statement.comments, migration.file) : [];
      const context = new StatementContext(run, statement, index, acknowledgements, !migration.noTransaction || explicitTransaction, lockTimeoutMs, statementTimeoutMs);
      const inner = (statement.node as Record<string, unknown>)[statement.kind];
      this.dispatchStatement(statement.kind, inner, context);
      // What PostgreSQL runs inside the statement (a DELETE in its WITH, the UPDATE that EXPLAIN
      // ANALYZE runs) is checked as if it stood alone, and reported on the statement that holds it.
      for (const nested of nestedDataChanges(statement.node)) {
        const kind = kindOf(nested) ?? "";
        this.dispatchStatement(kind, (nested as Record<string, unknown>)[kind], context);
      }
      if (statement.kind === "AlterTableStmt" && this.onCommand.size > 0) {
        this.dispatchCommands(inner as AlterTableStmt, context);
        context.part = undefined;
      }
      if (acknowledgements.length > 0 && this.severity[unusedAllow.id] !== "off") {
        for (const ack of acknowledgements) {
          if (ack.rule === unusedAllow.id || this.severity[ack.rule] === "off") continue;
          if (run.findings.some((f, i) => i >= context.firstFinding && f.rule === ack.rule)) continue;
          // A once-per-migration rule already reported on an earlier statement stays quiet here.
          if (ruleById.get(ack.rule)?.oncePerMigration && run.reportedOnce.has(ack.rule)) continue;
          context.add(
            unusedAllow,
            { message: `dbpipe:allow ${ack.rule} acknowledges nothing: ${ack.rule} reports nothing on the statement it stands beside (line ${statement.line}).` },
            ack.comment,
            parsed.positionAt(ack.comment.offset + ack.comment.text.length),
          );
        }
      }

      for (const e of schemaEvents(statement.node, statement.kind)) {
        // Asked before the event is applied: whether the object existed before this statement.
        const isNew = this.history.creates(e);
        this.history.applyOne(e);
        kept?.push(e);
        if (e.event === "create-table") {
          if (isNew) created.tables.set(e.table, run.searchPathEpoch);
        } else if (e.event === "drop-table") {
          created.tables.delete(e.table);
        } else if (e.event === "rename-table") {
          const epoch = created.tables.get(e.table);
          if (epoch !== undefined) {
            created.tables.delete(e.table);
            created.tables.set(e.to, epoch);
          }
        } else if (e.event === "create-index") {
          if (isNew && created.tables.has(e.table)) created.indexes.add(e.index);
        } else if (e.event === "add-column") {
          if (!created.tables.has(e.table)) created.columns.set(`${e.table}\0${e.column}`, e);
        } else if (e.event === "drop-column") {
          created.columns.delete(`${e.table}\0${e.column}`);
        } else if (e.event === "set-type") {
          const added = created.columns.get(`${e.table}\0${e.column}`);
          if (added) created.columns.set(`${e.table}\0${e.column}`, { ...added, type: e.type });
        } else if (e.event === "create-type") {
          created.types.set(e.type, run.searchPathEpoch);
        }
      }
      if (statement.kind === "SelectStmt") {
        const configs = setConfigCalls(statement);
        // A setting named by anything but a constant may be the search_path.
        if (configs.some((c) => c.setting === undefined || c.setting === "search_path")) run.searchPathEpoch++;
        lockTimeoutMs = timeoutFromSetConfig(configs, "lock_timeout", lockTimeoutMs);
        statementTimeoutMs = timeoutFromSetConfig(configs, "statement_timeout", statementTimeoutMs);
      } else if (statement.kind === "VariableSetStmt") {
        const set = nodeAs(statement.node, "VariableSetStmt");
        if (set?.kind === "VAR_RESET_ALL" || set?.name === "search_path") run.searchPathEpoch++;
        lockTimeoutMs = nextTimeout(statement, "lock_timeout", lockTimeoutMs);
        statementTimeoutMs = nextTimeout(statement, "statement_timeout", statementTimeoutMs);
      } else if (statement.kind === "TransactionStmt") {
        const transaction = nodeAs(statement.node, "TransactionStmt")?.kind;
        if (transaction === "TRANS_STMT_BEGIN" || transaction === "TRANS_STMT_START") explicitTransaction = true;
        else if (transaction === "TRANS_STMT_COMMIT" || transaction === "TRANS_STMT_ROLLBACK") explicitTransaction = false;
      }
    }

    return { ...lintedMigration(migration, run.findings, parsed.statements.length), ...(kept ? { schemaEvents: kept } : {}) };
  }

  /** The result of {@link LintOptions.checkOnly}: the directives checked, no rule run. */
  private check(migration: Migration, parsed: ParsedSection): LintedMigration {
    for (const statement of parsed.statements) {
      if (statement.comments.length > 0) acknowledgementsIn(statement.comments, migration.file);
    }
    return { ...lintedMigration(migration, [], parsed.statements.length), ...(this.keepSchemaEvents ? { schemaEvents: [] } : {}) };
  }

  /** Calls the listeners of `kind` on `inner`, a statement of that kind (the one written, or one it runs), with the context of the one written. */
  private dispatchStatement(kind: string, inner: unknown, context: StatementContext): void {
    for (const l of this.onStatement.get(kind) ?? NONE) {
      // A once-per-migration rule that already reported would have its next report dropped: its
      // listeners report and do nothing else, so they need not run.
      if (l.rule.oncePerMigration && context.run.reportedOnce.has(l.rule.id)) continue;
      context.rule = l.rule;
      l.listener(inner, context);
    }
  }

  /**
   * Calls the `AlterTableCmd:*` listeners for each subcommand of `alter`, in order, each with the
   * context of its statement and the part of the statement it is about (for multi-part ALTERs).
   */
  private dispatchCommands(alter: AlterTableStmt, context: StatementContext): void {
    const table = tableOf(alter.relation);
    if (!table) return;
    const commands = alterTableCommands(alter);
    const isNew = context.isNewTable(table);
    const isTable = alter.objtype === "OBJECT_TABLE";
    const parts = commands.length > 1 ? alterTableParts(context.statement, context.run.parsed, alter, commands.length) : undefined;
    for (const [commandIndex, cmd] of commands.entries()) {
      const listeners = this.onCommand.get(cmd.subtype ?? "");
      if (!listeners) continue;
      const commandContext = context.forCommand(alter, table, commands, commandIndex);
      context.part = parts?.[commandIndex];
      for (const l of listeners) {
        if (l.scope !== "every-alter" && (isNew || (l.scope === "existing-tables" && !isTable))) continue;
        if (l.rule.oncePerMigration && context.run.reportedOnce.has(l.rule.id)) continue;
        context.rule = l.rule;
        l.listener(cmd, commandContext);
      }
    }
  }
}

/**
 * One migration being linted: what its statements' contexts share — its findings, what it created
 * so far, and the linter's settings.
 */
class MigrationRun {
  readonly findings: Finding[] = [];
  /** The once-per-migration rules that already reported. */
  readonly reportedOnce = new Set<string>();
  /** What earlier statements of this migration created. */
  readonly created = { tables: new Map<string, number>(), indexes: new Set<string>(), types: new Map<string, number>(), columns: new Map<string, ColumnEvent>() };
  /**
   * How many times the migration changed its search_path so far: the tables it created are keyed
   * by their `public.` name, so an unqualified name counts as one of them only under the search_path
   * it was created with (`SET search_path TO app; CREATE TABLE events ...; SET search_path TO
   * public; DROP TABLE events` drops another table).
   */
  searchPathEpoch = 0;
  readonly info: MigrationInfo;

  constructor(
    readonly linter: { readonly history: SchemaHistory; readonly extensions: ReadonlySet<string>; readonly severity: Readonly<Record<string, RiskLevel | "off">> },
    migration: Migration,
    readonly parsed: ParsedSection,
  ) {
    this.info = { version: migration.version, file: migration.file, noTransaction: migration.noTransaction };
  }
}

/**
 * What the rules get for one statement. A class rather than an object literal with getters and
 * closures: such a literal made per statement costs a new hidden class each time, and the closures
 * it holds kept every parse tree alive past the young generation (a third of lint's CPU went to
 * garbage collection).
 */
class StatementContext implements AlterCommandContext {
  /** The rule whose listener runs now. */
  rule: Rule | undefined;
  /** The part of a multi-part ALTER TABLE the running command listener is about. */
  part: AlterPart | undefined;
  /** The first of this statement's findings in the migration's list. */
  readonly firstFinding: number;
  /** Where the statement ends, and its SQL on one line: worked out for its first finding. */
  private end: SqlPosition | undefined;
  private sql: string | undefined;
  // Set for `AlterTableCmd:*` listeners (see forCommand).
  alter!: AlterTableStmt;
  table!: TableRef;
  commands!: readonly AlterTableCmd[];
  commandIndex = 0;

  constructor(
    readonly run: MigrationRun,
    readonly statement: SqlStatement,
    private readonly index: number,
    private readonly acknowledgements: readonly Acknowledgement[],
    readonly inTransaction: boolean,
    readonly lockTimeoutMs: number,
    readonly statementTimeoutMs: number,
  ) {
    this.firstFinding = run.findings.length;
  }

  get preceding(): readonly SqlStatement[] {
    return this.run.parsed.statements.slice(0, this.index);
  }

  get following(): readonly SqlStatement[] {
    return this.run.parsed.statements.slice(this.index + 1);
  }

  get migration(): MigrationInfo {
    return this.run.info;
  }

  get history(): SchemaHistory {
    return this.run.linter.history;
  }

  get extensions(): ReadonlySet<string> {
    return this.run.linter.extensions;
  }

  get searchPathChanged(): boolean {
    return this.run.searchPathEpoch > 0;
  }

  isNewTable(table: TableRef | undefined): boolean {
    if (table === undefined) return false;
    if (table.temporary) return true;
    const epoch = this.run.created.tables.get(table.key);
    return epoch !== undefined && (table.schema !== undefined || epoch === this.run.searchPathEpoch);
  }

  isNewIndex(key: string): boolean {
    return this.run.created.indexes.has(key);
  }

  newColumn(table: TableRef, column: string): ColumnEvent | undefined {
    return this.run.created.columns.get(`${table.key}\0${column}`);
  }

  isNewType(type: { key: string; schema?: string }): boolean {
    // As for tables: an unqualified name is the created type only under the search_path it was created with.
    const epoch = this.run.created.types.get(type.key);
    return epoch !== undefined && (type.schema !== undefined || epoch === this.run.searchPathEpoch);
  }

  /** This context for the listeners of the `commandIndex`th subcommand of `alter`. */
  forCommand(alter: AlterTableStmt, table: TableRef, commands: readonly AlterTableCmd[], commandIndex: number): AlterCommandContext {
    this.alter = alter;
    this.table = table;
    this.commands = commands;
    this.commandIndex = commandIndex;
    return this;
  }

  report(problem: Problem): void {
    const rule = this.rule as Rule;
    const { parsed, reportedOnce } = this.run;
    if (rule.oncePerMigration) {
      if (reportedOnce.has(rule.id)) return;
      reportedOnce.add(rule.id);
    }
    const part = this.part;
    const partEnd = part ? parsed.positionAt(part.end) : undefined;
    if (problem.offset !== undefined) this.add(rule, problem, parsed.positionAt(problem.offset), partEnd);
    else if (problem.at !== undefined && problem.at >= 0) this.add(rule, problem, parsed.positionOf(problem.at), partEnd);
    else if (part) this.add(rule, problem, parsed.positionAt(part.start), partEnd);
    else this.add(rule, problem, this.statement);
  }

  /** Adds a finding of `rule` at `at`, up to `until` (default: the statement's end). */
  add(rule: Rule, problem: Problem, at: { line: number; column: number }, until?: { line: number; column: number }): void {
    const statement = this.statement;
    this.end ??= this.run.parsed.positionAt(statement.end);
    this.sql ??= oneLine(statement.text);
    const ack = this.acknowledgements.find((a) => a.rule === rule.id);
    const severity = this.run.linter.severity[rule.id];
    const last = until ?? this.end;
    // Built key by key, in the order reports print them, rather than with spreads of optional parts.
    const finding: Finding = {
      rule: rule.id,
      severity: severity && severity !== "off" ? severity : rule.severity,
      line: at.line,
      column: at.column,
      endLine: last.line,
      endColumn: last.column,
      message: problem.message,
      hint: problem.hint ?? rule.instead,
      acknowledged: ack !== undefined,
    } as Finding;
    if (ack) finding.acknowledgedReason = ack.reason;
    if (problem.table) finding.table = problem.table.display;
    finding.sql = this.sql;
    this.run.findings.push(finding);
  }
}

type AnyListener = (node: never, context: never) => void;
interface StatementListener {
  rule: Rule;
  listener: (node: unknown, context: RuleContext) => void;
}
interface CommandListener {
  rule: Rule;
  scope: CommandScope;
  listener: (cmd: AlterTableCmd, context: AlterCommandContext) => void;
}
const COMMAND_PREFIX = "AlterTableCmd:";
const NONE: never[] = [];

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** What every lint result says of its migration, in the order reports print it. */
function lintedMigration(migration: Migration, findings: Finding[], statements: number): LintedMigration {
  return {
    version: migration.version,
    name: migration.name,
    file: migration.file,
    path: migration.path,
    checksum: migration.checksum,
    risk: riskOf(findings),
    findings,
    noTransaction: migration.noTransaction,
    statements,
  };
}

/** The result for a migration whose SQL does not parse, or cannot run. */
function unparsable(migration: Migration, error: SqlSyntaxError): LintedMigration {
  const snippet = error.message.slice(error.message.indexOf("\n") + 1);
  return {
    ...lintedMigration(migration, [], 0),
    parseError: { file: error.file, line: error.line, column: error.column, message: error.parserMessage, snippet, ...(error instanceof UnrunnableSqlError ? { cannotRun: true as const } : {}) },
  };
}

/** SQL that parses but that dbpipe cannot run as it is: reported where a syntax error would be. */
class UnrunnableSqlError extends SqlSyntaxError {}

/** The error of a transactional migration with a statement that would end its transaction, at that statement. */
function unrunnable(migration: Migration, statement: SqlStatement): SqlSyntaxError {
  const first = statement.text.split("\n")[0];
  const snippet = caretSnippet(" ".repeat(statement.column - 1) + first, statement.line, statement.column);
  return new UnrunnableSqlError(migration.file, statement.line, statement.column, `${transactionEndingProblem(oneLine(statement.text))} \`dbpipe up\` refuses this file.`, snippet);
}

/** Parses a migration's up section, or the error when it does not parse (for callers that lint it later). */
export function tryParseMigration(migration: Migration): ParsedSection | SqlSyntaxError {
  try {
    return parseMigration(migration);
  } catch (error) {
    if (error instanceof SqlSyntaxError) return error;
    throw error;
  }
}

/** Parses a migration's up section (the part that runs on `dbpipe up`). */
export function parseMigration(migration: Migration): ParsedSection {
  return parseSqlSection(migration.up, migration.file);
}

/** The schema facts of a parsed section, in statement order: what linting it does to the history. */
export function schemaEventsOf(parsed: ParsedSection): SchemaEvent[] {
  const events: SchemaEvent[] = [];
  for (const s of parsed.statements) for (const e of schemaEvents(s.node, s.kind)) events.push(e);
  return events;
}

/** The timeout `name` (lock_timeout, statement_timeout) after `statement`: a SET changes it, a RESET ends it. */
function nextTimeout(statement: SqlStatement, name: string, current: number): number {
  const set = nodeAs(statement.node, "VariableSetStmt");
  if (!set) return current;
  // RESET, SET ... TO DEFAULT and RESET ALL go back to the server's default, not to the runner's
  // SET LOCAL: on PostgreSQL 15 the runner's lock_timeout is gone after them (0 unless the server
  // or role sets one), so the statements after wait without a limit.
  if (set.kind === "VAR_RESET_ALL") return 0;
  if (set.name !== name) return current;
  if (set.kind === "VAR_RESET" || set.kind === "VAR_SET_DEFAULT") return 0;
  return durationMs(set.args) ?? current;
}

/** The timeout `name` after the `set_config(name, value, ...)` calls `configs` of a SELECT, or `current`. */
function timeoutFromSetConfig(configs: readonly SetConfigCall[], name: string, current: number): number {
  let next = current;
  for (const { setting, value } of configs) {
    if (setting !== name) continue;
    // A value that is not a constant may be anything: no limit is the safe reading.
    next = value === undefined ? 0 : (durationTextMs(value) ?? 0);
  }
  return next;
}

/** A `set_config(setting, value, ...)` call: its setting (lower case) and value, each undefined when not a constant. */
interface SetConfigCall {
  setting: string | undefined;
  value: string | undefined;
}

/** The `set_config` calls anywhere in `statement` (a SELECT), in order. */
function setConfigCalls(statement: SqlStatement): SetConfigCall[] {
  return functionCalls(statement.node, "set_config").map((call) => ({ setting: constantText(call.args?.[0])?.toLowerCase(), value: constantText(call.args?.[1]) }));
}

/** A migration's risk: its highest non-acknowledged finding, `low` when none. */
export function riskOf(findings: readonly Finding[]): RiskLevel {
  let risk: RiskLevel = "low";
  for (const f of findings) if (!f.acknowledged) risk = maxRisk(risk, f.severity);
  return risk;
}

/**
 * The data-aware pass: looks up the estimated rows of every table a size-sensitive finding is
 * about, and makes the finding high when the table is larger than `largeTableRows`.
 */
export async function applyTableSizes(linted: LintedMigration[], lookup: TableRowsLookup, largeTableRows: number): Promise<void> {
  const tables = new Set<string>();
  for (const m of linted) for (const f of m.findings) if (f.table && ruleById.get(f.rule)?.sizeSensitive) tables.add(f.table);
  if (tables.size === 0) return;
  const rows = await lookup([...tables]);
  for (const m of linted) {
    for (const f of m.findings) {
      if (!f.table || !ruleById.get(f.rule)?.sizeSensitive) continue;
      const estimate = rows.get(f.table);
      if (estimate === undefined) continue;
      f.tableRows = estimate;
      if (estimate > largeTableRows && f.severity !== "high") {
        f.severity = "high";
        f.message += ` ${f.table} has about ${formatRows(estimate)} rows (more than dbpipe:largeTableRows, ${formatRows(largeTableRows)}), so this is high risk.`;
      }
    }
    m.risk = riskOf(m.findings);
  }
}

function oneLine(sql: string): string {
  // Most statements are short and on one line already: nothing to collapse, trim or cut.
  if (sql.length <= 160 && !NOT_ONE_LINE.test(sql)) return sql;
  const flat = sql.slice(0, 400).replace(/\s+/g, " ").trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/** Whitespace that {@link oneLine} would change: any but a single space between words. */
const NOT_ONE_LINE = /[^\S ]| {2}|^ | $/;
