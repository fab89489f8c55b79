import type { AlterCommandContext, Rule } from "./rule";

/** ALTER TABLE ... ENABLE or FORCE ROW LEVEL SECURITY on an existing table. */
export const enableRowLevelSecurity: Rule = {
  id: "enable-row-level-security",
  severity: "medium",
  summary: "ALTER TABLE ... ENABLE (or FORCE) ROW LEVEL SECURITY on a table that existed before this migration.",
  why: "From the moment it commits, every role that neither owns the table nor has BYPASSRLS sees only the rows a policy allows — none at all when no policy exists — and its writes fail the same way: the application sees an empty table without an error. FORCE does the same to the table's owner.",
  instead: "Create the policies first (CREATE POLICY ... ON table), check them with the application's role on a copy, then enable row level security in the same migration as the policies or after them.",
  on: {
    "AlterTableCmd:AT_EnableRowSecurity"(_, context) {
      const { table } = context;
      context.report({ message: `ENABLE ROW LEVEL SECURITY on ${table.display}: every role that does not own the table sees ${visibleRows(context)}.`, table });
    },
    "AlterTableCmd:AT_ForceRowSecurity"(_, context) {
      // FORCE alone changes nothing while row level security is off (PostgreSQL 15: the owner still
      // saw every row); it is reported anyway, since the flag stays and takes effect with ENABLE.
      const { table } = context;
      context.report({
        message: `FORCE ROW LEVEL SECURITY on ${table.display}: its owner, too, sees ${visibleRows(context)} while row level security is enabled — a job or application that connects as the owner sees fewer rows without an error.`,
        table,
      });
    },
  },
};

function visibleRows(context: AlterCommandContext): string {
  return context.preceding.some((s) => s.kind === "CreatePolicyStmt") ? "only the rows the policies allow" : "no rows at all (no policy is created before it in this migration)";
}
