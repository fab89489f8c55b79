import type { Rule, RuleContext } from "./rule";

/** GRANT, REVOKE and ALTER DEFAULT PRIVILEGES in a migration. */
export const grantRevoke: Rule = {
  id: "grant-revoke",
  severity: "medium",
  summary: "GRANT, REVOKE or ALTER DEFAULT PRIVILEGES in a migration.",
  why: "Access is infrastructure: a grant in a migration is invisible to the stack's review, differs between environments whose roles differ, and a REVOKE can lock the application out in prod.",
  instead: "Declare roles and grants in the Pulumi program (the database component's roles), where each stack's access is reviewed with its config.",
  on: {
    GrantStmt: (grant, context) => report(context, grant.is_grant ? "GRANT" : "REVOKE", grant.is_grant === true),
    GrantRoleStmt: (role, context) => report(context, role.is_grant ? "GRANT" : "REVOKE", role.is_grant === true),
    AlterDefaultPrivilegesStmt: (_, context) => report(context, "ALTER DEFAULT PRIVILEGES", true),
  },
};

function report(context: RuleContext, what: string, isGrant: boolean): void {
  const effect = isGrant ? "" : ": if the application's role loses access, the application fails";
  context.report({ message: `${what} in a migration changes access outside the stack's declared roles and grants${effect}.` });
}
