import type { AlterDomainStmt, AlterTableStmt, ColumnDef, Constraint, CreateDomainStmt, CreateStmt, DropStmt, Node, RenameStmt } from "libpg-query";
import {
  type ColumnType,
  type TableRef,
  alterTableCommands,
  columnConstraints,
  columnTypeOf,
  constraintName,
  isSerialType,
  kindOf,
  nodeAs,
  notNullCheckColumn,
  strings,
  tableOf,
  tableOfNames,
  walk,
} from "./ast";
import { type ViewColumns, viewColumns } from "./view-columns";

/**
 * What the migrations linted so far say about the schema: column types, which columns have
 * defaults, which NOT NULL checks were validated, and what each migration created. Some risks
 * depend on it: `varchar(20)` to `text` rewrites nothing while `int` to `bigint` rewrites the whole
 * table, and only the history knows which one a column had.
 *
 * The history is a fold over {@link SchemaEvent}s, plain data extracted from each statement, so
 * that linting can be split across threads and the events of earlier files handed to later ones.
 */

/**
 * One fact a statement establishes about the schema. Tables, indexes and types are named by key
 * (`schema.name`). Views, materialized views and sequences count as tables: they share their
 * namespace (a sequence's create-table event has no columns).
 */
export type SchemaEvent =
  | {
      event: "create-table";
      table: string;
      /** Its columns; undefined when the statement hides them (LIKE, PARTITION OF, AS SELECT, a view). */
      columns: ColumnEvent[] | undefined;
      /** The CHECK constraints written in the CREATE TABLE. */
      checks?: CheckEvent[];
      /** CREATE ... IF NOT EXISTS or CREATE OR REPLACE: when the table already exists, it is left as it is. */
      ifNotExists?: boolean;
      /** CREATE TABLE ... PARTITION BY: a partitioned table, which holds no rows itself. */
      partitioned?: boolean;
      /** CREATE TABLE ... PARTITION OF: the partitioned table (key) it is a partition of. */
      partitionOf?: string;
      /** CREATE TABLE ... PARTITION OF ... DEFAULT: the parent's DEFAULT partition. */
      defaultPartition?: boolean;
      /** CREATE [OR REPLACE] VIEW (not a temporary one): the view's output columns, as far as its definition names them. */
      viewColumns?: ViewColumns;
    }
  | { event: "drop-table"; table: string }
  | { event: "rename-table"; table: string; to: string }
  | ({ event: "add-column"; table: string } & ColumnEvent)
  | { event: "drop-column"; table: string; column: string }
  | { event: "rename-column"; table: string; column: string; to: string }
  | { event: "set-type"; table: string; column: string; type: ColumnType | undefined }
  | { event: "set-default"; table: string; column: string; hasDefault: boolean }
  | { event: "set-not-null"; table: string; column: string; notNull: boolean }
  | ({ event: "add-check"; table: string } & CheckEvent)
  | { event: "validate-constraint"; table: string; name: string }
  | { event: "drop-constraint"; table: string; name: string }
  | {
      event: "create-index";
      index: string;
      table: string;
      /** CREATE INDEX IF NOT EXISTS: when an index of that name already exists, nothing is built. */
      ifNotExists?: boolean;
      /** Its columns, when each of its keys is a plain column (no expression). */
      columns?: string[];
    }
  | { event: "drop-index"; index: string }
  | { event: "rename-index"; index: string; to: string }
  | {
      event: "attach-partition";
      /** The partitioned table. */
      table: string;
      partition: string;
      /** ATTACH PARTITION ... DEFAULT. */
      defaultPartition?: boolean;
    }
  | { event: "detach-partition"; table: string; partition: string }
  | {
      event: "create-type";
      type: string;
      /** For a domain, the names of its own CHECK constraints (`NOT NULL` for a NOT NULL one); absent when it has none, and for other types. */
      domainConstraints?: string[];
      /** For a domain, its base type (key): a domain over a domain has the base domain's constraints too. */
      domainBase?: string;
    }
  | { event: "create-function"; function: string }
  | { event: "drop-type"; type: string }
  | { event: "rename-type"; type: string; to: string }
  | { event: "add-domain-constraint"; type: string; name: string }
  | { event: "drop-domain-constraint"; type: string; name: string }
  | {
      /**
       * A statement that may drop, move or redefine views without naming them (DROP ... CASCADE,
       * DROP OWNED, a DO block): what is known of their columns no longer holds.
       */
      event: "forget-views";
      /** The one view concerned (ALTER VIEW ... SET SCHEMA); every view when absent. */
      view?: string;
    };

