import { type ColumnType, alterTableCommands, columnTypeOf, nodeAs, quoteIdent, tableOf } from "../ast";
import type { Rule } from "./rule";

/** ALTER COLUMN ... TYPE that rewrites the table (or may: the current type is unknown). */
export const changeColumnType: Rule = {
  id: "change-column-type",
  severity: "medium",
  summary: "ALTER COLUMN ... TYPE that rewrites the table (int to bigint, text to varchar(n), anything with USING).",
  why: "Most type changes rewrite the whole table and rebuild its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes; clients that expect the old type may break. A few need no rewrite and are not reported: varchar(n) to text or to a longer varchar, numeric(p,s) to a larger precision, cidr to inet.",
  instead: "Add a new column of the new type, write to both (trigger), backfill in batches, switch reads, then drop the old column in a later migration.",
  sizeSensitive: true,
  kinds: ["AlterTableStmt"],
  check(context) {
    const alter = nodeAs(context.statement.node, "AlterTableStmt");
    if (!alter || alter.objtype !== "OBJECT_TABLE") return;
    const table = tableOf(alter.relation);
    if (!table || context.isNewTable(table)) return;
    for (const cmd of alterTableCommands(alter)) {
      if (cmd.subtype !== "AT_AlterColumnType") continue;
      const def = nodeAs(cmd.def, "ColumnDef");
      const next = columnTypeOf(def?.typeName);
      if (!def || !next) continue;
      const column = quoteIdent(cmd.name ?? "");
      const previous = context.history.column(table.key, cmd.name ?? "")?.type;
      const change = typeChange(previous, next, def.raw_default !== undefined);
      if (change === "no-rewrite" && !def.collClause) continue;
      const at = def.location;
      if (change === "unknown") {
        context.report({
          message: `ALTER COLUMN ${column} TYPE ${next.display} on ${table.display}: dbpipe has not seen the column's current type in the migrations, so it assumes PostgreSQL rewrites the table and its indexes under an ACCESS EXCLUSIVE lock. (varchar(n) to text or to a longer varchar needs no rewrite.)`,
          table,
          at,
        });
      } else if (change === "no-rewrite") {
        context.report({ message: `ALTER COLUMN ${column} TYPE ${next.display} COLLATE on ${table.display} changes the collation: every index on the column is rebuilt under an ACCESS EXCLUSIVE lock.`, table, at });
      } else {
        const from = previous ? ` (from ${previous.display})` : "";
        const using = def.raw_default !== undefined ? " with USING" : "";
        context.report({ message: `ALTER COLUMN ${column} TYPE ${next.display}${from}${using} rewrites ${table.display} and rebuilds its indexes under an ACCESS EXCLUSIVE lock that blocks reads and writes.`, table, at });
      }
    }
  },
};

/** Whether changing a column from `from` to `to` rewrites the table, following PostgreSQL's binary-coercible casts. */
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

function canonical(name: string): string {
  const aliases: Record<string, string> = { serial: "int4", serial4: "int4", bigserial: "int8", serial8: "int8", smallserial: "int2", serial2: "int2", decimal: "numeric" };
  return aliases[name] ?? name;
}

function sameModifiers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
