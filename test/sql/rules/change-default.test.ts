import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

const CREATE = "CREATE TABLE customers (id bigint, plan text NOT NULL DEFAULT 'free', country text);";

describe("change-default", () => {
  it("reports replacing or dropping a default the column has", async () => {
    const findings = await findingsOf("change-default", [CREATE, "ALTER TABLE customers ALTER COLUMN plan SET DEFAULT 'trial';\nALTER TABLE customers ALTER COLUMN plan DROP DEFAULT;"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:1 medium SET DEFAULT on customers.plan replaces its default: inserts that leave the column out get the new value.",
        "2:1 medium DROP DEFAULT on customers.plan: inserts that leave the column out will fail (the column is NOT NULL).",
      ]
    `);
  });

  it("does not report adding a default to a column that has none", async () => {
    expect(await findingsOf("change-default", [CREATE, "ALTER TABLE customers ALTER COLUMN country SET DEFAULT 'NL';"])).toEqual([]);
  });

  it("reports SET DEFAULT on a column it has not seen, saying it cannot tell", async () => {
    expect(describeFindings(await findingsOf("change-default", "ALTER TABLE accounts ALTER COLUMN currency SET DEFAULT 'EUR';"))).toMatchInlineSnapshot(`
      [
        "1:1 medium SET DEFAULT on accounts.currency may replace an existing default (dbpipe has not seen the column in the migrations): inserts that leave the column out get the new value.",
      ]
    `);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("change-default", `${CREATE}\nALTER TABLE customers ALTER COLUMN plan DROP DEFAULT;`)).toEqual([]);
  });
});
