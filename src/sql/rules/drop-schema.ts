import { strings } from "../ast";
import type { Rule } from "./rule";

/** DROP SCHEMA. */
export const dropSchema: Rule = {
  id: "drop-schema",
  severity: "high",
  summary: "DROP SCHEMA, with or without CASCADE.",
  why: "Everything in the schema goes with it (with CASCADE: its tables, data, views and functions), in one statement.",
  instead: "Drop the objects one by one in reviewed migrations, after a backup; keep schema removal for an approved migration of its own.",
  on: {
    DropStmt(drop, context) {
      if (drop.removeType !== "OBJECT_SCHEMA") return;
      const names = (drop.objects ?? []).map((o) => strings([o])[0]).filter(Boolean);
      const cascade = drop.behavior === "DROP_CASCADE" ? " with CASCADE, including every table and row in it" : "";
      context.report({ message: `DROP SCHEMA ${names.join(", ")} deletes the schema${cascade}.` });
    },
  },
};
