import { loadParser, parseSection } from "../sql/parse";
import type { StatementSplitter } from "./batch";

/**
 * The engine's statement splitter: the real PostgreSQL parser, so dollar-quoted bodies, nested
 * comments and string literals never split a statement. Only no-transaction files and failures
 * are split; a transactional migration is sent to the server whole.
 */
export const splitWithParser: StatementSplitter = async (section, file) => {
  await loadParser();
  return parseSection(section, file).map((s) => ({ text: s.text, line: s.line, column: s.column }));
};
