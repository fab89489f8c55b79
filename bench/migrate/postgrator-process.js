"use strict";
// postgrator in a process of its own, as postgrator-cli runs it: the process-level counterpart of
// `node bin/dbpipe.js up`, so that the two CLIs' costs compare like for like (postgrator-cli itself
// is not a dependency of this project). Prints "applied <n>".
//
// usage: node bench/migrate/postgrator-process.js <migrations folder> <database url> <database name>
const path = require("node:path");
const { Client } = require("pg");

async function main() {
  const [dir, url, database] = process.argv.slice(2);
  if (!dir || !url || !database) throw new Error("usage: postgrator-process.js <migrations folder> <database url> <database name>");
  const { default: Postgrator } = await import("postgrator");
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const postgrator = new Postgrator({
      migrationPattern: path.join(dir, "*"),
      driver: "pg",
      database,
      schemaTable: "schemaversion",
      execQuery: (query) => client.query(query),
    });
    const applied = await postgrator.migrate();
    process.stdout.write(`applied ${applied.length}\n`);
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});
