import type { Node } from "libpg-query";
import { nodeAs, strings, tableOfNames } from "../ast";
import { tableLock } from "../locks";
import { roleName, roleNames } from "./drop-owned";
import type { Rule, RuleContext } from "./rule";

const RELATIONS: Record<string, string> = {
  OBJECT_TABLE: "TABLE",
  OBJECT_VIEW: "VIEW",
  OBJECT_MATVIEW: "MATERIALIZED VIEW",
  OBJECT_SEQUENCE: "SEQUENCE",
  OBJECT_FOREIGN_TABLE: "FOREIGN TABLE",
};

/** How SQL names the kinds of object ALTER ... OWNER TO changes, where it is not the parser's name without `OBJECT_`. */
const KINDS: Record<string, string> = {
  OBJECT_FOREIGN_SERVER: "SERVER",
  OBJECT_FDW: "FOREIGN DATA WRAPPER",
  OBJECT_TSDICTIONARY: "TEXT SEARCH DICTIONARY",
  OBJECT_TSCONFIGURATION: "TEXT SEARCH CONFIGURATION",
  OBJECT_LARGEOBJECT: "LARGE OBJECT",
  OBJECT_OPCLASS: "OPERATOR CLASS",
  OBJECT_OPFAMILY: "OPERATOR FAMILY",
  OBJECT_STATISTIC_EXT: "STATISTICS",
};

/** ALTER ... OWNER TO of an object that existed before this migration, and REASSIGN OWNED BY. */
export const changeOwner: Rule = {
  id: "change-owner",
  severity: "medium",
  summary: "ALTER TABLE (VIEW, SEQUENCE, SCHEMA, FUNCTION, ...) ... OWNER TO of an existing object, or REASSIGN OWNED BY.",
  why: "The new owner gets every privilege on the object and bypasses the table's row level security; the old owner keeps no privilege of its own, so its queries, the views it owns over the table and later migrations that alter it fail (\"must be owner\") unless it is a member of the new owner. A SECURITY DEFINER function runs with its new owner's privileges. The statement locks the table ACCESS EXCLUSIVE, and REASSIGN OWNED locks every table the role owns at once.",
  instead: "Keep objects owned by the stack's owner role (the Pulumi program's <db>_owner, which migrations act as) and give other roles what they need with grants declared in the Pulumi program.",
  commandsOf: "existing-relations",
  on: {
    "AlterTableCmd:AT_ChangeOwner"(cmd, context) {
      const { table } = context;
      // ALTER INDEX ... OWNER TO changes nothing: an index follows its table's owner.
      const kind = RELATIONS[context.alter.objtype ?? ""];
      if (!kind) return;
      const owner = roleName(cmd.newowner);
      const lock = tableLock(context.statement.node);
      const extra =
        kind === "TABLE"
          ? ` and bypasses its row level security`
          : kind === "VIEW" || kind === "MATERIALIZED VIEW"
            ? `, and the ${kind === "VIEW" ? "view reads" : "materialized view refreshes from"} its tables with ${owner}'s privileges`
            : "";
      context.report({
        message:
          `ALTER ${kind} ${table.display} OWNER TO ${owner}: ${owner} gets every privilege on it${extra}; the previous owner keeps none of its own, so its queries, the views it owns over it and later migrations that alter it fail unless it is a member of ${owner}.` +
          (lock ? ` The statement takes an ${lock.mode} lock on ${table.display}.` : ""),
        table,
      });
    },
    AlterOwnerStmt(alter, context) {
      const what = objectOf(alter.objectType, alter.object);
      if (!what || isCreatedEarlier(context, alter.objectType, what.key)) return;
      const owner = roleName(alter.newowner);
      const definer = what.kind === "FUNCTION" || what.kind === "PROCEDURE" ? ` A SECURITY DEFINER ${what.kind.toLowerCase()} then runs with ${owner}'s privileges.` : "";
      const inside = what.kind === "SCHEMA" ? " — even to reach its own tables in it —" : "";
      context.report({
        message: `ALTER ${what.kind} ${what.display} OWNER TO ${owner}: ${owner} gets every right over it; the previous owner keeps no privilege of its own on it, so its uses of it${inside} and later migrations that alter it fail unless it is a member of ${owner}.${definer}`,
      });
    },
    ReassignOwnedStmt(reassign, context) {
      const from = roleNames(reassign.roles);
      const to = roleName(reassign.newrole);
      const lock = tableLock(context.statement.node);
      context.report({
        message:
          `REASSIGN OWNED BY ${from.join(", ")} TO ${to} hands every object ${from.length > 1 ? "these roles own" : "the role owns"} in this database, and every database ${from.length > 1 ? "they own" : "it owns"}, to ${to} without naming them; ${from.length > 1 ? "they keep" : "it keeps"} no privilege of ${from.length > 1 ? "their" : "its"} own on them.` +
          (lock ? ` Until the migration commits, its ${lock.mode} locks block ${lock.blocks}.` : ""),
      });
    },
  },
};

/** What an ALTER ... OWNER TO names: its kind in SQL, how to show it, and its key (`schema.name`). */
function objectOf(objectType: string | undefined, object: Node | undefined): { kind: string; display: string; key: string } | undefined {
  const kind = KINDS[objectType ?? ""] ?? (objectType ?? "").replace(/^OBJECT_/, "").replace(/_/g, " ");
  if (!kind || !object) return undefined;
  const plain = nodeAs(object, "String")?.sval;
  if (plain !== undefined) return { kind, display: plain, key: plain };
  const names = nodeAs(object, "ObjectWithArgs")?.objname ?? nodeAs(object, "TypeName")?.names ?? nodeAs(object, "List")?.items;
  const name = tableOfNames(names);
  return name ? { kind, display: strings(names).join("."), key: name.key } : undefined;
}

/** True when an earlier statement of this migration created the schema, function or type: no one relies on its owner yet. */
function isCreatedEarlier(context: RuleContext, objectType: string | undefined, key: string): boolean {
  if (objectType === "OBJECT_TYPE" || objectType === "OBJECT_DOMAIN") return context.isNewType({ key });
  return context.preceding.some((s) => {
    if (objectType === "OBJECT_SCHEMA") return nodeAs(s.node, "CreateSchemaStmt")?.schemaname === key;
    if (objectType === "OBJECT_FUNCTION" || objectType === "OBJECT_PROCEDURE" || objectType === "OBJECT_ROUTINE") {
      const fn = nodeAs(s.node, "CreateFunctionStmt");
      return fn !== undefined && tableOfNames(fn.funcname)?.key === key;
    }
    return false;
  });
}
