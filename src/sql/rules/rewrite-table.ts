import type { AlterCommandContext, Rule } from "./rule";
import type { AlterTableCmd } from "libpg-query";

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
  commandsOf: "existing-relations",
  on: Object.fromEntries(
    Object.entries(REWRITES).map(([subtype, what]) => [
      `AlterTableCmd:${subtype}`,
      (_cmd: AlterTableCmd, context: AlterCommandContext) => {
        const { table } = context;
        context.report({ message: `ALTER TABLE ${table.display} ${what} copies the whole table under an ACCESS EXCLUSIVE lock that blocks reads and writes.`, table });
      },
    ]),
  ),
};
