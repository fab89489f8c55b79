import { type SqlStatement, SqlTokens, isIdentifierPart } from "../parse";
import type { Rule, RuleContext } from "./rule";

/** PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_BYTES = 63;

/** The statements that name what they create or rename. */
const KINDS = ["CreateStmt", "AlterTableStmt", "IndexStmt", "RenameStmt", "CreateFunctionStmt", "CreateEnumStmt", "CreateDomainStmt", "CompositeTypeStmt", "CreateSeqStmt", "ViewStmt", "CreateTableAsStmt", "CreateTrigStmt", "CreatePolicyStmt", "CreateSchemaStmt", "AlterEnumStmt", "AlterObjectSchemaStmt"] as const;

/**
 * An identifier longer than 63 bytes in a statement that creates or renames something. The parser
 * itself cuts identifiers to 63 bytes, as the server does, so the statement's own text is read.
 */
export const identifierTooLong: Rule = {
  id: "identifier-too-long",
  severity: "medium",
  summary: "An identifier (table, column, index, constraint, function or type name) longer than 63 bytes.",
  why: "PostgreSQL silently truncates identifiers to 63 bytes (with only a NOTICE): the object gets another name than the migration says, two long names that differ only after byte 63 collide, and code that looks the object up by its full name does not find it.",
  instead: "Use a name of at most 63 bytes (mind that each non-ASCII character takes two to four).",
  on: Object.fromEntries(KINDS.map((kind) => [kind, check])),
};

function check(_node: unknown, context: RuleContext): void {
  const seen = new Set<string>();
  for (const { name, offset } of longIdentifiers(context.statement)) {
    if (seen.has(name)) continue;
    seen.add(name);
    const bytes = Buffer.byteLength(name, "utf8");
    const cut = Buffer.from(name, "utf8").subarray(0, MAX_IDENTIFIER_BYTES).toString("utf8").replace(/\uFFFD+$/, "");
    context.report({ message: `The identifier "${name}" is ${bytes} bytes long: PostgreSQL silently cuts it to 63 bytes ("${cut}").`, offset });
  }
}

/** The identifiers over 63 bytes in the statement's text (outside strings, bodies and comments), with their offsets in the section. */
function longIdentifiers(statement: SqlStatement): { name: string; offset: number }[] {
  const text = statement.text;
  const out: { name: string; offset: number }[] = [];
  if (!mayHoldLongIdentifier(text)) return out;
  const tokens = new SqlTokens(text, 0, text.length);
  while (tokens.next()) {
    const { kind, start, end } = tokens;
    if (kind === "quoted-identifier") {
      if (mayBeTooLong(end - start - 2)) {
        const name = text.slice(start + 1, end - 1).replace(/""/g, '"');
        if (Buffer.byteLength(name, "utf8") > MAX_IDENTIFIER_BYTES) out.push({ name, offset: statement.offset + start });
      }
    } else if (kind === "word" && mayBeTooLong(end - start)) {
      const name = text.slice(start, end);
      if (Buffer.byteLength(name, "utf8") > MAX_IDENTIFIER_BYTES) out.push({ name: name.toLowerCase(), offset: statement.offset + start });
    }
  }
  return out;
}

/**
 * False when no identifier in `text` can be over 63 bytes: it holds no quote (no quoted
 * identifier) and no run of characters that may make up a word (the tokenizer's
 * {@link isIdentifierPart}) over 63 bytes in UTF-8. Most statements hold neither, and this spares
 * reading their tokens.
 */
function mayHoldLongIdentifier(text: string): boolean {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return true;
    if (!isIdentifierPart(c)) {
      bytes = 0;
      continue;
    }
    bytes += c < 128 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes > MAX_IDENTIFIER_BYTES) return true;
  }
  return false;
}

/**
 * False when `units` UTF-16 code units cannot take more than 63 bytes in UTF-8 (each takes at most
 * three): most identifiers are short, and this spares cutting them out of the text.
 */
function mayBeTooLong(units: number): boolean {
  return units * 3 > MAX_IDENTIFIER_BYTES;
}
