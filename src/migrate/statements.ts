import { loadParser, parseSection } from "../sql/parse";
import { ENDS_TRANSACTION, STARTS_TRANSACTION, transactionKind } from "../sql/transactions";
import type { StatementSplitter } from "./batch";

/**
 * The engine's statement splitter: the real PostgreSQL parser, so dollar-quoted bodies, nested
 * comments and string literals never split a statement. Only no-transaction files and failures
 * are split; a transactional migration is sent to the server whole.
 */
export const splitWithParser: StatementSplitter = async (section, file) => {
  await loadParser();
  return parseSection(section, file).map((s) => {
    const kind = transactionKind(s);
    const transaction = kind === undefined ? undefined : STARTS_TRANSACTION.has(kind) ? "starts" : ENDS_TRANSACTION.has(kind) ? "ends" : undefined;
    return { text: s.text, line: s.line, column: s.column, ...(transaction ? { transaction } : {}) };
  });
};
