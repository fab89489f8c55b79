import type { ColumnDef, Constraint, Node } from "libpg-query";
import {
  type ColumnType,
  alterTableCommands,
  columnConstraints,
  columnTypeOf,
  isSerialType,
  nodeAs,
  notNullCheckColumn,
  strings,
  tableOf,
  tableOfNames,
} from "./ast";

/**
 * What the migrations linted so far say about the schema: column types, which columns have
 * defaults, which NOT NULL checks were validated, and what each migration created. Some risks
 * depend on it: `varchar(20)` to `text` rewrites nothing while `int` to `bigint` rewrites the whole
 * table, and only the history knows which one a column had.
 *
 * The history is a fold over {@link SchemaEvent}s, plain data extracted from each statement, so
 * that linting can be split across threads and the events of earlier files handed to later ones.
 */

/** One fact a statement establishes about the schema. Tables, indexes and types are named by key (`schema.name`). */
export type SchemaEvent =
  | { event: "create-table"; table: string; columns: ColumnEvent[] | undefined }
  | { event: "drop-table"; table: string }
  | { event: "rename-table"; table: string; to: string }
  | ({ event: "add-column"; table: string } & ColumnEvent)
  | { event: "drop-column"; table: string; column: string }
  | { event: "rename-column"; table: string; column: string; to: string }
  | { event: "set-type"; table: string; column: string; type: ColumnType | undefined }
  | { event: "set-default"; table: string; column: string; hasDefault: boolean }
  | { event: "set-not-null"; table: string; column: string; notNull: boolean }
  | { event: "add-check"; table: string; name: string; notNullColumn?: string; validated: boolean }
  | { event: "validate-constraint"; table: string; name: string }
  | { event: "drop-constraint"; table: string; name: string }
  | { event: "create-index"; index: string; table: string }
  | { event: "create-type"; type: string };

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
  checks: Map<string, { notNullColumn?: string; validated: boolean }>;
}

/** The schema as the migrations so far describe it. */
export class SchemaHistory {
  private readonly tables = new Map<string, TableFacts>();

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

  /** Applies the facts of one statement. */
  apply(events: readonly SchemaEvent[]): void {
    for (const e of events) this.applyOne(e);
  }

  private applyOne(e: SchemaEvent): void {
    switch (e.event) {
      case "create-table": {
        const columns = e.columns ? new Map(e.columns.map((c) => [c.column, facts(c)])) : undefined;
        this.tables.set(e.table, { columns, checks: new Map() });
        return;
      }
      case "drop-table":
        this.tables.delete(e.table);
        return;
      case "rename-table": {
        const t = this.tables.get(e.table);
        this.tables.delete(e.table);
        if (t) this.tables.set(e.to, t);
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
        this.table(e.table).checks.set(e.name, { notNullColumn: e.notNullColumn, validated: e.validated });
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
      case "create-type":
        return;
    }
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

/** The facts a statement establishes. Cheap: it only looks at DDL. */
export function schemaEvents(node: Node): SchemaEvent[] {
  const create = nodeAs(node, "CreateStmt");
  if (create) {
    const table = tableOf(create.relation);
    if (!table) return [];
    const events: SchemaEvent[] = [];
    const hidesColumns = (create.inhRelations?.length ?? 0) > 0 || create.partbound !== undefined || create.ofTypename !== undefined;
    const columns: ColumnEvent[] = [];
    for (const element of create.tableElts ?? []) {
      const column = nodeAs(element, "ColumnDef");
      if (column) {
        columns.push(columnEvent(column));
        for (const c of columnConstraints(column)) events.push(...checkEvents(table.key, table.name, c, column.colname));
      }
      const constraint = nodeAs(element, "Constraint");
      if (constraint) events.push(...checkEvents(table.key, table.name, constraint));
      if (nodeAs(element, "TableLikeClause")) return [{ event: "create-table", table: table.key, columns: undefined }];
    }
    return [{ event: "create-table", table: table.key, columns: hidesColumns ? undefined : columns }, ...events];
  }
  const createAs = nodeAs(node, "CreateTableAsStmt");
  if (createAs) {
    const table = tableOf(createAs.into?.rel);
    return table ? [{ event: "create-table", table: table.key, columns: undefined }] : [];
  }
  const select = nodeAs(node, "SelectStmt");
  if (select?.intoClause) {
    const table = tableOf(select.intoClause.rel);
    return table ? [{ event: "create-table", table: table.key, columns: undefined }] : [];
  }
  const view = nodeAs(node, "ViewStmt");
  if (view) {
    const table = tableOf(view.view);
    return table ? [{ event: "create-table", table: table.key, columns: undefined }] : [];
  }
  const index = nodeAs(node, "IndexStmt");
  if (index) {
    const table = tableOf(index.relation);
    if (!table || !index.idxname) return [];
    return [{ event: "create-index", index: `${table.schema ?? "public"}.${index.idxname}`, table: table.key }];
  }
  const createEnum = nodeAs(node, "CreateEnumStmt");
  if (createEnum) {
    const type = tableOfNames(createEnum.typeName);
    return type ? [{ event: "create-type", type: type.key }] : [];
  }
  const drop = nodeAs(node, "DropStmt");
  if (drop && drop.removeType === "OBJECT_TABLE") {
    const events: SchemaEvent[] = [];
    for (const object of drop.objects ?? []) {
      const table = tableOfNames(nodeAs(object, "List")?.items);
      if (table) events.push({ event: "drop-table", table: table.key });
    }
    return events;
  }
  const rename = nodeAs(node, "RenameStmt");
  if (rename) {
    const table = tableOf(rename.relation);
    if (!table || !rename.newname) return [];
    if (rename.renameType === "OBJECT_TABLE") return [{ event: "rename-table", table: table.key, to: `${table.schema ?? "public"}.${rename.newname}` }];
    if (rename.renameType === "OBJECT_COLUMN" && rename.subname) return [{ event: "rename-column", table: table.key, column: rename.subname, to: rename.newname }];
    return [];
  }
  const alter = nodeAs(node, "AlterTableStmt");
  if (alter && alter.objtype === "OBJECT_TABLE") {
    const table = tableOf(alter.relation);
    if (!table) return [];
    const events: SchemaEvent[] = [];
    for (const cmd of alterTableCommands(alter)) {
      const column = cmd.name ?? "";
      switch (cmd.subtype) {
        case "AT_AddColumn": {
          const def = nodeAs(cmd.def, "ColumnDef");
          if (!def) break;
          events.push({ event: "add-column", table: table.key, ...columnEvent(def) });
          for (const c of columnConstraints(def)) events.push(...checkEvents(table.key, table.name, c, def.colname));
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
          if (constraint) events.push(...checkEvents(table.key, table.name, constraint));
          break;
        }
        case "AT_ValidateConstraint":
          events.push({ event: "validate-constraint", table: table.key, name: column });
          break;
        case "AT_DropConstraint":
          events.push({ event: "drop-constraint", table: table.key, name: column });
          break;
      }
    }
    return events;
  }
  return [];
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

function checkEvents(table: string, tableName: string, c: Constraint, columnName?: string): SchemaEvent[] {
  if (c.contype !== "CONSTR_CHECK") return [];
  const notNullColumn = notNullCheckColumn(c.raw_expr);
  // PostgreSQL names an unnamed check after its table and column: orders_total_check.
  const firstColumn = columnName ?? notNullColumn ?? strings(c.keys)[0];
  const name = c.conname ?? `${tableName}_${firstColumn ? `${firstColumn}_` : ""}check`;
  return [{ event: "add-check", table, name, notNullColumn, validated: !c.skip_validation }];
}
