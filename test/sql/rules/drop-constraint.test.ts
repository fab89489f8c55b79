import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("drop-constraint", () => {
  it("reports dropping a constraint of an existing table", async () => {
    expect(describeFindings(await findingsOf("drop-constraint", "ALTER TABLE orders DROP CONSTRAINT orders_customer_fk;"))).toMatchInlineSnapshot(`
      [
        "1:1 low DROP CONSTRAINT orders_customer_fk on orders: what it guaranteed is no longer enforced.",
      ]
    `);
  });

  it("does not report a table created earlier in the same migration", async () => {
    expect(await findingsOf("drop-constraint", "CREATE TABLE t (id int CONSTRAINT t_pos CHECK (id > 0));\nALTER TABLE t DROP CONSTRAINT t_pos;")).toEqual([]);
  });
});
