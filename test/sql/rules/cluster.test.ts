import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("cluster", () => {
  it("reports CLUSTER of an existing table", async () => {
    expect(describeFindings(await findingsOf("cluster", "CLUSTER orders USING orders_created_at;"))).toMatchInlineSnapshot(`
      [
        "1:9 high CLUSTER orders rewrites the table under an ACCESS EXCLUSIVE lock that blocks reads and writes until it ends.",
      ]
    `);
  });

  it("does not report CLUSTER of a table created earlier in the same migration", async () => {
    expect(await findingsOf("cluster", "CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nCLUSTER t USING t_id;")).toEqual([]);
  });
});
