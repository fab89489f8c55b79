import { tableOfNames } from "../ast";
import type { Rule } from "./rule";

/** ALTER TYPE ... RENAME VALUE on an existing enum. */
export const renameEnumValue: Rule = {
  id: "rename-enum-value",
  severity: "medium",
  summary: "ALTER TYPE ... RENAME VALUE on an existing enum.",
  why: "Stored rows switch to the new label at once: clients still writing or comparing the old label fail or silently match nothing.",
  instead: "ADD VALUE the new label, move the application and the data to it, and stop using the old one (enum values cannot be dropped; keep it or recreate the type later).",
  on: {
    AlterEnumStmt(stmt, context) {
      if (!stmt.oldVal) return;
      const type = tableOfNames(stmt.typeName);
      if (!type || context.isNewType(type)) return;
      context.report({ message: `ALTER TYPE ${type.display} RENAME VALUE '${stmt.oldVal}' TO '${stmt.newVal ?? ""}' breaks clients that still use '${stmt.oldVal}'.` });
    },
  },
};
