import { alterTableCommands, nodeAs, tableOf } from "../ast";
import type { AlterCommandContext, AlterTableSubtype, Rule } from "./rule";

/** ALTER TABLE ... DISABLE or NO FORCE ROW LEVEL SECURITY on an existing table. */
export const disableRowLevelSecurity: Rule = {
  id: "disable-row-level-security",
  severity: "medium",
  summary: "ALTER TABLE ... DISABLE ROW LEVEL SECURITY or NO FORCE ROW LEVEL SECURITY on a table that existed before this migration.",
  why: "The policies stop filtering: from the moment the migration commits, every role that was shown only its own rows (one tenant's, one user's) reads and writes every row of the table — a data exposure no error reports. NO FORCE does the same for the table's owner, and for anything that connects as it.",
  instead: "Keep row level security on and change the policies instead (ALTER POLICY, reviewed with the application's role on a copy); a migration that must see every row can disable and re-enable it in the same transaction, where no other session sees the gap.",
  on: {
    "AlterTableCmd:AT_DisableRowSecurity"(_, context) {
      if (restoredLater(context, "AT_EnableRowSecurity")) return;
      const { table } = context;
      context.report({
        message: `DISABLE ROW LEVEL SECURITY on ${table.display}: its policies stop applying, so every role with privileges on it reads and writes every row, the ones its policies hid included.`,
        table,
      });
    },
    "AlterTableCmd:AT_NoForceRowSecurity"(_, context) {
      if (restoredLater(context, "AT_ForceRowSecurity")) return;
      const { table } = context;
      context.report({
        message: `NO FORCE ROW LEVEL SECURITY on ${table.display}: its owner no longer goes through its policies, so whatever connects as the owner reads and writes every row.`,
        table,
      });
    },
  },
};

/**
 * True when a later statement of the same transactional migration turns the setting back on
 * (`restore`) for the same table: other sessions only ever see the committed catalog, so the gap
 * is invisible to them.
 */
function restoredLater(context: AlterCommandContext, restore: AlterTableSubtype): boolean {
  if (context.migration.noTransaction) return false;
  const key = context.table.key;
  return context.following.some((s) => {
    const alter = nodeAs(s.node, "AlterTableStmt");
    return alter !== undefined && tableOf(alter.relation)?.key === key && alterTableCommands(alter).some((c) => c.subtype === restore);
  });
}
