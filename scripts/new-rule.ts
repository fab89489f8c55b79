import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Scaffolds a new lint rule: `npm run new-rule -- <id> [--on <listener>]` writes
 * src/sql/rules/<id>.ts, test/sql/rules/<id>.test.ts and docs/rules/<id>.md, and adds the rule's
 * import and registry line to src/sql/rules/index.ts. The rule reports nothing until its listener
 * is written; its test and the doc check (test/sql/rules/docs.test.ts) fail until then.
 */

const USAGE = `usage: npm run new-rule -- <id> [--on <listener>] [--root <folder>]

  <id>               the rule's id, kebab-case (e.g. drop-trigger)
  --on <listener>    the node it listens to: a statement kind (IndexStmt, DropStmt, ...) or an
                     ALTER TABLE part (AlterTableCmd:AT_SetNotNull); default IndexStmt
  --root <folder>    the project (default: the folder above scripts/)
`;

function fail(message: string): never {
  process.stderr.write(`new-rule: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): { id: string; on: string; root: string } {
  let id: string | undefined;
  let on = "IndexStmt";
  let root = path.resolve(__dirname, "..");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg === "--on" || arg === "--root") {
      const value = argv[++i];
      if (value === undefined) fail(`${arg} needs a value (see --help)`);
      if (arg === "--on") on = value;
      else root = path.resolve(value);
    } else if (arg.startsWith("-")) {
      fail(`unknown option ${arg} (see --help)`);
    } else if (id === undefined) {
      id = arg;
    } else {
      fail(`one rule id only, got ${id} and ${arg}`);
    }
  }
  if (id === undefined) fail(`a rule id is needed\n${USAGE}`);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(id)) fail(`"${id}" is not a kebab-case id (lower-case words joined by "-", e.g. drop-trigger)`);
  if (!/^([A-Z][A-Za-z]*Stmt|AlterTableCmd:AT_[A-Za-z]+)$/.test(on)) fail(`--on ${on}: expected a statement kind such as IndexStmt, or AlterTableCmd:AT_<subtype>`);
  return { id, on, root };
}

function camel(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function ruleSource(id: string, name: string, on: string): string {
  const command = on.startsWith("AlterTableCmd:");
  const listener = command
    ? `    "${on}"(cmd, context) {
      // cmd is the ALTER TABLE part; context.table the table it alters (one that existed before this migration).
      void cmd;
      void context;
    },`
    : `    ${on}(node, context) {
      // node is the statement's parser node; report problems with context.report({ message, table, at }).
      void node;
      void context;
    },`;
  return `import type { Rule } from "./rule";

/** TODO: what ${id} catches, in one line. */
export const ${name}: Rule = {
  id: "${id}",
  severity: "medium",
  summary: "TODO: what it catches, in one line.",
  why: "TODO: why it hurts.",
  instead: "TODO: the safe alternative.",
  on: {
${listener}
  },
};
`;
}

function testSource(id: string): string {
  return `import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("${id}", () => {
  it("reports TODO", async () => {
    expect(describeFindings(await findingsOf("${id}", "TODO: SQL it reports;"))).toEqual(["1:1 medium TODO: the message"]);
  });

  it("does not report TODO", async () => {
    expect(await findingsOf("${id}", "TODO: SQL it does not report;")).toEqual([]);
  });
});
`;
}

function docSource(id: string): string {
  return `# ${id}

Default severity: **medium**.

TODO: what it catches, in one line (the rule's summary).

## Why it hurts

TODO: the rule's why.

## Instead

TODO: the rule's instead.

## Example

\`\`\`sql
-- reported
TODO: SQL it reports;
\`\`\`

\`\`\`sql
-- not reported: TODO why
TODO: SQL it does not report;
\`\`\`

## When it is fine

Acknowledge the statement in the migration, with the reason a reviewer should read:

\`\`\`sql
-- dbpipe:allow ${id} <why it is safe here>
\`\`\`

or change the rule's severity for a stack in \`Pulumi.<stack>.yaml\` (\`off\` turns it off):

\`\`\`yaml
config:
  dbpipe:ruleSeverity:
    ${id}: low
\`\`\`
`;
}

/** Adds the import (in order) and the registry line (before the last group) to the rule index. */
function register(indexFile: string, id: string, name: string): void {
  const text = fs.readFileSync(indexFile, "utf8");
  const lines = text.split("\n");
  const importLine = `import { ${name} } from "./${id}";`;
  const imports = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^import \{ \w+ \} from "\.\/[a-z0-9-]+";$/.test(l));
  const after = imports.filter(({ l }) => (/"\.\/([a-z0-9-]+)"/.exec(l)?.[1] ?? "") < id).pop();
  lines.splice(after ? after.i + 1 : imports[0]?.i ?? 0, 0, importLine);
  const lastGroup = lines.findIndex((l) => l.startsWith("  // What dbpipe cannot check"));
  const close = lines.findIndex((l) => l === "];");
  if (close === -1) fail(`${indexFile}: no RULES list found`);
  lines.splice(lastGroup !== -1 ? lastGroup : close, 0, `  ${name},`);
  fs.writeFileSync(indexFile, lines.join("\n"));
  // The leaf table of ids and default severities the stack settings check dbpipe:ruleSeverity against
  // (the scaffold's severity: a change of the rule's severity changes its line too).
  const idsFile = path.join(path.dirname(indexFile), "ids.ts");
  if (fs.existsSync(idsFile)) {
    const ids = fs.readFileSync(idsFile, "utf8");
    const end = ids.indexOf("\n};", ids.indexOf("export const RULE_SEVERITY"));
    if (end === -1) fail(`${idsFile}: no RULE_SEVERITY table found`);
    fs.writeFileSync(idsFile, `${ids.slice(0, end)}\n  "${id}": "medium",${ids.slice(end)}`);
  }
}

function main(): void {
  const { id, on, root } = parseArgs(process.argv.slice(2));
  const name = camel(id);
  const files = {
    rule: path.join(root, "src/sql/rules", `${id}.ts`),
    test: path.join(root, "test/sql/rules", `${id}.test.ts`),
    doc: path.join(root, "docs/rules", `${id}.md`),
  };
  const index = path.join(root, "src/sql/rules/index.ts");
  if (!fs.existsSync(index)) fail(`${index} not found: --root must be the project folder`);
  for (const file of Object.values(files)) if (fs.existsSync(file)) fail(`${path.relative(root, file)} already exists: rule ${id} is taken`);
  if (new RegExp(`\\b${name}\\b`).test(fs.readFileSync(index, "utf8"))) fail(`src/sql/rules/index.ts already names ${name}`);
  fs.writeFileSync(files.rule, ruleSource(id, name, on));
  fs.writeFileSync(files.test, testSource(id));
  fs.writeFileSync(files.doc, docSource(id));
  register(index, id, name);
  for (const file of [...Object.values(files), index]) process.stdout.write(`${fs.existsSync(file) ? "wrote" : "?"} ${path.relative(root, file)}\n`);
  process.stdout.write("Next: write the listener, fill in the TODOs, move the registry line to its group in src/sql/rules/index.ts.\n");
}

main();
