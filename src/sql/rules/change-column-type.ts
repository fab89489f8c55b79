import type { Node } from "libpg-query";
import { type ColumnType, columnTypeOf, nodeAs, quoteIdent, strings } from "../ast";
import type { AlterCommandContext, Rule } from "./rule";

/**
 * ALTER COLUMN ... TYPE that rewrites the table (or may: the current type is unknown), or changes
 * the collation. A change that needs no rewrite is safe-column-type-change.
 */
export const changeColumnType: Rule = {
  id: "change-column-type",
  severity: "high",
  summary: "ALTER COLUMN ... TYPE that rewrites the table (int to bigint, text to varchar(n), a USING that computes new values), or whose current type dbpipe does not know.",
  why: "The table and every index on it are rewritten under an ACCESS EXCLUSIVE lock that blocks reads and writes until the copy ends — the same cost as the other rewrites (rewrite-table, volatile-default), and as high. Clients that expect the old type may break too. When dbpipe has not seen the column's current type, it assumes a rewrite: a wrong \"rewrite\" costs an acknowledgement, a wrong \"no rewrite\" an outage.",
  instead: "Add a new column of the new type, write to both (trigger), backfill in batches, switch reads, then drop the old column in a later migration. Changes that need no rewrite (varchar(n) to text or to a longer varchar, numeric(p,s) to a larger precision, cidr to inet, xml to text) are only safe-column-type-change.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_AlterColumnType"(cmd, context) {
      const def = nodeAs(cmd.def, "ColumnDef");
      const next = columnTypeOf(def?.typeName);
      if (!def || !next) return;
      const { table } = context;
      const column = quoteIdent(cmd.name ?? "");
      const previous = currentType(cmd.name ?? "", context);
      const using = usingComputes(def.raw_default, cmd.name ?? "", next);
      const change = typeChange(previous, next, using);
      const checks = change === "no-rewrite" ? context.history.checksOn(table.key, cmd.name ?? "") : [];
      if (change === "no-rewrite" && !def.collClause && checks.length === 0) return;
      const at = def.location;
      const from = previous ? ` (from ${previous.display})` : "";
      if (change === "unknown") {
        context.report({
          message: `ALTER COLUMN ${column} TYPE ${next.display} on ${table.display}: dbpipe has not seen the column's current type in the migrations, so it assumes PostgreSQL rewrites the table and its indexes under an ACCESS EXCLUSIVE lock. (varchar(n) to text or to a longer varchar needs no rewrite.)`,
          table,
          at,
        });
      } else if (change === "no-rewrite" && checks.length > 0) {
        const named = checks.map(quoteIdent).join(", ");
        context.report({
          message: `ALTER COLUMN ${column} TYPE ${next.display} needs no rewrite of ${table.display}, but PostgreSQL re-checks every row against ${checks.length > 1 ? "the CHECK constraints" : "the CHECK constraint"} ${named} on the column, under an ACCESS EXCLUSIVE lock that blocks reads and writes.`,
          table,
          at,
        });
      } else if (change === "no-rewrite") {
        context.report({ message: `ALTER COLUMN ${column} TYPE ${next.display} COLLATE on ${table.display} changes the collation: every index on the column is rebuilt under an ACCESS EXCLUSIVE lock.`, table, at });
      } else if (change === "rewrite-unless-utc") {
        context.report({
          message: `ALTER COLUMN ${column} TYPE ${next.display}${from} rewrites ${table.display} and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes, unless the session's TimeZone is UTC: then PostgreSQL keeps the table and rebuilds only the indexes on the column, under the same lock.`,
          hint: "If the stored values are UTC, run the ALTER after SET LOCAL TimeZone = 'UTC' in the same transaction: the table is then not rewritten. Otherwise add a new column, backfill it in batches, switch reads, then drop the old column in a later migration.",
          table,
          at,
        });
      } else {
        const computed = using ? " with a USING expression" : "";
        const why = !using && previous?.array && next.array && typeChange({ ...previous, array: false }, { ...next, array: false }, false) === "no-rewrite" ? ": PostgreSQL converts an array column element by element, even when the element type only widens" : "";
        context.report({ message: `ALTER COLUMN ${column} TYPE ${next.display}${from}${computed} rewrites ${table.display} and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes${why}.`, table, at });
      }
    },
  },
};

