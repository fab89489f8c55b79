import type { ViewStmt } from "libpg-query";
import { type TableRef, nodeAs, quoteIdent, tableOf, tableOfKey, tableOfNames } from "../ast";
import { type ViewColumns, viewColumnLocation, viewColumns } from "../view-columns";
import { partitionedIndexSteps } from "./create-index-without-concurrently";
import type { Rule, RuleContext } from "./rule";

/**
 * A statement PostgreSQL refuses for what it names, as the schema history knows it: the migration
 * fails when it runs. Only what the history knows counts — a table the linted files never created
 * or partitioned is not assumed to be partitioned, a view they never created has no known columns.
 */
export const rejectedByPostgres: Rule = {
  id: "rejected-by-postgres",
  severity: "high",
  summary:
    "A statement PostgreSQL refuses: CREATE INDEX CONCURRENTLY, a NOT VALID foreign key or ADD CONSTRAINT ... USING INDEX on a partitioned table; DROP INDEX CONCURRENTLY of several indexes, with CASCADE, or of a partitioned index; DETACH PARTITION CONCURRENTLY from a table with a DEFAULT partition; CREATE OR REPLACE VIEW that drops, renames or moves one of the view's columns.",
  why: "PostgreSQL rejects these statements outright (\"cannot create index on partitioned table concurrently\", \"cannot add NOT VALID foreign key on partitioned table\", \"DROP INDEX CONCURRENTLY does not support dropping multiple objects\", \"cannot drop columns from view\", \"cannot change name of view column\", ...): the migration fails when it runs, and in a no-transaction migration the statements before it stay done.",
  instead: "Use the form PostgreSQL accepts; each finding's hint gives it for the statement.",
  commandsOf: "every-alter",
  on: {
    IndexStmt(index, context) {
      const table = tableOf(index.relation);
      if (!index.concurrent || !table || !context.history.isPartitioned(table.key)) return;
      context.report({
        message: `CREATE ${index.unique ? "UNIQUE " : ""}INDEX CONCURRENTLY${index.idxname ? ` ${index.idxname}` : ""} on ${table.display} fails: ${table.display} is partitioned, and PostgreSQL cannot create an index on a partitioned table concurrently.`,
        hint: partitionedIndexSteps(index, table),
        table,
        at: index.relation?.location,
      });
    },
    DropStmt(drop, context) {
      if (drop.removeType !== "OBJECT_INDEX" || !drop.concurrent) return;
      const indexes = (drop.objects ?? []).map((o) => tableOfNames(nodeAs(o, "List")?.items)).filter((i) => i !== undefined);
      const what = `DROP INDEX CONCURRENTLY ${indexes.map((i) => i.display).join(", ")}`;
      if (indexes.length > 1) {
        context.report({
          message: `${what} fails: PostgreSQL drops one index per DROP INDEX CONCURRENTLY ("does not support dropping multiple objects").`,
          hint: "One DROP INDEX CONCURRENTLY per index, each in its own `-- dbpipe:no-transaction` migration.",
        });
      }
      if (drop.behavior === "DROP_CASCADE") {
        context.report({
          message: `${what} CASCADE fails: DROP INDEX CONCURRENTLY does not support CASCADE.`,
          hint: "Drop what depends on the index first (a foreign key that uses it, say), then DROP INDEX CONCURRENTLY without CASCADE.",
        });
      }
      for (const index of indexes) {
        if (!context.history.isPartitionedIndex(index.key)) continue;
        context.report({
          message: `${what} fails: ${index.display} is on a partitioned table, and PostgreSQL cannot drop a partitioned index concurrently.`,
          hint: "A partitioned index can only be dropped with a plain DROP INDEX, which takes ACCESS EXCLUSIVE locks on the partitioned table and every partition: run it in a transactional migration with a short lock_timeout (SET lock_timeout = '2s') and retry when it times out.",
        });
      }
    },
    "AlterTableCmd:AT_AddConstraint"(cmd, context) {
      if (context.alter.objtype !== "OBJECT_TABLE" || !context.history.isPartitioned(context.table.key)) return;
      const constraint = nodeAs(cmd.def, "Constraint");
      const { table } = context;
      const name = constraint?.conname ? `CONSTRAINT ${quoteIdent(constraint.conname)} ` : "";
      if (constraint?.contype === "CONSTR_FOREIGN" && constraint.skip_validation) {
        context.report({
          message: `ADD ${name}FOREIGN KEY ... NOT VALID on ${table.display} fails: ${table.display} is partitioned, and PostgreSQL 15 refuses a NOT VALID foreign key on a partitioned table.`,
          hint: foreignKeyOnPartitionsSteps(table.display),
          table,
          at: constraint.location,
        });
      } else if ((constraint?.contype === "CONSTR_UNIQUE" || constraint?.contype === "CONSTR_PRIMARY") && constraint.indexname) {
        const kind = constraint.contype === "CONSTR_UNIQUE" ? "UNIQUE" : "PRIMARY KEY";
        context.report({
          message: `ADD ${name}${kind} USING INDEX on ${table.display} fails: ${table.display} is partitioned, and PostgreSQL does not support ADD CONSTRAINT ... USING INDEX on partitioned tables.`,
          hint: uniqueOnPartitionsSteps(table.display, kind),
          table,
          at: constraint.location,
        });
      }
    },
    "AlterTableCmd:AT_DetachPartition"(cmd, context) {
      const partition = nodeAs(cmd.def, "PartitionCmd");
      if (!partition?.concurrent) return;
      const { table } = context;
      const defaultPartition = context.history.defaultPartitionOf(table.key);
      if (defaultPartition === undefined) return;
      context.report({
        message: `DETACH PARTITION ${tableOf(partition.name)?.display ?? ""} CONCURRENTLY fails: ${table.display} has a DEFAULT partition (${tableOfKey(defaultPartition).display}), and PostgreSQL cannot detach partitions concurrently when one exists.`,
        hint: detachWithDefaultHint(table.display),
        table,
        at: partition.name?.location,
      });
    },
    ViewStmt(view, context) {
      const table = tableOf(view.view);
      // An unqualified name after a change of search_path may be another schema's view.
      if (!view.replace || !table || table.temporary || (table.schema === undefined && context.searchPathChanged)) return;
      const before = context.history.viewColumns(table.key);
      if (before) reportRefusedViewChange(view, table, before, viewColumns(view), context);
    },
  },
};

