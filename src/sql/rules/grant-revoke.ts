import { nodeAs } from "../ast";
import type { Rule } from "./rule";

/** GRANT, REVOKE and ALTER DEFAULT PRIVILEGES in a migration. */
export const grantRevoke: Rule = {
  id: "grant-revoke",
  severity: "medium",
  summary: "GRANT, REVOKE or ALTER DEFAULT PRIVILEGES in a migration.",
  why: "Access is infrastructure: a grant in a migration is invisible to the stack's review, differs between environments whose roles differ, and a REVOKE can lock the application out in prod.",
  instead: "Declare roles and grants in the Pulumi program (the database component's roles), where each stack's access is reviewed with its config.",
  kinds: ["GrantStmt", "GrantRoleStmt", "AlterDefaultPrivilegesStmt"],
  check(context) {
    const node = context.statement.node;
    const grant = nodeAs(node, "GrantStmt");
    const role = nodeAs(node, "GrantRoleStmt");
    const isGrant = grant ? grant.is_grant : role ? role.is_grant : true;
    const what = nodeAs(node, "AlterDefaultPrivilegesStmt") ? "ALTER DEFAULT PRIVILEGES" : isGrant ? "GRANT" : "REVOKE";
    const effect = isGrant ? "" : ": if the application's role loses access, the application fails";
    context.report({ message: `${what} in a migration changes access outside the stack's declared roles and grants${effect}.` });
  },
};