/** A CHECK constraint as a statement adds it. */
export interface CheckEvent {
  /** Its name, as given or as PostgreSQL makes it up (`orders_total_check`). */
  name: string;
  /** The column, when the check is `column IS NOT NULL`. */
  notNullColumn?: string;
  /** The columns its expression names (a type change on one of them re-checks every row). */
  columns?: string[];
  /** False when added NOT VALID. */
  validated: boolean;
}

/** A column as a statement defines it. */
export interface ColumnEvent {
  /** Column name. */
  column: string;
  /** Its type, when written as a plain type. */
  type?: ColumnType;
  /** Whether it has a default (serial and identity columns count). */
  hasDefault: boolean;
  /** Whether it is NOT NULL (or a primary key). */
  notNull: boolean;
}

/** What the history knows about a column. */
export interface ColumnFacts {
  /** Its type, when known. */
  type?: ColumnType;
  /** Whether it has a default. */
  hasDefault: boolean;
  /** Whether it is NOT NULL. */
  notNull: boolean;
}

interface TableFacts {
  /** Undefined when the table was created in a way that hides its columns (LIKE, PARTITION OF, AS SELECT). */
  columns: Map<string, ColumnFacts> | undefined;
  checks: Map<string, { notNullColumn?: string; columns?: string[]; validated: boolean }>;
  /** True when known to be partitioned (PARTITION BY, or named as the parent of a partition). */
  partitioned?: boolean;
  /** Its DEFAULT partition (key), when known. */
  defaultPartition?: string;
  /** For a DEFAULT partition, the partitioned table (key) it is the default of. */
  defaultOf?: string;
}

/** The NOT NULL constraint of a domain, among its named CHECK constraints. */
const DOMAIN_NOT_NULL = "NOT NULL";

/**
 * The schema as the migrations so far describe it. A table or index is in one of three states:
 * known to exist (created, or altered, by a migration), known to be gone (dropped or renamed away),
 * or unknown (never mentioned: it may well exist, created before the migrations or by hand).
 */
export class SchemaHistory {
  private readonly tables = new Map<string, TableFacts>();
  private readonly goneTables = new Set<string>();
  /** Indexes known to exist, with their table when known. */
  private readonly indexes = new Map<string, string | undefined>();
  /** The same indexes by table (those whose table is known): a DROP TABLE finds its indexes without a scan of them all. */
  private readonly indexesOf = new Map<string, Set<string>>();
  private readonly goneIndexes = new Set<string>();
  /** The columns of indexes known to be on plain columns only. */
  private readonly indexColumnsOf = new Map<string, string[]>();
  /** Indexes known to be on a partitioned table (partitioned indexes). */
  private readonly partitionedIndexes = new Set<string>();
  /** Functions (keys, arguments aside) a migration created with CREATE FUNCTION: code dbpipe does not follow. */
  private readonly functions = new Set<string>();
  /** Domains known to exist, with their constraints and base type. */
  private readonly domains = new Map<string, { constraints: Set<string>; base?: string }>();
  /** The output columns of views a migration created, by view: never changed in place (the events that set them are kept for the cache). */
  private readonly views = new Map<string, ViewColumns>();

  /** What is known about `column` of `table`, or undefined when nothing is. */
  column(table: string, column: string): ColumnFacts | undefined {
    return this.tables.get(table)?.columns?.get(column);
  }

  /** True when a validated `CHECK (column IS NOT NULL)` exists on `table`: SET NOT NULL can then skip its scan. */
  hasValidatedNotNullCheck(table: string, column: string): boolean {
    for (const check of this.tables.get(table)?.checks.values() ?? []) {
      if (check.validated && check.notNullColumn === column) return true;
    }
    return false;
  }

  /** The names of the CHECK constraints known on `table` whose expression names `column`. */
  checksOn(table: string, column: string): string[] {
    const names: string[] = [];
    for (const [name, check] of this.tables.get(table)?.checks ?? []) if (check.columns?.includes(column)) names.push(name);
    return names;
  }

  /** The columns of index `index`, when it is known and on plain columns only. */
  indexColumns(index: string): readonly string[] | undefined {
    return this.indexColumnsOf.get(index);
  }

  /** True when a migration created a function named `key` (`schema.name`, whatever its arguments). */
  isMigrationFunction(key: string): boolean {
    return this.functions.has(key);
  }

  /**
   * The output columns of the view `view` as its last CREATE [OR REPLACE] VIEW in the migrations
   * named them (and ALTER VIEW ... RENAME COLUMN renamed them), or undefined when nothing is known
   * of them: a view the migrations did not create, or one a statement may have dropped unseen.
   */
  viewColumns(view: string): ViewColumns | undefined {
    const columns = this.views.get(view);
    return columns && (columns.names.length > 0 || !columns.more) ? columns : undefined;
  }

