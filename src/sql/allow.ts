import { InputError } from "../errors";
import { didYouMean } from "../text/did-you-mean";
import type { SqlComment } from "./parse";
import { RULE_IDS, isRuleId } from "./rules/ids";

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

/**
 * What follows `dbpipe:allow` in a comment's text (`-- ...` or `/* ... *\/`): the rule ids and the
 * reason, on one line; undefined when the comment is no directive. The migration files' check
 * (src/migrate/files.ts) and the linter read directives with this one function.
 */
export function allowDirectiveWords(commentText: string): string | undefined {
  const text = commentText.trimEnd();
  const m = LINE_DIRECTIVE.exec(text) ?? BLOCK_DIRECTIVE.exec(text);
  return m ? (m[1] ?? "").replace(/\s+/g, " ").trim() : undefined;
}

/** A directive's rule ids and reason, or why they do not make a directive. */
export type AllowDirectiveWords = { ids: string[]; reason: string; problem?: undefined } | { problem: string };

/**
 * Reads the words of a directive ({@link allowDirectiveWords}): its rule ids and reason, or the
 * problem — no rule id, a rule that does not exist (with the closest id), no reason.
 */
export function readAllowDirective(words: string): AllowDirectiveWords {
  const space = words.search(/\s/);
  const ids = (space === -1 ? words : words.slice(0, space)).split(",").filter((id) => id !== "");
  const reason = space === -1 ? "" : words.slice(space).trim();
  if (ids.length === 0) return { problem: "dbpipe:allow needs a rule id and a reason: -- dbpipe:allow <rule-id> <why this is safe here>" };
  for (const id of ids) {
    if (!isRuleId(id)) return { problem: `dbpipe:allow names unknown rule "${id}"${didYouMean(id, RULE_IDS)}; \`dbpipe lint\` prints rule ids beside each finding` };
  }
  if (reason === "") return { problem: `dbpipe:allow ${ids.join(",")} needs a reason: -- dbpipe:allow ${ids.join(",")} <why this is safe here>` };
  return { ids, reason };
}

/** Why a directive after the last statement of a migration's up part is refused. */
export const DANGLING_DIRECTIVE = "dbpipe:allow is not followed by a statement: put it on the line before the statement it acknowledges";

/**
 * The acknowledgements in a statement's comments. Throws {@link AllowDirectiveError} for a
 * directive without a reason or naming a rule that does not exist (a typo would otherwise
 * acknowledge nothing, silently). `loadMigrations` refuses such files before they reach the
 * linter, every one of them at once; this check stays for migrations linted without it.
 */
export function acknowledgementsIn(comments: readonly SqlComment[], file: string): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const comment of comments) {
    const words = allowDirectiveWords(comment.text);
    if (words === undefined) continue;
    const read = readAllowDirective(words);
    if (read.problem !== undefined) throw new AllowDirectiveError(file, comment.line, comment.column, read.problem);
    for (const rule of read.ids) out.push({ rule, reason: read.reason, line: comment.line, comment });
  }
  return out;
}

/** Throws when a directive stands after the last statement, where it acknowledges nothing. */
export function rejectDanglingDirectives(comments: readonly SqlComment[], file: string): void {
  for (const comment of comments) {
    if (allowDirectiveWords(comment.text) !== undefined) {
      throw new AllowDirectiveError(file, comment.line, comment.column, DANGLING_DIRECTIVE);
    }
  }
}
