import { alterTableCommands, nodeAs, tableOf } from "../ast";
import type { Rule } from "./rule";

const REWRITES: Record<string, string> = {
  AT_SetTableSpace: "SET TABLESPACE",
  AT_SetLogged: "SET LOGGED",
  AT_SetUnLogged: "SET UNLOGGED",
  AT_SetAccessMethod: "SET ACCESS METHOD",
};

/** ALTER TABLE forms that copy the whole table: SET TABLESPACE, SET LOGGED / UNLOGGED, SET ACCESS METHOD. */
export const rewriteTable: Rule = {
  id: "rewrite-table",
  severity: "high",
  summary: "ALTER TABLE ... SET TABLESPACE, SET LOGGED, SET UNLOGGED or SET ACCESS METHOD on an existing table.",
  why: "Each copies the whole table (and for tablespaces, its indexes) under an ACCESS EXCLUSIVE lock that blocks reads and writes until the copy ends.",
  instead: "Do it during a maintenance window outside migrations, or with an online tool such as pg_repack; create new tables with the right settings from the start.",
  sizeSensitive: true,
  kinds: ["AlterTableStmt"],
  check(context) {
    const alter = nodeAs(context.statement.node, "AlterTableStmt");
    if (!alter) return;
    const table = tableOf(alter.relation);
    if (!table || context.isNewTable(table)) return;
    for (const cmd of alterTableCommands(alter)) {
      const what = REWRITES[cmd.subtype ?? ""];
      if (!what) continue;
      context.report({ message: `ALTER TABLE ${table.display} ${what} copies the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes.`, table });
    }
  },
};