  /** True when `table` is known to be partitioned: created with PARTITION BY, or named as the parent of a partition. */
  isPartitioned(table: string): boolean {
    return this.tables.get(table)?.partitioned === true;
  }

  /** The DEFAULT partition (key) of the partitioned table `table`, when the history knows one. */
  defaultPartitionOf(table: string): string | undefined {
    return this.tables.get(table)?.defaultPartition;
  }

  /** True when the index `index` is known to be on a partitioned table (a partitioned index). */
  isPartitionedIndex(index: string): boolean {
    return this.partitionedIndexes.has(index);
  }

  /**
   * True when `type` is a domain known to have a CHECK or NOT NULL constraint, its own or its base
   * domain's: a column of it is checked row by row (ADD COLUMN of one rewrites the table).
   */
  isConstrainedDomain(type: string): boolean {
    const seen = new Set<string>();
    for (let key: string | undefined = type; key !== undefined && !seen.has(key); ) {
      seen.add(key);
      const domain = this.domains.get(key);
      if (!domain) return false;
      if (domain.constraints.size > 0) return true;
      key = domain.base;
    }
    return false;
  }

  /**
   * True when `e`, applied now, makes an object that did not exist before: a plain CREATE (it fails
   * when the object exists), or a CREATE ... IF NOT EXISTS of an object the history knows is gone.
   * A CREATE ... IF NOT EXISTS of an object the history knows, or has never seen, may find it
   * already there with its data, and does nothing: it creates nothing new.
   */
  creates(e: SchemaEvent): boolean {
    if (e.event === "create-table") return !e.ifNotExists || this.goneTables.has(e.table);
    if (e.event === "create-index") return !e.ifNotExists || this.goneIndexes.has(e.index);
    return e.event === "create-type";
  }

  /** Applies the facts of one statement. */
  apply(events: readonly SchemaEvent[]): void {
    for (const e of events) this.applyOne(e);
  }

