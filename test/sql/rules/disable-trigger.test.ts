import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("disable-trigger", () => {
  it("reports disabling one trigger or all of them", async () => {
    const sql = "ALTER TABLE orders DISABLE TRIGGER orders_audit;\nALTER TABLE orders DISABLE TRIGGER ALL;";
    expect(describeFindings(await findingsOf("disable-trigger", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DISABLE TRIGGER on orders turns off trigger orders_audit for every session.",
        "2:1 medium DISABLE TRIGGER on orders turns off ALL triggers (including foreign-key checks) for every session.",
      ]
    `);
  });

  it("does not report enabling a trigger", async () => {
    expect(await findingsOf("disable-trigger", "ALTER TABLE orders ENABLE TRIGGER orders_audit;")).toEqual([]);
  });
});
