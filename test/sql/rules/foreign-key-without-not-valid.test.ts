import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("foreign-key-without-not-valid", () => {
  it("reports a foreign key added without NOT VALID, and a new column with REFERENCES", async () => {
    const sql = [
      "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);",
      "ALTER TABLE orders ADD COLUMN product_id bigint REFERENCES products (id);",
    ].join("\n");
    expect(describeFindings(await findingsOf("foreign-key-without-not-valid", sql))).toMatchInlineSnapshot(`
      [
        "1:24 medium ADD CONSTRAINT orders_customer_fk FOREIGN KEY on orders referencing customers checks every existing row while blocking writes to both tables.",
        "2:49 medium ADD COLUMN product_id ... REFERENCES products on orders validates the new foreign key by scanning the table while blocking writes to both tables.",
      ]
    `);
  });

  it("does not report NOT VALID followed by VALIDATE CONSTRAINT", async () => {
    const sql = "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;";
    expect(await findingsOf("foreign-key-without-not-valid", sql)).toEqual([]);
  });

  it("does not report foreign keys of a table created earlier in the same migration", async () => {
    const sql = "CREATE TABLE payments (id bigint, order_id bigint);\nALTER TABLE payments ADD CONSTRAINT payments_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);";
    expect(await findingsOf("foreign-key-without-not-valid", sql)).toEqual([]);
  });
});