/**
 * The column's type before this part: as an earlier part of the same ALTER TABLE added it, as an
 * earlier statement of this migration added (or changed) it on an existing table, or as the history
 * knows it; undefined when none says.
 */
function currentType(column: string, context: AlterCommandContext): ColumnType | undefined {
  for (let i = context.commandIndex - 1; i >= 0; i--) {
    const earlier = context.commands[i];
    if (earlier.subtype === "AT_AddColumn") {
      const def = nodeAs(earlier.def, "ColumnDef");
      if (def?.colname === column) return columnTypeOf(def.typeName);
    } else if (earlier.subtype === "AT_AlterColumnType" && earlier.name === column) {
      return columnTypeOf(nodeAs(earlier.def, "ColumnDef")?.typeName);
    }
  }
  return context.newColumn(context.table, column)?.type ?? context.history.column(context.table.key, column)?.type;
}

/**
 * How changing a column's type touches the table:
 * - `no-rewrite`: PostgreSQL keeps the table and the plain indexes on the column (it still rebuilds
 *   expression and partial indexes that name the column);
 * - `rewrite`: the table and every index on it are rewritten;
 * - `rewrite-unless-utc`: timestamp to timestamptz or back, which rewrites the table unless the
 *   session's TimeZone is UTC; then only the indexes on the column are rebuilt;
 * - `unknown`: dbpipe does not know the column's current type.
 */
export type TypeChange = "no-rewrite" | "rewrite" | "rewrite-unless-utc" | "unknown";

/**
 * Whether changing a column from `from` to `to` rewrites the table, following PostgreSQL 15's
 * ATColumnChangeRequiresRewrite: binary-coercible casts and length coercions that keep every value
 * need none. `using` is true when a USING clause computes the new values (see
 * {@link usingComputes}): that always rewrites.
 */
export function typeChange(from: ColumnType | undefined, to: ColumnType, using: boolean): TypeChange {
  if (using) return "rewrite";
  if (!from) return "unknown";
  if (from.array !== to.array || from.opaque || to.opaque || from.schema !== to.schema) return "rewrite";
  const a = canonical(from.name);
  const b = canonical(to.name);
  // PostgreSQL converts an array element by element (an ArrayCoerceExpr), and counts any such
  // conversion as a rewrite, even varchar(10)[] to varchar(20)[] or to text[]. Only the same array
  // type, with the same element modifier or none, needs no conversion at all.
  if (from.array) return a === b && (to.modifiers.length === 0 || sameModifiers(from.modifiers, to.modifiers)) ? "no-rewrite" : "rewrite";
  if (a === b) return sameModifiers(from.modifiers, to.modifiers) || modifierChangeKeepsValues(a, from.modifiers, to.modifiers) ? "no-rewrite" : "rewrite";
  // The cast reads the values in the session's TimeZone, and is free only when that is UTC; a
  // precision on the new type is then applied to the cast's result, whose precision is unknown.
  if ((a === "timestamp" && b === "timestamptz") || (a === "timestamptz" && b === "timestamp")) {
    return to.modifiers.length === 0 || to.modifiers[0] >= MAX_TIME_PRECISION ? "rewrite-unless-utc" : "rewrite";
  }
  if (a === "varchar" && b === "text") return "no-rewrite";
  if (a === "text" && b === "varchar" && to.modifiers.length === 0) return "no-rewrite";
  if (a === "xml" && (b === "text" || (b === "varchar" && to.modifiers.length === 0))) return "no-rewrite";
  if (a === "cidr" && b === "inet") return "no-rewrite";
  return "rewrite";
}

/** The largest fractional-second precision of time, timestamp and interval types: a larger one is cut to it. */
const MAX_TIME_PRECISION = 6;

