"use strict";
// The floor in a process of its own: one `pg` Client; per file, `BEGIN;\n<file>\n;\nCOMMIT;` as one
// simple-protocol query (ROLLBACK on error). The process-level counterpart of `node bin/dbpipe.js
// up`: both pay Node's start-up, loading `pg` and reading the files. Prints "applied <n>".
//
// usage: node bench/migrate/floor-process.js <migrations folder> <database url>
const fs = require("node:fs");
const path = require("node:path");
const { Client } = require("pg");

async function main() {
  const [dir, url] = process.argv.slice(2);
  if (!dir || !url) throw new Error("usage: floor-process.js <migrations folder> <database url>");
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const client = new Client({ connectionString: url });
  await client.connect();
  let applied = 0;
  try {
    for (const file of files) {
      const sql = fs.readFileSync(path.join(dir, file), "utf8");
      try {
        await client.query(`BEGIN;\n${sql}\n;\nCOMMIT;`);
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new Error(`${file}: ${error.message}`);
      }
      applied++;
    }
    process.stdout.write(`applied ${applied}\n`);
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
