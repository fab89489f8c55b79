import { columnConstraints, columnTypeOf, isSerialType, nodeAs, quoteIdent } from "../ast";
import type { Rule } from "./rule";

/** ADD COLUMN serial / bigserial / GENERATED ... AS IDENTITY on an existing table. */
export const addSerialColumn: Rule = {
  id: "add-serial-column",
  severity: "high",
  summary: "ADD COLUMN of a serial or identity column on an existing table.",
  why: "Every existing row needs its own value from the sequence, so PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes.",
  instead: "Add a nullable bigint column, create the sequence and SET DEFAULT nextval(...) for new rows, backfill old rows in batches, then add the constraints.",
  sizeSensitive: true,
  commandsOf: "existing-relations",
  on: {
    "AlterTableCmd:AT_AddColumn"(cmd, context) {
      const column = nodeAs(cmd.def, "ColumnDef");
      if (!column) return;
      const type = columnTypeOf(column.typeName);
      const identity = columnConstraints(column).some((c) => c.contype === "CONSTR_IDENTITY");
      if (!isSerialType(type) && !identity) return;
      const { table } = context;
      const kind = identity ? "an identity column" : `a ${type?.name} column`;
      context.report({
        message: `ADD COLUMN ${quoteIdent(column.colname ?? "")} on ${table.display} adds ${kind}: every existing row gets a value, so the whole table is rewritten under an ACCESS EXCLUSIVE lock.`,
        table,
        at: column.location,
      });
    },
  },
};
