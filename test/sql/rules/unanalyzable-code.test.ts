import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("unanalyzable-code", () => {
  it("reports DO blocks, CALL and EXECUTE, whatever they contain", async () => {
    const sql = ["DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$;", "CALL archive_old_orders(30);", "PREPARE purge AS DELETE FROM users;", "EXECUTE purge;"].join("\n");
    expect(describeFindings(await findingsOf("unanalyzable-code", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DO block: dbpipe cannot check what the code inside it does (schema changes, data changes, locks), so nothing it does is reported.",
        "2:1 medium CALL archive_old_orders(): dbpipe cannot check what the procedure does (schema changes, data changes, locks), so nothing it does is reported.",
        "4:1 medium EXECUTE purge: dbpipe does not follow prepared statements, so what it runs is not checked.",
      ]
    `);
  });

  it("hints at plain statements or an acknowledgement", async () => {
    const [finding] = await findingsOf("unanalyzable-code", "DO $$ BEGIN NULL; END $$;");
    expect(finding.hint).toContain("-- dbpipe:allow unanalyzable-code <reason>");
  });

  it("raises the migration's risk unless acknowledged", async () => {
    expect((await findingsOf("unanalyzable-code", "-- dbpipe:allow unanalyzable-code only raises a notice\nDO $$ BEGIN RAISE NOTICE 'hi'; END $$;"))[0].acknowledged).toBe(true);
  });

  it("does not report functions being created, only code being run", async () => {
    expect(await findingsOf("unanalyzable-code", "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; END $$;")).toEqual([]);
  });
});
