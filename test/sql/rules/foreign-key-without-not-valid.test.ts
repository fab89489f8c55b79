import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

/** A partitioned table, its DEFAULT partition and a partitioned index, in an earlier migration. */const EVENTS = "CREATE TABLE events (id int, at date, user_id int) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_at ON events (at);";

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

  it("on a partitioned table, hints adding the key partition by partition instead of NOT VALID", async () => {
    const findings = await findingsOf("foreign-key-without-not-valid", [EVENTS, "ALTER TABLE events ADD CONSTRAINT events_user_fk FOREIGN KEY (user_id) REFERENCES users;\nALTER TABLE events ADD COLUMN team_id int REFERENCES teams;"]);
    expect(describeFindings(findings)).toMatchInlineSnapshot(`
      [
        "1:24 medium ADD CONSTRAINT events_user_fk FOREIGN KEY on events referencing users checks every existing row of every partition while blocking writes to both tables.",
        "2:43 medium ADD COLUMN team_id ... REFERENCES teams on events validates the new foreign key by scanning the table while blocking writes to both tables.",
      ]
    `);
    expect(findings[0].hint).toMatch(/^Add it partition by partition: .* NOT VALID on each partition/);
    expect(findings[1].hint).toMatch(/^Add the column without REFERENCES, then the foreign key partition by partition/);
  });
});
