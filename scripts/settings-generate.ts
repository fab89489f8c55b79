import * as fs from "node:fs";
import * as path from "node:path";
import { withKeyTable, withProjectConfigSection } from "../src/settings/project-config";
import { stacksIn } from "../src/settings/stack-file";
import { refreshStackFile } from "../src/settings/stack-file-text";

/**
 * `npm run settings:generate`: rewrites what is derived from the settings key table
 * (src/settings/keys.ts) — Pulumi.yaml's `config:` section, the key table in docs/settings.md, and
 * the comments (and commented lines) of every stack file's config section, whose values it keeps as
 * they are — and says which files changed. test/settings/project-config.test.ts fails until this
 * has run.
 */

const root = path.resolve(__dirname, "..");
const report = (file: string, before: string, after: string) => {
  if (after === before) {
    process.stdout.write(`${file}: up to date\n`);
  } else {
    fs.writeFileSync(path.join(root, file), after);
    process.stdout.write(`${file}: rewritten\n`);
  }
};
const targets: [string, (text: string) => string][] = [
  ["Pulumi.yaml", withProjectConfigSection],
  ["docs/settings.md", withKeyTable],
];
for (const [file, generate] of targets) {
  const before = fs.readFileSync(path.join(root, file), "utf8");
  report(file, before, generate(before));
}
let failed = false;
for (const stack of stacksIn(root)) {
  try {
    const { file, before, after } = refreshStackFile(root, stack);
    report(path.basename(file), before, after);
  } catch (error) {
    // A stack file that does not validate is left as it is; its problems say what to fix first.
    process.stderr.write(`Pulumi.${stack}.yaml: not rewritten: ${(error as Error).message}\n`);
    failed = true;
  }
}
if (failed) process.exitCode = 2;