  /** Applies one fact. */
  applyOne(e: SchemaEvent): void {
    switch (e.event) {
      case "create-table": {
        // Whether it replaced a view or made a new one, a view that PostgreSQL accepted has the
        // new definition's columns: a replacement that does not keep the old ones is refused.
        if (e.viewColumns) this.views.set(e.table, e.viewColumns);
        else this.views.delete(e.table);
        if (!this.creates(e)) {
          // Already there, or maybe: what the statement says about columns and checks may not be
          // what the table has, so nothing is learnt beyond the table existing.
          this.table(e.table);
          return;
        }
        const columns = e.columns ? new Map(e.columns.map((c) => [c.column, facts(c)])) : undefined;
        const checks = new Map((e.checks ?? []).map((c) => [c.name, { notNullColumn: c.notNullColumn, columns: c.columns, validated: c.validated }]));
        this.tables.set(e.table, { columns, checks, ...(e.partitioned ? { partitioned: true } : {}) });
        this.goneTables.delete(e.table);
        if (e.partitionOf !== undefined) this.attach(e.partitionOf, e.table, e.defaultPartition === true);
        return;
      }
      case "drop-table": {
        const t = this.tables.get(e.table);
        if (t?.defaultOf !== undefined) this.detach(t.defaultOf, e.table);
        // A partitioned table goes with its partitions.
        if (t?.defaultPartition !== undefined) this.applyOne({ event: "drop-table", table: t.defaultPartition });
        this.tables.delete(e.table);
        this.goneTables.add(e.table);
        this.views.delete(e.table);
        for (const index of this.indexesOf.get(e.table) ?? []) {
          this.indexes.delete(index);
          this.goneIndexes.add(index);
        }
        this.indexesOf.delete(e.table);
        return;
      }
      case "rename-table": {
        const t = this.table(e.table);
        this.tables.delete(e.table);
        this.goneTables.add(e.table);
        this.tables.set(e.to, t);
        this.goneTables.delete(e.to);
        const view = this.views.get(e.table);
        this.views.delete(e.table);
        if (view) this.views.set(e.to, view);
        else this.views.delete(e.to);
        for (const index of [...(this.indexesOf.get(e.table) ?? [])]) this.setIndex(index, e.to, this.partitionedIndexes.has(index));
        const parent = t.defaultOf !== undefined ? this.tables.get(t.defaultOf) : undefined;
        if (parent) parent.defaultPartition = e.to;
        const defaultPartition = t.defaultPartition !== undefined ? this.tables.get(t.defaultPartition) : undefined;
        if (defaultPartition) defaultPartition.defaultOf = e.to;
        return;
      }
      case "add-column":
        this.table(e.table).columns?.set(e.column, facts(e));
        return;
      case "drop-column":
        this.table(e.table).columns?.delete(e.column);
        return;
      case "rename-column": {
        const columns = this.table(e.table).columns;
        const c = columns?.get(e.column);
        columns?.delete(e.column);
        if (c) columns?.set(e.to, c);
        // ALTER VIEW ... RENAME COLUMN: the next CREATE OR REPLACE VIEW must keep the new name.
        const view = this.views.get(e.table);
        if (view?.names.includes(e.column)) this.views.set(e.table, { ...view, names: view.names.map((n) => (n === e.column ? e.to : n)) });
        return;
      }
      case "set-type":
      case "set-default":
      case "set-not-null": {
        const columns = this.table(e.table).columns;
        const c = columns?.get(e.column);
        if (!c) return;
        if (e.event === "set-type") c.type = e.type;
        else if (e.event === "set-default") c.hasDefault = e.hasDefault;
        else c.notNull = e.notNull;
        return;
      }
      case "add-check":
        this.table(e.table).checks.set(e.name, { notNullColumn: e.notNullColumn, columns: e.columns, validated: e.validated });
        return;
      case "validate-constraint": {
        const check = this.table(e.table).checks.get(e.name);
        if (check) check.validated = true;
        return;
      }
      case "drop-constraint":
        this.table(e.table).checks.delete(e.name);
        return;
      case "create-index":
        if (!this.creates(e) && this.indexes.has(e.index)) return;
        this.setIndex(e.index, e.table, this.isPartitioned(e.table));
        if (e.columns) this.indexColumnsOf.set(e.index, e.columns);
        this.goneIndexes.delete(e.index);
        return;
      case "drop-index":
        this.deleteIndex(e.index);
        this.goneIndexes.add(e.index);
        return;
      case "rename-index": {
        // ALTER INDEX ... RENAME renames any relation, a view too: what that view's name meant is gone.
        this.views.delete(e.index);
        const table = this.indexes.get(e.index);
        const partitioned = this.partitionedIndexes.has(e.index);
        const columns = this.indexColumnsOf.get(e.index);
        this.deleteIndex(e.index);
        this.goneIndexes.add(e.index);
        this.setIndex(e.to, table, partitioned);
        if (columns) this.indexColumnsOf.set(e.to, columns);
        this.goneIndexes.delete(e.to);
        return;
      }
      case "attach-partition":
        this.attach(e.table, e.partition, e.defaultPartition === true);
        return;
      case "detach-partition":
        this.detach(e.table, e.partition);
        return;
      case "create-type":
        if (e.domainConstraints !== undefined || e.domainBase !== undefined) {
          this.domains.set(e.type, { constraints: new Set(e.domainConstraints), ...(e.domainBase !== undefined ? { base: e.domainBase } : {}) });
        } else {
          this.domains.delete(e.type);
        }
        return;
      case "create-function":
        this.functions.add(e.function);
        return;
      case "drop-type":
        this.domains.delete(e.type);
        return;
      case "rename-type": {
        const domain = this.domains.get(e.type);
        this.domains.delete(e.type);
        if (domain) this.domains.set(e.to, domain);
        return;
      }
      case "add-domain-constraint":
        // A domain the history never saw created gets an entry: it is known to have this constraint.
        if (!this.domains.has(e.type)) this.domains.set(e.type, { constraints: new Set() });
        this.domains.get(e.type)?.constraints.add(e.name);
        return;
      case "drop-domain-constraint":
        this.domains.get(e.type)?.constraints.delete(e.name);
        return;
      case "forget-views":
        if (e.view === undefined) this.views.clear();
        else this.views.delete(e.view);
        return;
    }
  }

  /** Records that `partition` is a partition of `parent` (which is therefore partitioned), its DEFAULT one when `isDefault`. */
  private attach(parent: string, partition: string, isDefault: boolean): void {
    const p = this.table(parent);
    p.partitioned = true;
    if (!isDefault) return;
    p.defaultPartition = partition;
    this.table(partition).defaultOf = parent;
  }

  /** Records that `partition` is no longer a partition of `parent`. */
  private detach(parent: string, partition: string): void {
    const p = this.tables.get(parent);
    if (p?.defaultPartition !== partition) return;
    delete p.defaultPartition;
    const t = this.tables.get(partition);
    if (t) delete t.defaultOf;
  }

