import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { lintMigrations } from "../../../src/sql/lint";
import { RULES } from "../../../src/sql/rules";
import { migration } from "../../helpers/migrations";

/**
 * Every rule has its doc (docs/rules/<id>.md) and its tests (test/sql/rules/<id>.test.ts), and the
 * doc's examples do what the doc says: the "reported" SQL is reported, the "not reported" SQL is
 * not. Docs cannot drift from the rules without this failing.
 */

const root = path.resolve(__dirname, "../../..");
const docsDir = path.join(root, "docs/rules");

/** Splits an example into migrations at `-- in a later migration:` lines. */
function migrationsOf(sql: string) {
  return sql.split(/^-- in a later migration:$/m).map((text, i) =>
    migration(text, { version: String(i + 1).padStart(4, "0"), noTransaction: /^-- dbpipe:no-transaction$/m.test(text) }),
  );
}

async function findingsOf(rule: string, sql: string) {
  return (await lintMigrations(migrationsOf(sql))).flatMap((m) => m.findings).filter((f) => f.rule === rule);
}

describe("rule docs", () => {
  it("exist for every rule, and only for rules", () => {
    const docs = fs.readdirSync(docsDir).filter((f) => f.endsWith(".md")).map((f) => f.slice(0, -3)).sort();
    expect(docs).toEqual(RULES.map((r) => r.id).sort());
  });

  it("have tests beside the test tree for every rule", () => {
    for (const rule of RULES) expect(fs.existsSync(path.join(__dirname, `${rule.id}.test.ts`)), rule.id).toBe(true);
  });

  for (const rule of RULES) {
    it(`${rule.id}: states the rule's severity and examples that behave as described`, async () => {
      const doc = fs.readFileSync(path.join(docsDir, `${rule.id}.md`), "utf8");
      expect(doc.startsWith(`# ${rule.id}\n`)).toBe(true);
      expect(doc).toContain(`Default severity: **${rule.severity}**.`);
      const examples = [...doc.matchAll(/```sql\n(-- (not reported|reported)[^\n]*)\n([\s\S]*?)```/g)];
      const reported = examples.filter((m) => m[2] === "reported").map((m) => m[3]);
      const clean = examples.filter((m) => m[2] === "not reported").map((m) => m[3]);
      expect(reported.length, "a reported example").toBeGreaterThan(0);
      expect(clean.length, "a not-reported example").toBeGreaterThan(0);
      for (const sql of reported) expect(await findingsOf(rule.id, sql), sql).not.toEqual([]);
      for (const sql of clean) expect(await findingsOf(rule.id, sql), sql).toEqual([]);
    });
  }
});

describe("rule metadata", () => {
  it("has unique kebab-case ids and says what, why and instead for each rule", () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      for (const text of [rule.summary, rule.why, rule.instead]) expect(text.length, rule.id).toBeGreaterThan(10);
    }
    expect(RULES.length).toBeGreaterThanOrEqual(30);
  });
});
