import type { Node } from "libpg-query";
import { nodeAs } from "../ast";
import type { Rule } from "./rule";

/** CREATE, ALTER or DROP ROLE / USER in a migration. */
export const roleChange: Rule = {
  id: "role-change",
  severity: "medium",
  summary: "CREATE, ALTER or DROP ROLE (or USER) in a migration.",
  why: "Roles are server-wide infrastructure: they outlive the database, differ between environments, and a password written in a migration is a secret committed to the repository.",
  instead: "Declare roles in the Pulumi program (the database component creates owner, migrator, app and readonly roles), with passwords as Pulumi secrets.",
  kinds: ["CreateRoleStmt", "AlterRoleStmt", "AlterRoleSetStmt", "DropRoleStmt"],
  check(context) {
    const node = context.statement.node;
    const verbs: Record<string, string> = { CreateRoleStmt: "CREATE ROLE", AlterRoleStmt: "ALTER ROLE", AlterRoleSetStmt: "ALTER ROLE ... SET", DropRoleStmt: "DROP ROLE" };
    const options = nodeAs(node, "CreateRoleStmt")?.options ?? nodeAs(node, "AlterRoleStmt")?.options ?? [];
    const password = options.some((o: Node) => nodeAs(o, "DefElem")?.defname === "password");
    const secret = password ? " It also puts a password in the repository." : "";
    context.report({ message: `${verbs[context.statement.kind]} in a migration changes server-wide roles outside the stack's declared roles.${secret}` });
  },
};