/** Types whose modifier is a fractional-second precision. */
const TIME_TYPES = new Set(["timestamp", "timestamptz", "time", "timetz"]);

/**
 * True when PostgreSQL's length-coercion support function for type `name` (varchar_support,
 * numeric_support, TemporalSimplify, interval_support, varbit_support) proves that going from
 * modifiers `from` to `to` keeps every value, so the table needs no rewrite.
 */
function modifierChangeKeepsValues(name: string, from: number[], to: number[]): boolean {
  if (name === "interval") return intervalKeepsValues(from, to);
  if (TIME_TYPES.has(name)) return to.length === 0 || to[0] >= MAX_TIME_PRECISION || (from.length > 0 && to[0] >= from[0]);
  if (name === "varchar" || name === "varbit") return to.length === 0 || (from.length > 0 && to[0] >= from[0]);
  if (name === "numeric") return to.length === 0 || (from.length > 0 && to[0] >= from[0] && (to[1] ?? 0) === (from[1] ?? 0));
  return false;
}

/**
 * The least field an interval's range keeps (0 second ... 5 year), by the range mask the parser
 * gives as the first modifier: `interval day to second(3)` is [7176, 3], `interval(3)` [32767, 3].
 */
const INTERVAL_LEAST_FIELD: Record<number, number> = {
  4: 5, // YEAR
  2: 4, // MONTH
  6: 4, // YEAR TO MONTH
  8: 3, // DAY
  1024: 2, // HOUR
  1032: 2, // DAY TO HOUR
  2048: 1, // MINUTE
  3072: 1, // HOUR TO MINUTE
  3080: 1, // DAY TO MINUTE
  4096: 0, // SECOND
  6144: 0, // MINUTE TO SECOND
  7168: 0, // HOUR TO SECOND
  7176: 0, // DAY TO SECOND
  32767: 0, // no range: interval(p)
};

/**
 * interval_support: the values are kept when the new range keeps the same or a smaller least field
 * and, if the old one reaches seconds, the fractional precision does not shrink.
 */
function intervalKeepsValues(from: number[], to: number[]): boolean {
  if (to.length === 0) return true;
  const oldLeast = from.length === 0 ? 0 : INTERVAL_LEAST_FIELD[from[0]];
  const newLeast = INTERVAL_LEAST_FIELD[to[0]];
  if (oldLeast === undefined || newLeast === undefined) return false;
  const oldPrecision = from[1] ?? MAX_TIME_PRECISION;
  const newPrecision = to[1] ?? MAX_TIME_PRECISION;
  return newLeast <= oldLeast && (oldLeast > 0 || newPrecision >= MAX_TIME_PRECISION || newPrecision >= oldPrecision);
}

/**
 * True when a USING expression computes new values. PostgreSQL casts the column to the new type
 * anyway, so `USING col` and `USING col::newtype` say nothing more than no USING at all (and
 * rewrite only when the change itself does); anything else is evaluated for every row.
 */
export function usingComputes(expr: Node | undefined, column: string, to: ColumnType): boolean {
  if (!expr) return false;
  const cast = nodeAs(expr, "TypeCast");
  if (cast) {
    const type = columnTypeOf(cast.typeName);
    if (!type || !sameType(type, to)) return true;
  }
  const fields = strings(nodeAs(cast ? cast.arg : expr, "ColumnRef")?.fields);
  return fields.length === 0 || fields[fields.length - 1] !== column;
}

function sameType(a: ColumnType, b: ColumnType): boolean {
  return canonical(a.name) === canonical(b.name) && a.schema === b.schema && a.array === b.array && !a.opaque && !b.opaque && sameModifiers(a.modifiers, b.modifiers);
}

function canonical(name: string): string {
  const aliases: Record<string, string> = { serial: "int4", serial4: "int4", bigserial: "int8", serial8: "int8", smallserial: "int2", serial2: "int2", decimal: "numeric" };
  return aliases[name] ?? name;
}

function sameModifiers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
