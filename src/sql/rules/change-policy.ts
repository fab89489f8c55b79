import type { Node } from "libpg-query";
import { isAlwaysTrue, nodeAs, quoteIdent, strings, tableOf, tableOfNames } from "../ast";
import type { SqlStatement } from "../parse";
import type { Rule } from "./rule";

/**
 * ALTER POLICY on a table that existed before this migration, and DROP POLICY of a policy the
 * migration then creates again. A DROP POLICY that is not followed by a new one is drop-object's.
 */
export const changePolicy: Rule = {
  id: "change-policy",
  severity: "medium",
  summary: "ALTER POLICY, or DROP POLICY and CREATE POLICY again, on a table that existed before this migration.",
  why: "A row level security policy decides which rows each role reads and writes: from the moment the migration commits, a changed expression or role list shows the application rows it must not see, or hides rows it needs, without an error either way.",
  instead: "Review the new expression with the application's roles on a copy of the data (SET ROLE app; SELECT count(*) ...), before and after, and change one policy per migration.",
  on: {
    AlterPolicyStmt(alter, context) {
      const table = tableOf(alter.table);
      const name = alter.policy_name ?? "";
      if (!table || context.isNewTable(table) || context.preceding.some((s) => createsPolicy(s, table.key, name))) return;
      const effects: string[] = [];
      if (alter.qual) effects.push(isAlwaysTrue(alter.qual) ? "USING (true) shows the roles it applies to every row" : "a new USING changes which rows the roles it applies to read, update and delete");
      if (alter.with_check) effects.push("a new WITH CHECK changes which rows they may write");
      if (alter.roles) effects.push("new roles change whom it applies to");
      context.report({
        message: `ALTER POLICY ${quoteIdent(name)} ON ${table.display}: ${effects.join("; ") || "it changes"}, from the moment the migration commits.`,
        table,
        at: alter.table?.location,
      });
    },
    DropStmt(drop, context) {
      if (drop.removeType !== "OBJECT_POLICY") return;
      for (const object of drop.objects ?? []) {
        const items = nodeAs(object, "List")?.items ?? [];
        const table = tableOfNames(items.slice(0, -1));
        const name = strings(items.slice(-1))[0];
        if (!table || name === undefined || context.isNewTable(table)) continue;
        if (context.preceding.some((s) => createsPolicy(s, table.key, name))) continue;
        if (!context.following.some((s) => createsPolicy(s, table.key, name))) continue;
        context.report({
          message: `DROP POLICY ${quoteIdent(name)} ON ${table.display}, then CREATE POLICY ${quoteIdent(name)} again: the new policy replaces the old one, so which rows the roles it applies to read and write changes when the migration commits.`,
          table,
        });
      }
    },
  },
};

/** True when `statement` is a CREATE POLICY `name` ON the table `tableKey`. */
function createsPolicy(statement: SqlStatement, tableKey: string, name: string): boolean {
  const create = nodeAs(statement.node as Node, "CreatePolicyStmt");
  return create !== undefined && create.policy_name === name && tableOf(create.table)?.key === tableKey;
}
