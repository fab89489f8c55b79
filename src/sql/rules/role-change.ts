import type { Node } from "libpg-query";
import { nodeAs } from "../ast";
import type { Rule, RuleContext } from "./rule";

/** CREATE, ALTER or DROP ROLE / USER in a migration. */
export const roleChange: Rule = {
  id: "role-change",
  severity: "medium",
  summary: "CREATE, ALTER or DROP ROLE (or USER) in a migration.",
  why: "Roles are server-wide infrastructure: they outlive the database, differ between environments, and a password written in a migration is a secret committed to the repository.",
  instead: "Declare roles in the Pulumi program (the database component creates owner, migrator, app and readonly roles), with passwords as Pulumi secrets.",
  on: {
    CreateRoleStmt: (stmt, context) => report(context, "CREATE ROLE", stmt.options),
    AlterRoleStmt: (stmt, context) => report(context, "ALTER ROLE", stmt.options),
    AlterRoleSetStmt: (_, context) => report(context, "ALTER ROLE ... SET", undefined),
    DropRoleStmt: (_, context) => report(context, "DROP ROLE", undefined),
  },
};

function report(context: RuleContext, verb: string, options: Node[] | undefined): void {
  const password = (options ?? []).some((o) => nodeAs(o, "DefElem")?.defname === "password");
  const secret = password ? " It also puts a password in the repository." : "";
  context.report({ message: `${verb} in a migration changes server-wide roles outside the stack's declared roles.${secret}` });
}
