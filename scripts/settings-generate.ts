import * as fs from "node:fs";
import * as path from "node:path";
import { withKeyTable, withProjectConfigSection } from "../src/settings/project-config";

/**
 * `npm run settings:generate`: rewrites what is derived from the settings key table
 * (src/settings/keys.ts) — Pulumi.yaml's `config:` section and the key table in docs/settings.md —
 * and says which files changed. test/settings/project-config.test.ts fails until this has run.
 */

const root = path.resolve(__dirname, "..");
const targets: [string, (text: string) => string][] = [
  ["Pulumi.yaml", withProjectConfigSection],
  ["docs/settings.md", withKeyTable],
];
for (const [file, generate] of targets) {
  const full = path.join(root, file);
  const before = fs.readFileSync(full, "utf8");
  const after = generate(before);
  if (after === before) {
    process.stdout.write(`${file}: up to date\n`);
  } else {
    fs.writeFileSync(full, after);
    process.stdout.write(`${file}: rewritten\n`);
  }
}