  /** Records that index `index` exists, on `table` when known (in both maps), and whether `table` is partitioned. */
  private setIndex(index: string, table: string | undefined, partitioned: boolean): void {
    this.deleteIndex(index);
    this.indexes.set(index, table);
    if (partitioned) this.partitionedIndexes.add(index);
    if (table === undefined) return;
    let set = this.indexesOf.get(table);
    if (!set) {
      set = new Set();
      this.indexesOf.set(table, set);
    }
    set.add(index);
  }

  /** Forgets index `index` (in both maps). */
  private deleteIndex(index: string): void {
    const table = this.indexes.get(index);
    if (table !== undefined) this.indexesOf.get(table)?.delete(index);
    this.indexes.delete(index);
    this.partitionedIndexes.delete(index);
    this.indexColumnsOf.delete(index);
  }

  /** The facts of `key`; a table the history never saw created gets an entry with unknown columns. */
  private table(key: string): TableFacts {
    let t = this.tables.get(key);
    if (!t) {
      t = { columns: undefined, checks: new Map() };
      this.tables.set(key, t);
    }
    return t;
  }
}

function facts(c: ColumnEvent): ColumnFacts {
  return { type: c.type, hasDefault: c.hasDefault, notNull: c.notNull };
}

/**
 * The facts a statement establishes. Cheap: it only looks at DDL, by the statement's kind (its
 * node's one key; pass it when known, as the linter does). Every kind not listed here (INSERT,
 * UPDATE, GRANT, COMMENT, functions, SET …) establishes no fact.
 */
export function schemaEvents(node: Node, kind: string | undefined = kindOf(node)): SchemaEvent[] {
  switch (kind) {
    case "CreateStmt":
      return createEvents(nodeAs(node, "CreateStmt"));
    // CREATE TABLE ... AS, CREATE MATERIALIZED VIEW and SELECT ... INTO make a new table (or fail)
    // unless IF NOT EXISTS; CREATE OR REPLACE VIEW may replace an existing view.
    case "CreateTableAsStmt": {
      const createAs = nodeAs(node, "CreateTableAsStmt");
      const table = tableOf(createAs?.into?.rel);
      return table ? [createTable(table.key, undefined, [], createAs?.if_not_exists === true)] : [];
    }
    case "SelectStmt": {
      const into = nodeAs(node, "SelectStmt")?.intoClause;
      const table = into ? tableOf(into.rel) : undefined;
      return table ? [createTable(table.key, undefined, [], false)] : [];
    }
    case "ViewStmt": {
      const view = nodeAs(node, "ViewStmt");
      const table = tableOf(view?.view);
      if (!view || !table) return [];
      const event = createTable(table.key, undefined, [], view.replace === true);
      // A temporary view is another relation (in pg_temp) than the view of that name it may hide.
      return [table.temporary ? event : { ...event, viewColumns: viewColumns(view) }];
    }
    case "CreateSeqStmt": {
      const sequence = nodeAs(node, "CreateSeqStmt");
      const name = tableOf(sequence?.sequence);
      return name ? [createTable(name.key, undefined, [], sequence?.if_not_exists === true)] : [];
    }
    case "IndexStmt": {
      const index = nodeAs(node, "IndexStmt");
      const table = tableOf(index?.relation);
      if (!table || !index?.idxname) return [];
      const keys = (index.indexParams ?? []).map((p) => nodeAs(p, "IndexElem"));
      const columns = keys.length > 0 && keys.every((k) => k?.name !== undefined && k.expr === undefined) ? keys.map((k) => k!.name as string) : undefined;
      const event: SchemaEvent = { event: "create-index", index: `${table.schema ?? "public"}.${index.idxname}`, table: table.key, ...(columns ? { columns } : {}) };
      return [index.if_not_exists ? { ...event, ifNotExists: true } : event];
    }
    case "CreateDomainStmt":
      return domainEvents(nodeAs(node, "CreateDomainStmt"));
    case "AlterDomainStmt":
      return alterDomainEvents(nodeAs(node, "AlterDomainStmt"));
    case "CreateEnumStmt":
    case "CreateRangeStmt":
    case "CompositeTypeStmt": {
      const type = createdType(node);
      return type ? [{ event: "create-type", type: type.key }] : [];
    }
    case "CreateFunctionStmt": {
      // A function, not a procedure (CALL is unanalyzable-code's already): SELECT f() runs its code.
      const fn = nodeAs(node, "CreateFunctionStmt");
      const name = fn && !fn.is_procedure ? tableOfNames(fn.funcname) : undefined;
      return name ? [{ event: "create-function", function: name.key }] : [];
    }
    case "DropStmt": {
      const drop = nodeAs(node, "DropStmt");
      const events = dropEvents(drop);
      // CASCADE drops the views that depend on what it drops, unnamed.
      return drop?.behavior === "DROP_CASCADE" ? [...events, FORGET_VIEWS] : events;
    }
    case "RenameStmt": {
      const rename = nodeAs(node, "RenameStmt");
      // ALTER SCHEMA ... RENAME moves every view in it.
      return rename?.renameType === "OBJECT_SCHEMA" ? [FORGET_VIEWS] : renameEvents(rename);
    }
    case "AlterTableStmt":
      return alterEvents(nodeAs(node, "AlterTableStmt"));
    case "AlterObjectSchemaStmt": {
      // ALTER VIEW (or TABLE) ... SET SCHEMA: the view is no longer where its name said.
      const moved = tableOf(nodeAs(node, "AlterObjectSchemaStmt")?.relation);
      return moved ? [{ event: "forget-views", view: moved.key }] : [];
    }
    // DROP OWNED drops the role's views; a DO block or a procedure may run any DDL.
    case "DropOwnedStmt":
    case "DoStmt":
    case "CallStmt":
      return [FORGET_VIEWS];
    default:
      return [];
  }
}

