import type { Node } from "libpg-query";
import { nodeAs, quoteIdent, strings, tableOf, tableOfNames, type TableRef } from "../ast";
import type { Rule } from "./rule";

const DROPPED: Record<string, string> = {
  OBJECT_VIEW: "VIEW",
  OBJECT_MATVIEW: "MATERIALIZED VIEW",
  OBJECT_FUNCTION: "FUNCTION",
  OBJECT_PROCEDURE: "PROCEDURE",
  OBJECT_ROUTINE: "ROUTINE",
  OBJECT_AGGREGATE: "AGGREGATE",
  OBJECT_TYPE: "TYPE",
  OBJECT_DOMAIN: "DOMAIN",
  OBJECT_SEQUENCE: "SEQUENCE",
  OBJECT_TRIGGER: "TRIGGER",
  OBJECT_POLICY: "POLICY",
  OBJECT_RULE: "RULE",
  OBJECT_EXTENSION: "EXTENSION",
};

/**
 * Objects whose DROP ... CASCADE drops table columns, with their data: every column of the type (or
 * of an array of it, or of a domain over it), of the domain, of a type the extension defines.
 */
const DROPS_COLUMNS: Record<string, string> = {
  OBJECT_TYPE: "every column of that type (or of an array of it, or of a domain over it)",
  OBJECT_DOMAIN: "every column of that domain",
  OBJECT_EXTENSION: "every column of a type the extension defines",
};

/**
 * DROP of a view, function, type, sequence, trigger, policy or extension that existed before this
 * migration, and that the migration does not create again (drop-and-recreate is how a function's
 * signature or a view's columns change, and is not reported); and what a CASCADE drops with it,
 * there or in ALTER TABLE ... DROP CONSTRAINT ... CASCADE.
 *
 * Medium, as drop-column: a CASCADE that drops columns loses their data as DROP COLUMN does, and
 * one that drops foreign keys loses no rows, only what kept them consistent.
 */
export const dropObject: Rule = {
  id: "drop-object",
  severity: "medium",
  summary:
    "DROP VIEW, FUNCTION, TYPE, DOMAIN, SEQUENCE, TRIGGER, POLICY or EXTENSION of an existing object that the migration does not re-create, and what CASCADE drops with it (columns of a type, the foreign keys on a primary key).",
  why: "Clients and other objects that use it break, and CASCADE silently drops those other objects too, for good: DROP TYPE or DOMAIN ... CASCADE drops every column of the type with its data, and DROP CONSTRAINT ... CASCADE of a primary key or unique constraint drops every foreign key that references it. A dropped trigger or policy silently stops enforcing what it enforced.",
  instead: "Stop using the object first, then drop it in a later migration; avoid CASCADE so PostgreSQL tells you what still depends on it, and drop those by name.",
  on: {
    DropStmt(drop, context) {
      const what = DROPPED[drop.removeType ?? ""];
      if (!what) return;
      const recreated = new Set(context.following.map((s) => createdName(s.node)).filter((n) => n !== undefined));
      const onTable = drop.removeType === "OBJECT_TRIGGER" || drop.removeType === "OBJECT_POLICY" || drop.removeType === "OBJECT_RULE";
      const columns = DROPS_COLUMNS[drop.removeType ?? ""];
      for (const object of drop.objects ?? []) {
        const name = objectName(object, onTable);
        if (!name) continue;
        if (context.isNewType(name) || context.isNewTable(onTable ? name.table : tableOfNames(nodeAs(object, "List")?.items))) continue;
        const cascade = drop.behavior === "DROP_CASCADE";
        // Re-creating the object brings back none of what CASCADE took with it (a column of the type,
        // a trigger on the function, a column's default on the sequence, a view on the view).
        if (recreated.has(name.key) && !cascade) continue;
        const dropped = `DROP ${what} ${name.display}`;
        if (cascade && columns) {
          // Without CASCADE, PostgreSQL refuses the drop while a column uses the type: no data goes.
          context.report({
            message: recreated.has(name.key)
              ? `${dropped} CASCADE, then re-created: CASCADE dropped ${columns} from every table, with the column's data, and re-creating it brings none of them back.`
              : `${dropped} CASCADE drops ${columns} from every table, with the column's data, and everything else that depends on it (views, functions).`,
            hint: `Drop without CASCADE: PostgreSQL then names the columns that still use it. Drop those with ALTER TABLE ... DROP COLUMN (or change their type) first, in their own migration.`,
          });
          continue;
        }
        context.report({
          message: recreated.has(name.key)
            ? `${dropped} CASCADE, then re-created: re-creating it brings back nothing CASCADE dropped with it (columns of the type, triggers on the function, defaults on the sequence, views on the view), so what used it is gone for good.`
            : `${dropped}: whatever still uses it breaks.${cascade ? " CASCADE also drops everything that depends on it." : ""}`,
        });
      }
    },
    "AlterTableCmd:AT_DropConstraint"(cmd, context) {
      // A CHECK or a foreign key has nothing that depends on it: CASCADE drops nothing more. dbpipe
      // cannot tell which kind of constraint the name is, so a CASCADE is reported whatever it is.
      if (cmd.behavior !== "DROP_CASCADE") return;
      const { table } = context;
      context.report({
        message: `DROP CONSTRAINT ${quoteIdent(cmd.name ?? "")} CASCADE on ${table.display}: if it is a primary key or unique constraint, CASCADE also drops, without naming them, every foreign key that references it (rows without a match are accepted from then on) and every view that relies on it; adding the constraint back restores none of them.`,
        hint: "Drop it without CASCADE: PostgreSQL then names what depends on it. Drop those foreign keys and views by name first, or keep the constraint.",
        table,
      });
    },
  },
};

