"use strict";
// The lint benchmark's floor: a new process that loads PostgreSQL's parser (libpg-query) and
// parses every migration file in the folder given, nothing else — no rules, no positions, no report.
const fs = require("node:fs");
const path = require("node:path");
const { loadModule, parseSync } = require("libpg-query");

async function main() {
  const dir = process.argv[2];
  await loadModule();
  let statements = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith(".sql")) continue;
    statements += (parseSync(fs.readFileSync(path.join(dir, name), "utf8")).stmts ?? []).length;
  }
  process.stdout.write(`${statements} statements\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.message ? error.message : error}\n`);
  process.exit(3);
});
