import { InputError } from "../errors";
import type { SqlComment } from "./parse";

/**
 * `-- dbpipe:allow <rule-id>[,<rule-id>...] <reason>`: a reviewed acknowledgement, written in the
 * migration beside the statement it is about. It goes on the line(s) before the statement, inside
 * it, or at the end of the statement's last line; a block comment `/* dbpipe:allow <rule-id>
 * <reason> *\/` works the same way. The finding stays in the output, marked acknowledged, and no
 * longer raises the migration's risk. The reason is required: it is what the reviewer reads. An
 * acknowledgement of a rule that reports nothing on its statement is itself reported (rule
 * `unused-allow`), so that a misplaced or stale directive does not go unseen. Only real comments
 * count, as PostgreSQL's lexer reads them (parse.ts, `SqlTokens`): the same words in a string
 * literal, a dollar-quoted body or inside a block comment are no directive.
 */

/** One acknowledgement of one rule on one statement. */
export interface Acknowledgement {
  /** The rule acknowledged. */
  rule: string;
  /** Why the finding is acceptable here. */
  reason: string;
  /** Line of the directive in the file. */
  line: number;
  /** The comment that holds the directive. */
  comment: SqlComment;
}

/** A malformed `-- dbpipe:allow` directive, at its place in the file. */
export class AllowDirectiveError extends InputError {
  constructor(
    /** The file, as users see it in messages. */
    readonly file: string,
    /** 1-based line of the directive's comment. */
    readonly line: number,
    /** 1-based column of the directive's comment. */
    readonly column: number,
    /** What is wrong, and what to write instead. */
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${problem}`);
  }
}

const LINE_DIRECTIVE = /^--\s*dbpipe:allow(?:\s+(.*))?$/;
const BLOCK_DIRECTIVE = /^\/\*\s*dbpipe:allow(?:\s+([\s\S]*?))?\s*\*\/$/;

/** What follows `dbpipe:allow` in a comment (rule ids and reason, on one line), or undefined when the comment is no directive. */
function directive(comment: SqlComment): string | undefined {
  const text = comment.text.trimEnd();
  const m = LINE_DIRECTIVE.exec(text) ?? BLOCK_DIRECTIVE.exec(text);
  return m ? (m[1] ?? "").replace(/\s+/g, " ").trim() : undefined;
}

/**
 * The acknowledgements in a statement's comments. Throws {@link AllowDirectiveError} for a
 * directive without a reason or naming a rule that does not exist (a typo would otherwise
 * acknowledge nothing, silently).
 */
export function acknowledgementsIn(comments: readonly SqlComment[], file: string, isRule: (id: string) => boolean, suggest: (id: string) => string | undefined): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const comment of comments) {
    const rest = directive(comment);
    if (rest === undefined) continue;
    const fail = (problem: string) => new AllowDirectiveError(file, comment.line, comment.column, problem);
    const space = rest.search(/\s/);
    const ids = (space === -1 ? rest : rest.slice(0, space)).split(",").filter((id) => id !== "");
    const reason = space === -1 ? "" : rest.slice(space).trim();
    if (ids.length === 0) {
      throw fail("dbpipe:allow needs a rule id and a reason: -- dbpipe:allow <rule-id> <why this is safe here>");
    }
    for (const id of ids) {
      if (!isRule(id)) {
        const close = suggest(id);
        throw fail(`dbpipe:allow names unknown rule "${id}"${close ? ` (did you mean ${close}?)` : ""}; \`dbpipe lint\` prints rule ids beside each finding`);
      }
    }
    if (reason === "") {
      throw fail(`dbpipe:allow ${ids.join(",")} needs a reason: -- dbpipe:allow ${ids.join(",")} <why this is safe here>`);
    }
    for (const rule of ids) out.push({ rule, reason, line: comment.line, comment });
  }
  return out;
}

/** Throws when a directive stands after the last statement, where it acknowledges nothing. */
export function rejectDanglingDirectives(comments: readonly SqlComment[], file: string): void {
  for (const comment of comments) {
    if (directive(comment) !== undefined) {
      throw new AllowDirectiveError(file, comment.line, comment.column, "dbpipe:allow is not followed by a statement: put it on the line before the statement it acknowledges");
    }
  }
}