function createEvents(create: CreateStmt | undefined): SchemaEvent[] {
  const table = tableOf(create?.relation);
  if (!create || !table) return [];
  const ifNotExists = create.if_not_exists === true;
  const hidesColumns = (create.inhRelations?.length ?? 0) > 0 || create.partbound !== undefined || create.ofTypename !== undefined;
  const columns: ColumnEvent[] = [];
  const checks: CheckEvent[] = [];
  const sequences: SchemaEvent[] = [];
  for (const element of create.tableElts ?? []) {
    const column = nodeAs(element, "ColumnDef");
    if (column) {
      columns.push(columnEvent(column));
      for (const c of columnConstraints(column)) checks.push(...checkEvents(table.name, c, column.colname));
      const sequence = implicitSequence(table, column);
      if (sequence) sequences.push(createTable(sequence, undefined, [], ifNotExists));
    }
    const constraint = nodeAs(element, "Constraint");
    if (constraint) checks.push(...checkEvents(table.name, constraint));
    if (nodeAs(element, "TableLikeClause")) return [createTable(table.key, undefined, [], ifNotExists), ...sequences];
  }
  const event = createTable(table.key, hidesColumns ? undefined : columns, checks, ifNotExists);
  return [{ ...event, ...partitionFacts(create) }, ...sequences];
}

/** Forgets the columns of every view the history knows. */
const FORGET_VIEWS: SchemaEvent = { event: "forget-views" };

/** PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The key of the sequence a serial or identity column of a new table gets: the identity's
 * `SEQUENCE NAME`, or `<table>_<column>_seq` in the table's schema. Undefined for other columns, and
 * when that name is too long (PostgreSQL then shortens it in ways not worth guessing).
 */
function implicitSequence(table: TableRef, column: ColumnDef): string | undefined {
  const identity = columnConstraints(column).find((c) => c.contype === "CONSTR_IDENTITY");
  if (!identity && !isSerialType(columnTypeOf(column.typeName))) return undefined;
  const named = (identity?.options ?? []).map((o) => nodeAs(o, "DefElem")).find((d) => d?.defname === "sequence_name");
  const explicit = tableOfNames(nodeAs(named?.arg, "List")?.items);
  if (explicit) return explicit.schema ? explicit.key : `${table.schema ?? "public"}.${explicit.name}`;
  const name = `${table.name}_${column.colname ?? ""}_seq`;
  return Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES ? `${table.schema ?? "public"}.${name}` : undefined;
}

/** What a CREATE TABLE says about partitioning: PARTITION BY, PARTITION OF (its parent), DEFAULT. */
function partitionFacts(create: CreateStmt): { partitioned?: boolean; partitionOf?: string; defaultPartition?: boolean } {
  const parent = create.partbound ? tableOf(nodeAs(create.inhRelations?.[0], "RangeVar")) : undefined;
  return {
    ...(create.partspec ? { partitioned: true } : {}),
    ...(parent ? { partitionOf: parent.key } : {}),
    ...(parent && create.partbound?.is_default ? { defaultPartition: true } : {}),
  };
}

