import type { Rule } from "./rule";

/** CREATE EXTENSION of an extension the stack does not declare. */
export const createExtension: Rule = {
  id: "create-extension",
  severity: "low",
  summary: "CREATE EXTENSION of an extension the stack does not declare in dbpipe:extensions.",
  why: "Extensions change the whole database and usually need privileges the migration role does not have on managed servers (RDS, Neon, Supabase): the migration can pass locally and fail in prod.",
  instead: "Declare the extension in the stack's dbpipe:extensions (the Pulumi program creates it with the right role), and keep CREATE EXTENSION IF NOT EXISTS out of migrations.",
  on: {
    CreateExtensionStmt(stmt, context) {
      if (!stmt.extname || context.extensions.has(stmt.extname)) return;
      context.report({ message: `CREATE EXTENSION ${stmt.extname}: the stack does not declare it in dbpipe:extensions, so the migration role must be allowed to create it on every server.` });
    },
  },
};
