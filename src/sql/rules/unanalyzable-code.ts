import type { FuncCall } from "libpg-query";
import { strings, tableOfNames, walk } from "../ast";
import type { Rule } from "./rule";

/** DO blocks, CALL of a procedure, SELECT of a migration's function and EXECUTE of a prepared statement: code dbpipe cannot see into. */
export const unanalyzableCode: Rule = {
  id: "unanalyzable-code",
  severity: "medium",
  summary: "A DO block, CALL of a procedure, SELECT of a function a migration created, or EXECUTE of a prepared statement: code whose effect dbpipe cannot check.",
  why: "dbpipe checks SQL statements, not procedural code: a DROP TABLE, an UPDATE without WHERE or a table rewrite inside a DO block or a procedure runs without any finding, so the migration's risk says nothing about it.",
  instead: "Write the DDL and data changes as plain statements dbpipe can check, outside DO blocks and procedures. If the code must stay, say what it does and why it is safe with `-- dbpipe:allow unanalyzable-code <reason>`.",
  on: {
    DoStmt(_, context) {
      context.report({ message: "DO block: dbpipe cannot check what the code inside it does (schema changes, data changes, locks), so nothing it does is reported." });
    },
    CallStmt(call, context) {
      const name = strings(call.funccall?.funcname).join(".");
      context.report({ message: `CALL ${name}(): dbpipe cannot check what the procedure does (schema changes, data changes, locks), so nothing it does is reported.` });
    },
    SelectStmt(select, context) {
      // A function a migration defined, called for what it does (`SELECT cleanup_legacy();`): its
      // body runs with no finding. Functions dbpipe did not see created (built-ins, extensions') are left alone.
      let called: string | undefined;
      walk(select, (kind, inner) => {
        if (called !== undefined || kind !== "FuncCall") return;
        const name = tableOfNames((inner as FuncCall).funcname);
        if (name && context.history.isMigrationFunction(name.key)) called = name.display;
      });
      if (called !== undefined) {
        context.report({ message: `SELECT ${called}(): runs ${called}, a function a migration created: dbpipe cannot check what its code does (schema changes, data changes, locks), so nothing it does is reported.` });
      }
    },
    ExecuteStmt(execute, context) {
      context.report({ message: `EXECUTE ${execute.name ?? ""}: dbpipe does not follow prepared statements, so what it runs is not checked.`, hint: "Write the statement itself in the migration instead of PREPARE and EXECUTE." });
    },
  },
};
