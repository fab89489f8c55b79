import { describe, expect, it } from "vitest";
import { describeFindings, findingsOf } from "../../helpers/migrations";

describe("disable-trigger", () => {
  it("reports disabling one trigger or all of them, and that a non-superuser cannot disable the foreign-key ones", async () => {
    const sql = "ALTER TABLE orders DISABLE TRIGGER orders_audit;\nALTER TABLE orders DISABLE TRIGGER ALL;";
    expect(describeFindings(await findingsOf("disable-trigger", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium DISABLE TRIGGER on orders turns off trigger orders_audit for every session.",
        "2:1 medium DISABLE TRIGGER on orders turns off ALL triggers (including foreign-key checks) for every session. Unless the migration runs as a superuser, PostgreSQL refuses it: the foreign-key checks are system triggers.",
      ]
    `);
  });

  it("reports ENABLE REPLICA and ENABLE ALWAYS TRIGGER, which change where a trigger fires", async () => {
    const sql = "ALTER TABLE orders ENABLE REPLICA TRIGGER orders_audit;\nALTER TABLE orders ENABLE ALWAYS TRIGGER orders_totals;";
    expect(describeFindings(await findingsOf("disable-trigger", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium ENABLE REPLICA TRIGGER orders_audit on orders: the trigger stops firing for ordinary sessions — it fires only where session_replication_role is replica.",
        "2:1 medium ENABLE ALWAYS TRIGGER orders_totals on orders: the trigger now fires where session_replication_role is replica too — for the rows logical replication applies on a subscriber, and in loads that set replica to skip it.",
      ]
    `);
  });

  it("reports session_replication_role set to replica, however it is set", async () => {
    const sql = [
      "SET session_replication_role = replica;",
      "SET LOCAL session_replication_role TO 'REPLICA';",
      "SELECT set_config('session_replication_role', 'replica', true);",
      "SELECT set_config('session_replication_role', current_setting('app.role'), false);",
      "ALTER DATABASE app SET session_replication_role = replica;",
      "ALTER ROLE etl IN DATABASE app SET session_replication_role = replica;",
    ].join("\n");
    expect(describeFindings(await findingsOf("disable-trigger", sql))).toMatchInlineSnapshot(`
      [
        "1:1 medium SET session_replication_role = replica turns off every ordinary trigger and every foreign-key check for the rest of the migration (the runner's RESET ALL ends it): rows written meanwhile are never checked. Only a superuser may set it (or a role a superuser granted SET on it): as a non-superuser, such as the stack's migrator, the migration fails with permission denied.",
        "2:1 medium SET LOCAL session_replication_role = replica turns off every ordinary trigger and every foreign-key check for the rest of the migration's transaction: rows written meanwhile are never checked. Only a superuser may set it (or a role a superuser granted SET on it): as a non-superuser, such as the stack's migrator, the migration fails with permission denied.",
        "3:8 medium set_config() sets session_replication_role to replica, which turns off every ordinary trigger and every foreign-key check for the rest of the migration: rows written meanwhile are never checked. Only a superuser may set it (or a role a superuser granted SET on it): as a non-superuser, such as the stack's migrator, the migration fails with permission denied.",
        "4:8 medium set_config() may set session_replication_role to replica (its value is not a constant), which turns off every ordinary trigger and every foreign-key check for the rest of the migration: rows written meanwhile are never checked. Only a superuser may set it (or a role a superuser granted SET on it): as a non-superuser, such as the stack's migrator, the migration fails with permission denied.",
        "5:1 medium SET session_replication_role = replica as the default of every new session of database app turns off every ordinary trigger and every foreign-key check there, until someone resets it: rows written meanwhile are never checked. Only a superuser may set it (or a role a superuser granted SET on it): as a non-superuser, such as the stack's migrator, the migration fails with permission denied.",
        "6:1 medium SET session_replication_role = replica as the default of every new session of role etl in database app turns off every ordinary trigger and every foreign-key check there, until someone resets it: rows written meanwhile are never checked. Only a superuser may set it (or a role a superuser granted SET on it): as a non-superuser, such as the stack's migrator, the migration fails with permission denied.",
      ]
    `);
  });

  it("does not report enabling a trigger, nor session_replication_role set back", async () => {
    expect(await findingsOf("disable-trigger", "ALTER TABLE orders ENABLE TRIGGER orders_audit;\nALTER TABLE orders ENABLE TRIGGER ALL;")).toEqual([]);
    const sql = [
      "SET session_replication_role = origin;",
      "SET session_replication_role TO DEFAULT;",
      "RESET session_replication_role;",
      "SELECT set_config('session_replication_role', 'origin', true);",
      "SELECT set_config('search_path', 'app', true);",
    ].join("\n");
    expect(await findingsOf("disable-trigger", sql)).toEqual([]);
  });

  it("does not report triggers of a table created in the same migration", async () => {
    const sql = "CREATE TABLE notes (body text);\nALTER TABLE notes DISABLE TRIGGER ALL;\nALTER TABLE notes ENABLE REPLICA TRIGGER notes_sync;";
    expect(await findingsOf("disable-trigger", sql)).toEqual([]);
  });
});