/**
 * Reports a CREATE OR REPLACE VIEW of `view` (known to have the columns `before`) whose new columns
 * `after` PostgreSQL refuses, as it checks them (view.c, checkViewTupleDesc): fewer columns first,
 * then, column by column, a different name. Only names known on both sides count; types are not
 * known (a column's type comes from tables and functions the history does not type), so a changed
 * type, typmod or collation, which PostgreSQL refuses too, is not reported.
 */
function reportRefusedViewChange(view: ViewStmt, table: TableRef, before: ViewColumns, after: ViewColumns, context: RuleContext): void {
  const what = `CREATE OR REPLACE VIEW ${table.display}`;
  const at = (index: number) => viewColumnLocation(view, index) ?? view.view?.location;
  const differsAt = (i: number) => before.names[i] !== null && after.names[i] !== null && before.names[i] !== after.names[i];
  const shared = Math.min(before.names.length, after.names.length);
  if (!after.more && after.names.length < before.names.length) {
    // Where the first old column is missing: its first changed position, else just past the new ones.
    let gap = 0;
    while (gap < shared && !differsAt(gap)) gap++;
    context.report({
      message: `${what} fails: it has ${columnsPhrase(after)} where ${table.display} has ${columnsPhrase(before)}, and PostgreSQL cannot drop columns from a view ("cannot drop columns from view").`,
      hint: `Keep ${table.display}'s columns as they are, in their order (${columnList(before)}), and add new ones after them. To remove one, ${recreateSteps(table.display)}`,
      table,
      at: at(Math.max(0, Math.min(gap, after.names.length - 1))),
    });
    return;
  }
  for (let i = 0; i < shared; i++) {
    if (!differsAt(i)) continue;
    const from = before.names[i] as string;
    const to = after.names[i] as string;
    // A name that is on both sides was moved (or a column put before it), not renamed.
    const renamed = !after.names.includes(from) && !before.names.includes(to);
    context.report({
      message: `${what} fails: its column ${i + 1} is ${quoteIdent(to)} where ${table.display} has ${quoteIdent(from)}, and PostgreSQL cannot change the name of a view column ("cannot change name of view column "${from}" to "${to}"").`,
      hint:
        (renamed ? `To rename the column, ALTER VIEW ${table.display} RENAME COLUMN ${quoteIdent(from)} TO ${quoteIdent(to)} first (clients that read ${quoteIdent(from)} break), then replace the view. Otherwise keep` : "Keep") +
        ` ${table.display}'s columns as they are, in their order (${columnList(before)}), and add new ones after them. To reorder or remove columns, ${recreateSteps(table.display)}`,
      table,
      at: at(i),
    });
    return;
  }
}

