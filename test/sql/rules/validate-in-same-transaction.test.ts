import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("validate-in-same-transaction", () => {
  it("reports VALIDATE CONSTRAINT after its ADD ... NOT VALID in the same migration, naming the lock still held", async () => {
    const sql = [
      "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;",
      "ALTER TABLE orders ADD CHECK (total > 0) NOT VALID;",
      "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;",
      "ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;",
    ].join("\n");
    expect(describeFindings(await findingsOf("validate-in-same-transaction", sql))).toMatchInlineSnapshot(`
      [
        "3:1 medium VALIDATE CONSTRAINT orders_customer_fk on orders runs in the same transaction as its ADD CONSTRAINT ... NOT VALID (line 1): the SHARE ROW EXCLUSIVE locks it took on both tables (blocking writes) are still held while VALIDATE scans every row.",
        "4:1 medium VALIDATE CONSTRAINT orders_total_check on orders runs in the same transaction as its ADD CONSTRAINT ... NOT VALID (line 2): the ACCESS EXCLUSIVE lock it took (blocking reads and writes) is still held while VALIDATE scans every row.",
      ]
    `);
  });

  it("reports both in one ALTER TABLE, and an unnamed foreign key by the name PostgreSQL gives it", async () => {
    const sql = "ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID, VALIDATE CONSTRAINT c;\nALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;";
    const findings = await findingsOf("validate-in-same-transaction", sql);
    expect(findings.map((f) => [f.line, f.message.match(/\(([^)]*)\)/)?.[1]])).toEqual([
      [1, "in this statement"],
      [3, "line 2"],
    ]);
    expect(findings[0].hint).toBe("Move VALIDATE CONSTRAINT c to a later migration; there it scans without blocking reads or writes.");
  });

  it("does not report VALIDATE in a later migration, or in a no-transaction migration", async () => {
    const add = "ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID;";
    const validate = "ALTER TABLE orders VALIDATE CONSTRAINT c;";
    expect(await findingsOf("validate-in-same-transaction", [add, validate])).toEqual([]);
    expect(await findingsOf("validate-in-same-transaction", `${add}\n${validate}`, { noTransaction: true })).toEqual([]);
  });

  it("reports them inside one explicit BEGIN of a no-transaction migration, not across a COMMIT", async () => {
    const inside = "BEGIN;\nALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nCOMMIT;";
    expect((await findingsOf("validate-in-same-transaction", inside, { noTransaction: true })).map((f) => f.line)).toEqual([3]);
    const across = "BEGIN;\nALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID;\nCOMMIT;\nBEGIN;\nALTER TABLE orders VALIDATE CONSTRAINT c;\nCOMMIT;";
    expect(await findingsOf("validate-in-same-transaction", across, { noTransaction: true })).toEqual([]);
  });

  it("does not report another constraint, another table, or a table created in the same migration", async () => {
    const sql = [
      "ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID;",
      "ALTER TABLE orders VALIDATE CONSTRAINT d;",
      "ALTER TABLE invoices VALIDATE CONSTRAINT c;",
      "CREATE TABLE lines (qty int);",
      "ALTER TABLE lines ADD CONSTRAINT q CHECK (qty > 0) NOT VALID;",
      "ALTER TABLE lines VALIDATE CONSTRAINT q;",
    ].join("\n");
    expect(await findingsOf("validate-in-same-transaction", sql)).toEqual([]);
  });
});
