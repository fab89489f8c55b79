import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stackFileText } from "../../src/settings/env-new";
import { keyDescription, keyEntry } from "../../src/settings/keys";
import { readStackFile } from "../../src/settings/stack-file";
import { refreshStackFile, refreshedStackFileText } from "../../src/settings/stack-file-text";
import { PROJECT_DIR } from "../infra/helpers/engine-config";

/**
 * Laying out a stack file's config section afresh (`npm run settings:generate`): comments come from
 * the key table, every value stays as its owner wrote it, and `dbpipe env new` writes files that are
 * already laid out that way.
 */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-stack-text-"));
  fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stack file as a person might leave it: keys out of order, stale and hand-written comments, odd quoting, a secret, a block list. */
const HAND_EDITED = [
  "# staging: the pre-prod copy.",
  "encryptionsalt: v1:abc=",
  "config:",
  "  # an old description of the instance class",
  "  dbpipe:instanceClass: 'db.t4g.large'",
  "  dbpipe:lockTimeout: \"7s\"   # pinned during the 2026-10 incident",
  "  aws:region: eu-west-1",
  "  tier: test",
  "",
  "  # who approved what",
  "  dbpipe:approvals:",
  "    - version: \"0005\"",
  "      # the checksum of 0005 as reviewed",
  "      checksum: b98c8616657ffcac91168c98ae8db127199555117fe57c0f720333ac1285d46a",
  "",
  "      reason: >-",
  "        folded reason",
  "        on two lines",
  "  dbpipe:extensions: [pgcrypto,   vector]",
  "  dbpipe:networkPath: tunnel",
  "  # dbpipe:statementTimeout: 1h",
  "  aws:profile: platform",
  "  datadog:apiKey:",
  "    secure: v1:c2VjcmV0",
  "",
].join("\n");

describe("refreshing a stack file's comments", () => {
  it("keeps every value as written, the text before config:, and regenerates the comments", () => {
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), HAND_EDITED);
    const before = readStackFile(dir, "staging")!;
    const { after } = refreshStackFile(dir, "staging");
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), after);
    const refreshed = readStackFile(dir, "staging")!;
    expect(refreshed.values).toEqual(before.values);
    expect([...refreshed.secretKeys]).toEqual([...before.secretKeys]);

    const lines = after.split("\n");
    expect(lines.slice(0, 3)).toEqual(["# staging: the pre-prod copy.", "encryptionsalt: v1:abc=", "config:"]);
    // Each set item's own lines, verbatim, under its description from the key table.
    for (const item of ["  dbpipe:instanceClass: 'db.t4g.large'", '  dbpipe:lockTimeout: "7s"   # pinned during the 2026-10 incident', "  dbpipe:extensions: [pgcrypto,   vector]"]) {
      expect(lines).toContain(item);
    }
    const approvals = lines.indexOf("  dbpipe:approvals:");
    expect(lines.slice(approvals, approvals + 8)).toEqual(HAND_EDITED.split("\n").slice(10, 18));
    expect(after).toContain("  datadog:apiKey:\n    secure: v1:c2VjcmV0\n");
    expect(after).toContain("  aws:profile: platform\n");
    const instanceClass = lines.indexOf("  dbpipe:instanceClass: 'db.t4g.large'");
    expect(lines[instanceClass - 1]).toBe(`  # ${keyDescription(keyEntry("instanceClass"))}`);
    // Hand-written comments at the items' level are the key table's now; a commented key shows today's value.
    expect(after).not.toContain("an old description");
    expect(after).not.toContain("who approved what");
    expect(after).not.toContain("# dbpipe:statementTimeout: 1h");
    expect(lines).toContain("  # dbpipe:statementTimeout: 30min");
    // Refreshing again changes nothing.
    expect(refreshedStackFileText(after, "test", "rds")).toBe(after);
  });

  it("rewrites a comment that no longer says what the key table says", () => {
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");
    const description = `  # ${keyDescription(keyEntry("instanceClass"))}`;
    expect(text).toContain(`${description}\n  dbpipe:instanceClass:`);
    const stale = text.replace(description, "  # rds: RDS instance class (db.t3 only).");
    expect(refreshedStackFileText(stale, "dev", "rds")).toBe(text);
  });

  it("shows each commented policy line with the tier's value of today", () => {
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
    expect(text).toContain("\n  # dbpipe:lockTimeout: 5s\n");
    expect(refreshedStackFileText(text.replace("# dbpipe:lockTimeout: 5s", "# dbpipe:lockTimeout: 1min"), "prod", "rds")).toBe(text);
  });
});

describe("dbpipe env new's stack file", () => {
  it.each([
    ["dev", "rds", "tunnel"],
    ["test", "rds", "vpc"],
    ["prod", "rds", undefined],
    ["test", "external", undefined],
  ] as const)("is already laid out as settings:generate lays it out (tier %s, %s %s)", (tier, server, networkPath) => {
    const text = stackFileText("staging", tier, "eu-west-1", { server, networkPath });
    expect(refreshedStackFileText(text, tier, server)).toBe(text);
    // Nothing of the other server mode: an external stack has no instance to size.
    expect(text.includes("dbpipe:instanceClass")).toBe(server === "rds");
    expect(text.includes("dbpipe:networkPath")).toBe(server === "rds");
  });
});
