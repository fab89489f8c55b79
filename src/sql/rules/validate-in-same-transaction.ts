import type { AlterTableCmd, Constraint } from "libpg-query";
import { alterTableCommands, constraintName, nodeAs, quoteIdent, tableOf, type TableRef } from "../ast";
import type { SqlStatement } from "../parse";
import { type Rule } from "./rule";

/**
 * VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT ... NOT VALID it validates.
 * NOT VALID exists so that the scan happens later, under a lock that lets writes through; in the
 * same transaction the ADD's lock is still held while VALIDATE scans.
 */
export const validateInSameTransaction: Rule = {
  id: "validate-in-same-transaction",
  severity: "medium",
  summary: "ALTER TABLE ... VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT ... NOT VALID it validates.",
  why: "Locks are held until the transaction ends. ADD CONSTRAINT ... NOT VALID takes an ACCESS EXCLUSIVE lock (CHECK) or a SHARE ROW EXCLUSIVE lock on both tables (FOREIGN KEY) for an instant; VALIDATE in the same transaction then scans every row while that lock is still held, so reads or writes wait for the whole scan — exactly what NOT VALID was meant to avoid.",
  instead: "VALIDATE CONSTRAINT in a later migration (or a `-- dbpipe:no-transaction` one where each statement commits on its own): there it takes only a SHARE UPDATE EXCLUSIVE lock, which lets reads and writes through while it scans.",
  sizeSensitive: true,
  on: {
    "AlterTableCmd:AT_ValidateConstraint"(cmd, context) {
      if (!context.inTransaction || !cmd.name) return;
      const { table, commands, commandIndex } = context;
      const name = cmd.name;
      const inThisStatement = commands
        .slice(0, commandIndex)
        .map((c) => addsNotValid(c, table, name))
        .find((c) => c !== undefined);
      const added = inThisStatement ? { where: "in this statement", constraint: inThisStatement } : addedEarlier(context.preceding, table, name);
      if (!added) return;
      const lock = added.constraint.contype === "CONSTR_FOREIGN" ? "the SHARE ROW EXCLUSIVE locks it took on both tables (blocking writes) are" : "the ACCESS EXCLUSIVE lock it took (blocking reads and writes) is";
      context.report({
        message: `VALIDATE CONSTRAINT ${quoteIdent(name)} on ${table.display} runs in the same transaction as its ADD CONSTRAINT ... NOT VALID (${added.where}): ${lock} still held while VALIDATE scans every row.`,
        hint: `Move VALIDATE CONSTRAINT ${quoteIdent(name)} to a later migration; there it scans without blocking reads or writes.`,
        table,
      });
    },
  },
};

/** The constraint `cmd` adds NOT VALID under `name` on `table`, if it does. */
function addsNotValid(cmd: AlterTableCmd, table: TableRef, name: string): Constraint | undefined {
  const constraint = cmd.subtype === "AT_AddConstraint" ? nodeAs(cmd.def, "Constraint") : undefined;
  if (!constraint?.skip_validation) return undefined;
  return constraintName(table.name, constraint) === name ? constraint : undefined;
}

/**
 * The earlier statement of the same transaction that adds `name` NOT VALID on `table`, walking back
 * from the statement before this one to the transaction's start (an explicit BEGIN or COMMIT).
 */
function addedEarlier(preceding: readonly SqlStatement[], table: TableRef, name: string): { where: string; constraint: Constraint } | undefined {
  for (let i = preceding.length - 1; i >= 0; i--) {
    const node = preceding[i].node;
    const transaction = nodeAs(node, "TransactionStmt")?.kind;
    if (transaction === "TRANS_STMT_BEGIN" || transaction === "TRANS_STMT_START" || transaction === "TRANS_STMT_COMMIT" || transaction === "TRANS_STMT_ROLLBACK") return undefined;
    const alter = nodeAs(node, "AlterTableStmt");
    if (!alter || tableOf(alter.relation)?.key !== table.key) continue;
    for (const cmd of alterTableCommands(alter)) {
      const added = addsNotValid(cmd, table, name);
      if (added) return { where: `line ${preceding[i].line}`, constraint: added };
    }
  }
  return undefined;
}