/** How to replace a view whose columns change: a drop and a create, with what a drop takes with it. */
function recreateSteps(view: string): string {
  return `DROP VIEW ${view} and CREATE VIEW it anew in one transactional migration (clients never see it missing): DROP VIEW fails while other views depend on ${view} (drop and re-create them in the same migration), and the grants on ${view} go with it (grant them again).`;
}

/** `2 columns (id, email)`, `at least 3 columns (id, email, name, …)`, `no columns`. */
function columnsPhrase(columns: ViewColumns): string {
  const n = columns.names.length;
  if (n === 0 && !columns.more) return "no columns";
  return `${columns.more ? "at least " : ""}${n} column${n === 1 ? "" : "s"} (${columnList(columns)})`;
}

/** The names of `columns`, `…` for one not known (and after them when more may follow). */
function columnList(columns: ViewColumns): string {
  const names = columns.names.map((n) => (n === null ? "…" : quoteIdent(n)));
  return [...names, ...(columns.more ? ["…"] : [])].join(", ");
}

/** How to add a foreign key to the partitioned table `table` without a long lock, since it cannot be added NOT VALID there. */
export function foreignKeyOnPartitionsSteps(table: string): string {
  return (
    "Add it partition by partition: ALTER TABLE <partition> ADD CONSTRAINT <name> FOREIGN KEY ... NOT VALID on each partition, VALIDATE CONSTRAINT each in a later migration, " +
    `then ALTER TABLE ${table} ADD CONSTRAINT <name> FOREIGN KEY ... (without NOT VALID): PostgreSQL attaches the partitions' validated constraints instead of checking their rows again.`
  );
}

/** How to add a UNIQUE (or PRIMARY KEY) constraint to the partitioned table `table` without building its index under the lock. */
export function uniqueOnPartitionsSteps(table: string, kind: "UNIQUE" | "PRIMARY KEY"): string {
  return (
    `On each partition, CREATE UNIQUE INDEX CONCURRENTLY (in its own \`-- dbpipe:no-transaction\` migration), then ALTER TABLE <partition> ADD CONSTRAINT ... ${kind} USING INDEX; ` +
    `then ALTER TABLE ${table} ADD CONSTRAINT ... ${kind} (...): PostgreSQL attaches the partitions' constraints instead of building new indexes, under a brief ACCESS EXCLUSIVE lock on ${table}.`
  );
}

/** What to do instead of DETACH PARTITION CONCURRENTLY from `table`, which has a DEFAULT partition. */
export function detachWithDefaultHint(table: string): string {
  return `CONCURRENTLY is refused while ${table} has a DEFAULT partition: run a plain DETACH PARTITION (it takes ACCESS EXCLUSIVE locks on ${table} and its DEFAULT partition) in a transactional migration with a short lock_timeout (SET lock_timeout = '2s'), and retry when it times out.`;
}
