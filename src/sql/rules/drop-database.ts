import type { Rule } from "./rule";

/** DROP DATABASE. */
export const dropDatabase: Rule = {
  id: "drop-database",
  severity: "high",
  summary: "DROP DATABASE in a migration.",
  why: "A whole database and all its data, gone. A migration runs on every environment, prod included.",
  instead: "Databases are declared in the Pulumi program, not dropped by migrations: remove the database from the stack's config, where the tier's protections apply.",
  on: {
    DropdbStmt(drop, context) {
      context.report({ message: `DROP DATABASE ${drop.dbname ?? ""} deletes a whole database.` });
    },
  },
};