function dropEvents(drop: DropStmt | undefined): SchemaEvent[] {
  if (drop?.removeType === "OBJECT_DOMAIN" || drop?.removeType === "OBJECT_TYPE") {
    const events: SchemaEvent[] = [];
    for (const object of drop.objects ?? []) {
      const type = tableOfNames(nodeAs(object, "TypeName")?.names);
      if (type) events.push({ event: "drop-type", type: type.key });
    }
    return events;
  }
  if (!drop || !(drop.removeType === "OBJECT_TABLE" || drop.removeType === "OBJECT_VIEW" || drop.removeType === "OBJECT_MATVIEW" || drop.removeType === "OBJECT_SEQUENCE" || drop.removeType === "OBJECT_INDEX")) return [];
  const events: SchemaEvent[] = [];
  for (const object of drop.objects ?? []) {
    const name = tableOfNames(nodeAs(object, "List")?.items);
    if (!name) continue;
    events.push(drop.removeType === "OBJECT_INDEX" ? { event: "drop-index", index: name.key } : { event: "drop-table", table: name.key });
  }
  return events;
}

function renameEvents(rename: RenameStmt | undefined): SchemaEvent[] {
  if ((rename?.renameType === "OBJECT_DOMAIN" || rename?.renameType === "OBJECT_TYPE") && rename.newname) {
    const type = tableOfNames(nodeAs(rename.object, "List")?.items);
    return type ? [{ event: "rename-type", type: type.key, to: `${type.schema ?? "public"}.${rename.newname}` }] : [];
  }
  const table = tableOf(rename?.relation);
  if (!rename || !table || !rename.newname) return [];
  const to = `${table.schema ?? "public"}.${rename.newname}`;
  if (rename.renameType === "OBJECT_TABLE" || rename.renameType === "OBJECT_VIEW" || rename.renameType === "OBJECT_MATVIEW" || rename.renameType === "OBJECT_SEQUENCE") return [{ event: "rename-table", table: table.key, to }];
  if (rename.renameType === "OBJECT_INDEX") return [{ event: "rename-index", index: table.key, to }];
  if (rename.renameType === "OBJECT_COLUMN" && rename.subname) return [{ event: "rename-column", table: table.key, column: rename.subname, to: rename.newname }];
  return [];
}

function alterEvents(alter: AlterTableStmt | undefined): SchemaEvent[] {
  if (!alter) return [];
  // DROP COLUMN ... CASCADE, DROP CONSTRAINT ... CASCADE (of a key a GROUP BY view relies on), ALTER TYPE ... DROP ATTRIBUTE ... CASCADE.
  const cascades = alterTableCommands(alter).some((cmd) => cmd.behavior === "DROP_CASCADE");
  if (alter.objtype !== "OBJECT_TABLE") return cascades ? [FORGET_VIEWS] : [];
  const table = tableOf(alter.relation);
  if (!table) return cascades ? [FORGET_VIEWS] : [];
  const events: SchemaEvent[] = cascades ? [FORGET_VIEWS] : [];
  for (const cmd of alterTableCommands(alter)) {
    const column = cmd.name ?? "";
    switch (cmd.subtype) {
      case "AT_AddColumn": {
        const def = nodeAs(cmd.def, "ColumnDef");
        if (!def) break;
        events.push({ event: "add-column", table: table.key, ...columnEvent(def) });
        for (const c of columnConstraints(def)) for (const check of checkEvents(table.name, c, def.colname)) events.push({ event: "add-check", table: table.key, ...check });
        break;
      }
      case "AT_DropColumn":
        events.push({ event: "drop-column", table: table.key, column });
        break;
      case "AT_AlterColumnType":
        events.push({ event: "set-type", table: table.key, column, type: columnTypeOf(nodeAs(cmd.def, "ColumnDef")?.typeName) });
        break;
      case "AT_ColumnDefault":
        events.push({ event: "set-default", table: table.key, column, hasDefault: cmd.def !== undefined });
        break;
      case "AT_SetNotNull":
      case "AT_DropNotNull":
        events.push({ event: "set-not-null", table: table.key, column, notNull: cmd.subtype === "AT_SetNotNull" });
        break;
      case "AT_AddConstraint": {
        const constraint = nodeAs(cmd.def, "Constraint");
        if (constraint) for (const check of checkEvents(table.name, constraint)) events.push({ event: "add-check", table: table.key, ...check });
        break;
      }
      case "AT_ValidateConstraint":
        events.push({ event: "validate-constraint", table: table.key, name: column });
        break;
      case "AT_DropConstraint":
        events.push({ event: "drop-constraint", table: table.key, name: column });
        break;
      case "AT_AttachPartition":
      case "AT_DetachPartition": {
        const partition = nodeAs(cmd.def, "PartitionCmd");
        const name = tableOf(partition?.name);
        if (!partition || !name) break;
        if (cmd.subtype === "AT_DetachPartition") events.push({ event: "detach-partition", table: table.key, partition: name.key });
        else events.push({ event: "attach-partition", table: table.key, partition: name.key, ...(partition.bound?.is_default ? { defaultPartition: true } : {}) });
        break;
      }
    }
  }
  return events;
}

