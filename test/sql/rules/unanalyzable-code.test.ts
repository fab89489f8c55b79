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

  it("reports a SELECT that runs a function a migration created, in this file or an earlier one; not built-ins nor functions it never saw created", async () => {
    const create = "CREATE FUNCTION cleanup_legacy() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DROP TABLE customers; END $$;";
    const expected = ["1:1 medium SELECT cleanup_legacy(): runs cleanup_legacy, a function a migration created: dbpipe cannot check what its code does (schema changes, data changes, locks), so nothing it does is reported."];
    expect(describeFindings(await findingsOf("unanalyzable-code", [create, "SELECT cleanup_legacy();"]))).toEqual(expected);
    expect(describeFindings(await findingsOf("unanalyzable-code", [create, "SELECT public.cleanup_legacy() FROM generate_series(1, 2);"]))).toHaveLength(1);
    expect(describeFindings(await findingsOf("unanalyzable-code", `${create}\nSELECT cleanup_legacy();`))).toEqual([expected[0].replace(/^1:1/, "2:1")]);
    expect(await findingsOf("unanalyzable-code", "SELECT setval('orders_id_seq', 42);\nSELECT pg_catalog.set_config('search_path', '', false);\nSELECT create_hypertable('events', 'at');")).toEqual([]);
    // A function of the same name in another schema is another function.
    expect(await findingsOf("unanalyzable-code", [create, "SELECT ops.cleanup_legacy();"])).toEqual([]);
  });
});

