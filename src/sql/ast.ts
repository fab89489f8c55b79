import type { AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, FuncCall, Node, RangeVar, TypeName } from "libpg-query";
import { durationTextMs } from "../text/duration";

/**
 * Reading the parser's tree: the few shapes the rules ask about (tables, columns, types,
 * constraints, expressions), named in the words of the SQL rather than of the parser.
 */

/** The name of a statement's node type, as the parser names it: `IndexStmt`, `AlterTableStmt`, ... */
export type StatementKind = Node extends infer N ? (N extends Record<infer K, unknown> ? K & string : never) : never;

/** The inner object of a node of kind `K`, e.g. `NodeOf<"IndexStmt">` is `IndexStmt`. */
export type NodeOf<K extends StatementKind> = Extract<Node, Record<K, unknown>> extends Record<K, infer T> ? T : never;

/** The inner object of `node` when it is a `kind` node, else undefined. */
export function nodeAs<K extends StatementKind>(node: Node | undefined, kind: K): NodeOf<K> | undefined {
  if (!node) return undefined;
  return (node as Record<string, unknown>)[kind] as NodeOf<K> | undefined;
}

/** A node's kind: its one key, e.g. `IndexStmt` (undefined for an empty object). */
export function kindOf(node: Node): string | undefined {
  for (const key in node) return key;
  return undefined;
}

/** A table (or view, sequence, index) as a statement names it. */
export interface TableRef {
  /** Schema, when the statement qualifies the name. */
  schema?: string;
  /** The name. */
  name: string;
  /** How to show it: `users`, `billing.invoices`; quoted where SQL needs quotes. */
  display: string;
  /** Identity for comparing names within a run: unqualified names count as `public`. */
  key: string;
  /** True for temporary tables: only this session sees them. */
  temporary: boolean;
}

/**
 * A {@link TableRef} from the parser's RangeVar. Made afresh on each call: remembering them per
 * RangeVar in a WeakMap cost more than making them (and kept them past the young generation).
 */
export function tableOf(relation: RangeVar | undefined): TableRef | undefined {
  if (!relation?.relname) return undefined;
  return makeTableRef(relation.schemaname, relation.relname, relation.relpersistence === "t");
}

/** A {@link TableRef} from a qualified name given as a list of String nodes (`DROP TABLE a.b`). */
export function tableOfNames(names: Node[] | undefined): TableRef | undefined {
  const parts = strings(names);
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  return makeTableRef(schema, name, false);
}

/** The {@link TableRef} of a key (`schema.name`, as {@link TableRef.key} makes it): `public.` is left out of its display. */
export function tableOfKey(key: string): TableRef {
  const dot = key.indexOf(".");
  const schema = key.slice(0, dot);
  return makeTableRef(schema === "public" ? undefined : schema, key.slice(dot + 1), false);
}

function makeTableRef(schema: string | undefined, name: string, temporary: boolean): TableRef {
  return {
    schema,
    name,
    display: schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name),
    key: `${schema ?? "public"}.${name}`,
    temporary,
  };
}

