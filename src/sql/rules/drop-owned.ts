import type { Node, RoleSpec } from "libpg-query";
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
      const roles = roleNames(stmt.roles);
      const cascade = stmt.behavior === "DROP_CASCADE" ? " CASCADE also drops everything that depends on them." : "";
      context.report({ message: `DROP OWNED BY ${roles.join(", ")} drops every object ${roles.length > 1 ? "these roles own" : "the role owns"} in the database, tables and their rows included, without naming them.${cascade}` });
    },
  },
};

/** The roles of a role list (`DROP OWNED BY a, b`) as the SQL names them. */
export function roleNames(roles: Node[] | undefined): string[] {
  return (roles ?? []).map((r) => roleName(nodeAs(r, "RoleSpec")));
}

/** A role as the SQL names it: its name, or CURRENT_USER, SESSION_USER, CURRENT_ROLE, PUBLIC; `?` when there is none. */
export function roleName(role: RoleSpec | undefined): string {
  if (!role) return "?";
  if (role.rolename) return role.rolename;
  const words: Record<string, string> = { ROLESPEC_CURRENT_USER: "CURRENT_USER", ROLESPEC_SESSION_USER: "SESSION_USER", ROLESPEC_CURRENT_ROLE: "CURRENT_ROLE", ROLESPEC_PUBLIC: "PUBLIC" };
  return words[role.roletype ?? ""] ?? "?";
}
