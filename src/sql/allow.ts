import { InputError } from "../errors";
import type { SqlComment } from "./parse";

/**
 * `-- dbpipe:allow <rule-id>[,<rule-id>...] <reason>`: a reviewed acknowledgement, written in the
 * migration beside the statement it is about. It goes on the line(s) before the statement, or at
 * the end of the statement's last line. The finding stays in the output, marked acknowledged, and
 * no longer raises the migration's risk. The reason is required: it is what the reviewer reads.
 */

/** One acknowledgement of one rule on one statement. */
export interface Acknowledgement {
  /** The rule acknowledged. */
  rule: string;
  /** Why the finding is acceptable here. */
  reason: string;
  /** Line of the directive in the file. */
  line: number;
}

/** A malformed `-- dbpipe:allow` directive. */
export class AllowDirectiveError extends InputError {}

const DIRECTIVE = /^--\s*dbpipe:allow(?:\s+(.*))?$/;

/**
 * The acknowledgements in a statement's comments. Throws {@link AllowDirectiveError} for a
 * directive without a reason or naming a rule that does not exist (a typo would otherwise
 * acknowledge nothing, silently).
 */
export function acknowledgementsIn(comments: readonly SqlComment[], file: string, isRule: (id: string) => boolean, suggest: (id: string) => string | undefined): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const comment of comments) {
    const m = DIRECTIVE.exec(comment.text.trimEnd());
    if (!m) continue;
    const where = `${file}:${comment.line}:${comment.column}`;
    const rest = (m[1] ?? "").trim();
    const space = rest.search(/\s/);
    const ids = (space === -1 ? rest : rest.slice(0, space)).split(",").filter((id) => id !== "");
    const reason = space === -1 ? "" : rest.slice(space).trim();
    if (ids.length === 0) {
      throw new AllowDirectiveError(`${where}: dbpipe:allow needs a rule id and a reason: -- dbpipe:allow <rule-id> <why this is safe here>`);
    }
    for (const id of ids) {
      if (!isRule(id)) {
        const close = suggest(id);
        throw new AllowDirectiveError(`${where}: dbpipe:allow names unknown rule "${id}"${close ? ` (did you mean ${close}?)` : ""}; \`dbpipe lint\` prints rule ids beside each finding`);
      }
    }
    if (reason === "") {
      throw new AllowDirectiveError(`${where}: dbpipe:allow ${ids.join(",")} needs a reason: -- dbpipe:allow ${ids.join(",")} <why this is safe here>`);
    }
    for (const rule of ids) out.push({ rule, reason, line: comment.line });
  }
  return out;
}

/** Throws when a directive stands after the last statement, where it acknowledges nothing. */
export function rejectDanglingDirectives(comments: readonly SqlComment[], file: string): void {
  for (const comment of comments) {
    if (DIRECTIVE.test(comment.text.trimEnd())) {
      throw new AllowDirectiveError(`${file}:${comment.line}:${comment.column}: dbpipe:allow is not followed by a statement: put it on the line before the statement it acknowledges`);
    }
  }
}
