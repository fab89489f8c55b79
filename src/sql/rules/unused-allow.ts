import type { Rule } from "./rule";

/**
 * A `-- dbpipe:allow <rule>` whose rule reports nothing on its statement. The linter reports it
 * itself (src/sql/lint.ts), once every rule has looked at the statement: this rule's own check
 * looks at no statement.
 */
export const unusedAllow: Rule = {
  id: "unused-allow",
  severity: "low",
  summary: "A `-- dbpipe:allow <rule>` that acknowledges nothing: the rule reports nothing on the statement it stands beside.",
  why: "The directive was probably meant for another statement (it acknowledges only the statement right after it, or the one whose last line it ends), or the finding it was written for went away. Left in place, it would silently acknowledge whatever that rule finds there after the next edit.",
  instead: "Move the directive to the statement it is about (on the line before it, or at the end of its last line), or remove it.",
  // Reported by the linter, which knows what the other rules found on the statement.
  on: {},
};