/** An identifier as SQL would need it written. */
export function quoteIdent(name: string): string {
  let plain = name.length > 0;
  for (let i = 0; i < name.length && plain; i++) {
    const c = name.charCodeAt(i);
    const lower = c >= 97 && c <= 122;
    plain = lower || c === 95 || (i > 0 && ((c >= 48 && c <= 57) || c === 36));
  }
  return plain ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The values of a list of String nodes (`names`, `funcname`, ...). */
export function strings(nodes: Node[] | undefined): string[] {
  const out: string[] = [];
  for (const n of nodes ?? []) {
    const s = nodeAs(n, "String");
    if (s) out.push(s.sval ?? "");
  }
  return out;
}

/** The subcommands of an ALTER TABLE. */
export function alterTableCommands(stmt: AlterTableStmt): AlterTableCmd[] {
  const out: AlterTableCmd[] = [];
  for (const c of stmt.cmds ?? []) {
    const cmd = nodeAs(c, "AlterTableCmd");
    if (cmd) out.push(cmd);
  }
  return out;
}

/** The constraints written on a column definition. */
export function columnConstraints(column: ColumnDef): Constraint[] {
  const out: Constraint[] = [];
  for (const c of column.constraints ?? []) {
    const constraint = nodeAs(c, "Constraint");
    if (constraint) out.push(constraint);
  }
  return out;
}

/** A column type as written, normalised: `int` is `int4`, `character varying(20)` is `varchar` with modifier 20. */
export interface ColumnType {
  /** The type's name, without `pg_catalog.`: `int4`, `varchar`, `text`, `numeric`, `my_enum`. */
  name: string;
  /** Schema when the type is qualified by something other than `pg_catalog`. */
  schema?: string;
  /** Numeric modifiers (`varchar(20)`: [20]; `numeric(10,2)`: [10, 2]); empty when none. */
  modifiers: number[];
  /** True for array types (`text[]`). */
  array: boolean;
  /** True when a modifier is not a plain number: the type cannot be compared. */
  opaque: boolean;
  /** How to show it: `varchar(20)`, `int8`, `text[]`. */
  display: string;
}

/** The {@link ColumnType} of a parser TypeName. */
export function columnTypeOf(typeName: TypeName | undefined): ColumnType | undefined {
  if (!typeName) return undefined;
  const parts = strings(typeName.names);
  if (parts.length === 0) return undefined;
  const name = parts[parts.length - 1];
  const schema = parts.length > 1 && parts[0] !== "pg_catalog" ? parts[parts.length - 2] : undefined;
  const modifiers: number[] = [];
  let opaque = false;
  for (const m of typeName.typmods ?? []) {
    const value = nodeAs(m, "A_Const")?.ival;
    if (value) modifiers.push(value.ival ?? 0);
    else opaque = true;
  }
  const array = (typeName.arrayBounds?.length ?? 0) > 0;
  const display = `${schema ? `${schema}.` : ""}${name}${modifiers.length ? `(${modifiers.join(",")})` : ""}${array ? "[]" : ""}`;
  return { name, schema, modifiers, array, opaque, display };
}

/** True for serial pseudo-types: a column of one gets a sequence and a `nextval()` default. */
export function isSerialType(type: ColumnType | undefined): boolean {
  return type !== undefined && !type.schema && ["serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"].includes(type.name);
}

/** Calls `visit` for every node below `value` (depth first), with its kind and inner object. */
export function walk(value: unknown, visit: (kind: string, inner: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const key in value) {
    const child = (value as Record<string, unknown>)[key];
    if (child === null || typeof child !== "object") continue;
    // Node wrappers are the only keys that start with a capital letter (`FuncCall`, `A_Const`).
    const first = key.charCodeAt(0);
    if (first >= 65 && first <= 90 && !Array.isArray(child)) visit(key, child as Record<string, unknown>);
    walk(child, visit);
  }
}

/** The calls anywhere below `value` of a function whose name (without its schema) is `name`, in order. */
export function functionCalls(value: unknown, name: string): FuncCall[] {
  const calls: FuncCall[] = [];
  walk(value, (kind, inner) => {
    if (kind === "FuncCall" && strings((inner as FuncCall).funcname).at(-1) === name) calls.push(inner as FuncCall);
  });
  return calls;
}

/** The text of a string constant (`'replica'`), or undefined for any other node. */
export function constantText(node: Node | undefined): string | undefined {
  return nodeAs(node, "A_Const")?.sval?.sval;
}

/**
 * Built-in functions that are not volatile, so a column default using them is computed once and
 * stored in the catalog (PostgreSQL 11+), without rewriting the table. Anything not listed here is
 * treated as volatile: a wrong "volatile" costs an acknowledgement, a wrong "not volatile" an outage.
 */
const NON_VOLATILE_FUNCTIONS = new Set([
  "now", "transaction_timestamp", "statement_timestamp", "current_timestamp", "current_date", "localtimestamp",
  "lower", "upper", "length", "char_length", "btrim", "ltrim", "rtrim", "trim", "replace", "substring", "substr",
  "left", "right", "concat", "concat_ws", "format", "md5", "encode", "decode", "to_char", "to_date", "to_timestamp",
  "to_number", "date_trunc", "date_part", "extract", "make_date", "make_time", "make_timestamp", "make_timestamptz",
  "make_interval", "abs", "round", "trunc", "ceil", "floor", "greatest", "least", "coalesce", "nullif",
  "to_json", "to_jsonb", "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
  "array_to_json", "row_to_json", "jsonb_object", "json_object", "array_fill", "string_to_array", "array_to_string",
  "current_user", "current_schema", "current_database", "session_user", "timezone", "age", "int4", "int8", "text",
  "numeric", "float8", "bool", "uuid_nil", "uuid_ns_url", "uuid_ns_dns",
]);

/**
 * The first volatile function call in a default expression (`gen_random_uuid()`, `random()`,
 * `clock_timestamp()`, `nextval(...)`, or a function dbpipe does not know), or undefined when the
 * expression is made only of constants, casts, operators and known non-volatile functions.
 */
export function volatileFunctionIn(expr: Node | undefined): string | undefined {
  let found: string | undefined;
  walk(expr, (kind, inner) => {
    if (found || kind !== "FuncCall") return;
    const names = strings(inner.funcname as Node[] | undefined);
    const name = names[names.length - 1] ?? "";
    const schema = names.length > 1 ? names[0] : "pg_catalog";
    if (schema !== "pg_catalog" || !NON_VOLATILE_FUNCTIONS.has(name)) found = `${names.join(".")}()`;
  });
  return found;
}

/** The column a `col IS NOT NULL` check expression tests, when that is all the expression does. */
export function notNullCheckColumn(expr: Node | undefined): string | undefined {
  const test = nodeAs(expr, "NullTest");
  if (!test || test.nulltesttype !== "IS_NOT_NULL") return undefined;
  const ref = nodeAs(test.arg, "ColumnRef");
  const fields = strings(ref?.fields);
  return fields.length === 1 ? fields[0] : undefined;
}

/** The value of a `SET name = value` argument as PostgreSQL would read a duration, in ms; undefined if not a duration. */
export function durationMs(args: Node[] | undefined): number | undefined {
  const value = nodeAs(args?.[0], "A_Const");
  if (!value) return undefined;
  if (value.ival) return value.ival.ival ?? 0;
  const text = value.sval?.sval ?? value.fval?.fval;
  if (text === undefined) return undefined;
  return durationTextMs(text);
}

/** Formats a row count for a message: `12,345,678`. */
export function formatRows(rows: number): string {
  return Math.round(rows).toLocaleString("en-US");
}

/** True when `expr` contains a subquery (`IN (SELECT ...)`, `EXISTS (...)`, `= ANY (SELECT ...)`, a scalar subquery). */
export function hasSubquery(expr: Node | undefined): boolean {
  let found = false;
  walk(expr, (kind) => {
    if (kind === "SubLink") found = true;
  });
  return found;
}

/**
 * True when a WHERE clause is true whatever the row (`WHERE true`, `WHERE 1 = 1`, `WHERE NOT false`,
 * `WHERE 'a' = 'a' OR x`): such a WHERE filters nothing, so the statement touches every row.
 */
export function isAlwaysTrue(expr: Node | undefined): boolean {
  return constantValue(expr) === true;
}

/** A constant, as PostgreSQL would fold it (`null` for NULL). */
type Constant = number | string | boolean | null;

const BOOLEAN_WORDS: Record<string, boolean> = { t: true, true: true, y: true, yes: true, on: true, "1": true, f: false, false: false, n: false, no: false, off: false, "0": false };
const NUMERIC_TYPES = new Set(["int2", "int4", "int8", "numeric", "float4", "float8", "integer", "bigint", "smallint", "decimal", "real"]);

/** The value of an expression made only of constants, casts, comparisons and AND/OR/NOT; undefined for anything else. */
function constantValue(expr: Node | undefined): Constant | undefined {
  if (!expr) return undefined;
  const value = nodeAs(expr, "A_Const");
  if (value) {
    if (value.isnull) return null;
    if (value.ival) return value.ival.ival ?? 0;
    if (value.fval) return Number(value.fval.fval);
    if (value.boolval) return value.boolval.boolval ?? false;
    if (value.sval) return value.sval.sval ?? "";
    return undefined;
  }
  const cast = nodeAs(expr, "TypeCast");
  if (cast) {
    const inner = constantValue(cast.arg);
    const type = columnTypeOf(cast.typeName)?.name;
    if (inner === undefined || inner === null || !type) return inner;
    if (type === "bool") return typeof inner === "boolean" ? inner : BOOLEAN_WORDS[String(inner).trim().toLowerCase()];
    if (NUMERIC_TYPES.has(type)) {
      const n = Number(inner);
      return typeof inner === "boolean" || Number.isNaN(n) ? undefined : n;
    }
    return typeof inner === "string" ? inner : undefined;
  }
  const bool = nodeAs(expr, "BoolExpr");
  if (bool) {
    const args = (bool.args ?? []).map(constantValue);
    if (bool.boolop === "NOT_EXPR") return typeof args[0] === "boolean" ? !args[0] : undefined;
    if (bool.boolop === "AND_EXPR") {
      if (args.some((a) => a === false)) return false;
      return args.every((a) => a === true) ? true : undefined;
    }
    if (bool.boolop === "OR_EXPR") {
      if (args.some((a) => a === true)) return true;
      return args.every((a) => a === false) ? false : undefined;
    }
    return undefined;
  }
  const test = nodeAs(expr, "NullTest");
  if (test) {
    const arg = constantValue(test.arg);
    if (arg === undefined) return undefined;
    return test.nulltesttype === "IS_NULL" ? arg === null : arg !== null;
  }
  const op = nodeAs(expr, "A_Expr");
  if (op && op.kind === "AEXPR_OP") return compareConstants(strings(op.name).join("."), constantValue(op.lexpr), constantValue(op.rexpr));
  return undefined;
}

function compareConstants(operator: string, left: Constant | undefined, right: Constant | undefined): boolean | undefined {
  if (left === undefined || right === undefined || left === null || right === null) return undefined;
  // An untyped literal takes the other side's type: `1 = '1'` compares numbers.
  if (typeof left === "number" && typeof right === "string") right = Number(right);
  if (typeof left === "string" && typeof right === "number") left = Number(left);
  if (typeof left !== typeof right || (typeof left === "number" && Number.isNaN(left)) || (typeof right === "number" && Number.isNaN(right))) return undefined;
  switch (operator) {
    case "=":
      return left === right;
    case "<>":
    case "!=":
      return left !== right;
    case "<":
      return left < right;
    case ">":
      return left > right;
    case "<=":
      return left <= right;
    case ">=":
      return left >= right;
    default:
      return undefined;
  }
}

/**
 * True when the option list (`REINDEX (CONCURRENTLY)`, `VACUUM (FULL false, ANALYZE)`) turns
 * `name` on: named without a value, or with a value PostgreSQL reads as true (see
 * {@link optionBoolean}). The last mention wins.
 */
export function optionEnabled(options: Node[] | undefined, name: string): boolean {
  return optionBoolean(options, name) === true;
}

/**
 * The Boolean PostgreSQL reads from the last `name` option of the list, as its defGetBoolean
 * does: true named without a value or with `true`, `on` or `1` (words in any case, quoted or
 * not); false with `false`, `off` or `0`; undefined when the list does not name it; null for any
 * other value, which PostgreSQL refuses ("concurrently requires a Boolean value") before the
 * statement does anything.
 */
export function optionBoolean(options: Node[] | undefined, name: string): boolean | null | undefined {
  let value: boolean | null | undefined;
  for (const o of options ?? []) {
    const option = nodeAs(o, "DefElem");
    if (option?.defname === name) value = optionValue(option.arg);
  }
  return value;
}

function optionValue(arg: Node | undefined): boolean | null {
  if (!arg) return true;
  const integer = nodeAs(arg, "Integer");
  if (integer) return (integer.ival ?? 0) === 0 ? false : integer.ival === 1 ? true : null;
  // A bare word that is not a keyword (`refresh = off`) is read as a type name.
  const typeName = nodeAs(arg, "TypeName");
  const word = typeName?.names?.length === 1 && !typeName.arrayBounds && !typeName.typmods ? nodeAs(typeName.names[0], "String")?.sval : undefined;
  const boolean = nodeAs(arg, "Boolean");
  if (boolean) return boolean.boolval ?? false;
  return OPTION_BOOLEANS[(word ?? nodeAs(arg, "String")?.sval ?? "").toLowerCase()] ?? null;
}

/** The words PostgreSQL reads as a Boolean option value (its defGetBoolean): fewer than a `boolean` column takes. */
const OPTION_BOOLEANS: Record<string, boolean> = { true: true, on: true, false: false, off: false };

/**
 * The CONCURRENTLY form a statement uses, in words (`CREATE INDEX CONCURRENTLY`), for the statements
 * PostgreSQL refuses inside a transaction block; undefined for any other statement.
 */
export function concurrentlyForm(node: Node): string | undefined {
  if (nodeAs(node, "IndexStmt")?.concurrent) return "CREATE INDEX CONCURRENTLY";
  if (nodeAs(node, "DropStmt")?.concurrent) return "DROP INDEX CONCURRENTLY";
  const reindex = nodeAs(node, "ReindexStmt");
  if (reindex && optionEnabled(reindex.params, "concurrently")) return "REINDEX CONCURRENTLY";
  const alter = nodeAs(node, "AlterTableStmt");
  if (alter && alterTableCommands(alter).some((c) => c.subtype === "AT_DetachPartition" && nodeAs(c.def, "PartitionCmd")?.concurrent)) {
    return "DETACH PARTITION CONCURRENTLY";
  }
  return undefined;
}

/**
 * A constraint's name: as written, or as PostgreSQL makes one up for an unnamed constraint — after
 * the table and the first column (`orders_total_check`, `orders_customer_id_fkey`). `columnName` is
 * the column a column constraint is written on.
 */
export function constraintName(tableName: string, c: Constraint, columnName?: string): string {
  if (c.conname) return c.conname;
  if (c.contype === "CONSTR_FOREIGN") {
    const columns = columnName ? [columnName] : strings(c.fk_attrs);
    return `${tableName}_${columns.length ? `${columns.join("_")}_` : ""}fkey`;
  }
  let first = columnName;
  if (!first) {
    walk(c.raw_expr, (kind, inner) => {
      if (first || kind !== "ColumnRef") return;
      const fields = strings(inner.fields as Node[] | undefined);
      first = fields[fields.length - 1];
    });
  }
  first ??= strings(c.keys)[0];
  return `${tableName}_${first ? `${first}_` : ""}${c.contype === "CONSTR_CHECK" ? "check" : c.contype === "CONSTR_UNIQUE" ? "key" : c.contype === "CONSTR_PRIMARY" ? "pkey" : "constraint"}`;
}

/**
 * The INSERT, UPDATE, DELETE and MERGE statements PostgreSQL runs as part of `statement`, besides
 * `statement` itself (each one before those of its WITH):
 * - the INSERT, UPDATE and DELETE of its WITH: each runs once, to completion, whether the query
 *   reads its rows or not (`WITH d AS (DELETE FROM t) SELECT 1` empties t);
 * - the statement EXPLAIN ANALYZE runs to time it (plain EXPLAIN, or ANALYZE false, runs nothing);
 * - the query of COPY (...) TO, and of CREATE TABLE ... AS and SELECT ... INTO;
 * and theirs in turn. PostgreSQL 15 refuses a data-modifying WITH anywhere else (in a CTE, a
 * subquery, a branch of a UNION, the SELECT of an INSERT, a view or a cursor), and MERGE in a WITH,
 * so those run nothing and are not listed.
 */
export function nestedDataChanges(statement: Node): Node[] {
  const changes: Node[] = [];
  addDataChanges(statement, changes, false);
  return changes;
}

/** Adds what {@link nestedDataChanges} lists for `node`, and `node` itself first when `self` and it changes data. */
function addDataChanges(node: Node | undefined, changes: Node[], self: boolean): void {
  if (!node) return;
  const explain = nodeAs(node, "ExplainStmt");
  if (explain) {
    if (optionEnabled(explain.options, "analyze")) addDataChanges(explain.query, changes, true);
    return;
  }
  const createAs = nodeAs(node, "CreateTableAsStmt");
  const query = nodeAs(node, "CopyStmt")?.query ?? (createAs?.objtype === "OBJECT_TABLE" ? createAs.query : undefined);
  if (query) {
    addDataChanges(query, changes, true);
    return;
  }
  const dataChange = nodeAs(node, "InsertStmt") ?? nodeAs(node, "UpdateStmt") ?? nodeAs(node, "DeleteStmt") ?? nodeAs(node, "MergeStmt");
  if (self && dataChange) changes.push(node);
  for (const cte of (dataChange ?? nodeAs(node, "SelectStmt"))?.withClause?.ctes ?? []) {
    const inner = nodeAs(cte, "CommonTableExpr")?.ctequery;
    if (nodeAs(inner, "InsertStmt") || nodeAs(inner, "UpdateStmt") || nodeAs(inner, "DeleteStmt")) changes.push(inner as Node);
  }
}

/** The WHERE of an UPDATE or DELETE when it filters rows; undefined when there is none or it filters nothing (`WHERE true`, `WHERE 1 = 1`). */
export function rowFilter(where: Node | undefined): Node | undefined {
  return where && !isAlwaysTrue(where) ? where : undefined;
}
