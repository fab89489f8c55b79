import { columnTypeOf, nodeAs, quoteIdent } from "../ast";
import { typeChange, usingComputes } from "./change-column-type";
import { type Rule } from "./rule";

/** ALTER COLUMN ... TYPE that PostgreSQL makes without rewriting the table: still a change clients see. */
export const safeColumnTypeChange: Rule = {
  id: "safe-column-type-change",
  severity: "low",
  summary: "ALTER COLUMN ... TYPE that needs no table rewrite (varchar(n) to text or to a longer varchar, numeric(p,s) to a larger precision, cidr to inet, xml to text).",
  why: "PostgreSQL only updates the catalog, under a brief ACCESS EXCLUSIVE lock, so the change is cheap; but the column's type still changes, and clients that map or validate it (ORM models, generated types, length checks) may see something new. Reviewers want to see every type change.",
  instead: "Nothing to change in the migration; check that clients handle the new type.",
  on: {
    "AlterTableCmd:AT_AlterColumnType"(cmd, context) {
      const def = nodeAs(cmd.def, "ColumnDef");
      const next = columnTypeOf(def?.typeName);
      // A collation change rebuilds the column's indexes: change-column-type reports it.
      if (!def || !next || def.collClause) return;
      const { table } = context;
      // No client sees a column added earlier in this migration yet.
      if (context.newColumn(table, cmd.name ?? "")) return;
      const previous = context.history.column(table.key, cmd.name ?? "")?.type;
      if (!previous || typeChange(previous, next, usingComputes(def.raw_default, cmd.name ?? "", next)) !== "no-rewrite") return;
      // A CHECK on the column is re-checked row by row: change-column-type reports it.
      if (context.history.checksOn(table.key, cmd.name ?? "").length > 0) return;
      context.report({
        message: `ALTER COLUMN ${quoteIdent(cmd.name ?? "")} TYPE ${next.display} (from ${previous.display}) on ${table.display} needs no table rewrite; clients may still see a different type.`,
        table,
        at: def.location,
      });
    },
  },
};