/** The dropped object's name: how to show it, and its key to compare with what the migration creates. */
function objectName(object: Node, onTable: boolean): { display: string; key: string; schema?: string; table?: TableRef } | undefined {
  const list = nodeAs(object, "List");
  const parts = list ? strings(list.items) : strings(nodeAs(object, "ObjectWithArgs")?.objname ?? nodeAs(object, "TypeName")?.names ?? [object]);
  if (parts.length === 0) return undefined;
  if (onTable && list) {
    // Triggers, policies and rules are named `table.name` by the parser: they belong to the table.
    const table = tableOfNames((list.items ?? []).slice(0, -1));
    const name = parts[parts.length - 1];
    return table ? { display: `${name} ON ${table.display}`, key: `${table.key}.${name}`, table } : undefined;
  }
  const display = parts.join(".");
  return parts.length > 1 ? { display, key: display, schema: parts[0] } : { display, key: `public.${display}` };
}

/** The `schema.name` key of the object a CREATE statement makes, for the kinds drop-object knows. */
function createdName(node: Node): string | undefined {
  const qualify = (names: string[]) => (names.length > 1 ? names.join(".") : `public.${names[0]}`);
  const fn = nodeAs(node, "CreateFunctionStmt");
  if (fn) return qualify(strings(fn.funcname));
  const view = nodeAs(node, "ViewStmt");
  if (view) return tableOf(view.view)?.key;
  const matview = nodeAs(node, "CreateTableAsStmt");
  if (matview) return tableOf(matview.into?.rel)?.key;
  const trigger = nodeAs(node, "CreateTrigStmt");
  if (trigger) {
    const table = tableOf(trigger.relation);
    return table ? `${table.key}.${trigger.trigname}` : undefined;
  }
  const enumType = nodeAs(node, "CreateEnumStmt");
  if (enumType) return qualify(strings(enumType.typeName));
  const composite = nodeAs(node, "CompositeTypeStmt");
  if (composite) return tableOf(composite.typevar)?.key;
  const domain = nodeAs(node, "CreateDomainStmt");
  if (domain) return qualify(strings(domain.domainname));
  const sequence = nodeAs(node, "CreateSeqStmt");
  if (sequence) return tableOf(sequence.sequence)?.key;
  const policy = nodeAs(node, "CreatePolicyStmt");
  if (policy) {
    const table = tableOf(policy.table);
    return table ? `${table.key}.${policy.policy_name}` : undefined;
  }
  const extension = nodeAs(node, "CreateExtensionStmt");
  if (extension) return `public.${extension.extname}`;
  return undefined;
}
