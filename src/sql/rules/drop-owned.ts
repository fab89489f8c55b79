import { nodeAs } from "../ast";
import type { Rule } from "./rule";

/** DROP OWNED BY: drops every object a role owns in the database, whatever it is. */
export const dropOwned: Rule = {
  id: "drop-owned",
  severity: "high",
  summary: "DROP OWNED BY a role.",
  why: "It drops every object the role owns in the database — tables with all their rows, views, functions, sequences — without naming any of them, so no other rule can tell what goes; CASCADE also drops whatever depends on them.",
  instead: "Drop the objects you mean by name (each then gets its own finding), REASSIGN OWNED BY the role to another role first when the role is going away, and declare roles in the Pulumi program.",
  on: {
    DropOwnedStmt(stmt, context) {
      const roles = (stmt.roles ?? []).map((r) => {
        const role = nodeAs(r, "RoleSpec");
        if (!role) return "?";
        if (role.rolename) return role.rolename;
        return role.roletype === "ROLESPEC_CURRENT_USER" ? "CURRENT_USER" : role.roletype === "ROLESPEC_SESSION_USER" ? "SESSION_USER" : role.roletype === "ROLESPEC_CURRENT_ROLE" ? "CURRENT_ROLE" : "?";
      });
      const cascade = stmt.behavior === "DROP_CASCADE" ? " CASCADE also drops everything that depends on them." : "";
      context.report({ message: `DROP OWNED BY ${roles.join(", ")} drops every object ${roles.length > 1 ? "these roles own" : "the role owns"} in the database, tables and their rows included, without naming them.${cascade}` });
    },
  },
};