function columnEvent(column: ColumnDef): ColumnEvent {
  const type = columnTypeOf(column.typeName);
  let hasDefault = isSerialType(type);
  let notNull = isSerialType(type);
  for (const c of columnConstraints(column)) {
    if (c.contype === "CONSTR_DEFAULT" || c.contype === "CONSTR_IDENTITY" || c.contype === "CONSTR_GENERATED") hasDefault = true;
    if (c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_IDENTITY") notNull = true;
  }
  return { column: column.colname ?? "", type, hasDefault, notNull };
}

function createTable(table: string, columns: ColumnEvent[] | undefined, checks: CheckEvent[], ifNotExists: boolean): Extract<SchemaEvent, { event: "create-table" }> {
  return { event: "create-table", table, columns, ...(checks.length > 0 ? { checks } : {}), ...(ifNotExists ? { ifNotExists } : {}) };
}

/** A CREATE DOMAIN: the type, its base type, and the names of its CHECK and NOT NULL constraints. */
function domainEvents(domain: CreateDomainStmt | undefined): SchemaEvent[] {
  const type = tableOfNames(domain?.domainname);
  if (!domain || !type) return [];
  const constraints: string[] = [];
  for (const node of domain.constraints ?? []) {
    const c = nodeAs(node, "Constraint");
    if (c?.contype === "CONSTR_CHECK") {
      // PostgreSQL names unnamed checks d_check, d_check1, ...
      let name = c.conname ?? `${type.name}_check`;
      for (let i = 1; !c.conname && constraints.includes(name); i++) name = `${type.name}_check${i}`;
      constraints.push(name);
    } else if (c?.contype === "CONSTR_NOTNULL") {
      constraints.push(DOMAIN_NOT_NULL);
    }
  }
  // A domain over an array type is over no domain: the element domain's checks are not its own.
  const base = domain.typeName?.arrayBounds?.length ? undefined : tableOfNames(domain.typeName?.names);
  return [{ event: "create-type", type: type.key, ...(constraints.length > 0 ? { domainConstraints: constraints } : {}), ...(base ? { domainBase: base.key } : {}) }];
}

/** ALTER DOMAIN ... ADD CONSTRAINT / DROP CONSTRAINT / SET NOT NULL / DROP NOT NULL. */
function alterDomainEvents(alter: AlterDomainStmt | undefined): SchemaEvent[] {
  const type = tableOfNames(alter?.typeName);
  if (!alter || !type) return [];
  switch (alter.subtype) {
    case "C": {
      const c = nodeAs(alter.def, "Constraint");
      if (c?.contype === "CONSTR_CHECK") return [{ event: "add-domain-constraint", type: type.key, name: c.conname ?? `${type.name}_check` }];
      if (c?.contype === "CONSTR_NOTNULL") return [{ event: "add-domain-constraint", type: type.key, name: DOMAIN_NOT_NULL }];
      return [];
    }
    case "X":
      return alter.name ? [{ event: "drop-domain-constraint", type: type.key, name: alter.name }] : [];
    case "O":
      return [{ event: "add-domain-constraint", type: type.key, name: DOMAIN_NOT_NULL }];
    case "N":
      return [{ event: "drop-domain-constraint", type: type.key, name: DOMAIN_NOT_NULL }];
    default:
      return [];
  }
}

/** The type a CREATE TYPE (enum, composite, range) statement makes. */
function createdType(node: Node) {
  const createEnum = nodeAs(node, "CreateEnumStmt");
  if (createEnum) return tableOfNames(createEnum.typeName);
  const range = nodeAs(node, "CreateRangeStmt");
  if (range) return tableOfNames(range.typeName);
  const composite = nodeAs(node, "CompositeTypeStmt");
  if (composite) return tableOf(composite.typevar);
  return undefined;
}

function checkEvents(tableName: string, c: Constraint, columnName?: string): CheckEvent[] {
  if (c.contype !== "CONSTR_CHECK") return [];
  const columns = new Set<string>(columnName ? [columnName] : []);
  walk(c.raw_expr, (kind, inner) => {
    if (kind !== "ColumnRef") return;
    const fields = strings(inner.fields as Node[] | undefined);
    if (fields.length > 0) columns.add(fields[fields.length - 1]);
  });
  return [{ name: constraintName(tableName, c, columnName), notNullColumn: notNullCheckColumn(c.raw_expr), columns: [...columns], validated: !c.skip_validation }];
}
