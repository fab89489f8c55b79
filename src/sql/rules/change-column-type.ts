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
  instead: "Add a new column of the new type, write to both (trigger), backfill in batches, switch reads, then drop the old column in a later migration. Changes that need no rewrite (varchar(n) to text or to a longer varchar, numeric(p,s) to a larger precision, cidr to inet) are only safe-column-type-change.",
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
      } else {
        const from = previous ? ` (from ${previous.display})` : "";
        const computed = using ? " with a USING expression" : "";
        context.report({ message: `ALTER COLUMN ${column} TYPE ${next.display}${from}${computed} rewrites ${table.display} and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.`, table, at });
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
 * Whether changing a column from `from` to `to` rewrites the table, following PostgreSQL's
 * binary-coercible casts. `using` is true when a USING clause computes the new values (see
 * {@link usingComputes}): that always rewrites.
 */
export function typeChange(from: ColumnType | undefined, to: ColumnType, using: boolean): "no-rewrite" | "rewrite" | "unknown" {
  if (using) return "rewrite";
  if (!from) return "unknown";
  if (from.array !== to.array || from.opaque || to.opaque || from.schema !== to.schema) return "rewrite";
  const a = canonical(from.name);
  const b = canonical(to.name);
  if (a === b) {
    if (sameModifiers(from.modifiers, to.modifiers)) return "no-rewrite";
    if (to.modifiers.length === 0 && ["varchar", "numeric", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval"].includes(a)) return "no-rewrite";
    if (from.modifiers.length === 0) return "rewrite";
    if (["varchar", "varbit", "timestamp", "timestamptz", "time", "timetz", "interval"].includes(a)) return to.modifiers[0] >= from.modifiers[0] ? "no-rewrite" : "rewrite";
    if (a === "numeric") return to.modifiers[0] >= from.modifiers[0] && (to.modifiers[1] ?? 0) === (from.modifiers[1] ?? 0) ? "no-rewrite" : "rewrite";
    return "rewrite";
  }
  if (a === "varchar" && b === "text") return "no-rewrite";
  if (a === "text" && b === "varchar" && to.modifiers.length === 0) return "no-rewrite";
  if (a === "cidr" && b === "inet") return "no-rewrite";
  return "rewrite";
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
