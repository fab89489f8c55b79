import { describe, expect, it } from "vitest";
import { SettingsError, parseStackSettings } from "../../src/settings/stack-settings";
import { engineConfig } from "../infra/helpers/engine-config";
import { loadProgram } from "../infra/helpers/run-with-mocks";

/**
 * A value set with `pulumi config set --secret` is one its owner wants kept out of logs. When it does
 * not fit its key, the problem says what is wrong with it and where, never what it is: `pulumi up`
 * (which decrypts it) prints the program's error in the update's log.
 */

function problemsOf(values: Record<string, string>, secret: string[]): string {
  try {
    parseStackSettings({ stack: "dev", source: "Pulumi config", values, secretKeys: new Set(secret) });
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error("expected invalid settings");
}

describe("a secret value that does not fit its key", () => {
  it.each([
    ["dbpipe:instanceClass", "DB.Sekrit.huge", "dbpipe:instanceClass: must be an RDS instance class such as db.t4g.micro, got a secret value (not shown)"],
    ["dbpipe:instanceClass", "db.sekrit9.huge", "dbpipe:instanceClass: a secret value (not shown) is not an instance class dbpipe knows the memory of"],
    ["dbpipe:lockTimeout", "forever-and-a-day", "dbpipe:lockTimeout: must be a duration"],
    ["dbpipe:allowedCidrs", '["10.1.2.3/33x"]', "dbpipe:allowedCidrs: [0] must be a CIDR block such as 10.0.0.0/16, got a secret value (not shown)"],
    ["dbpipe:databaseName", "Sekrit-Name", "dbpipe:databaseName: must be a lower-case PostgreSQL identifier (letters, digits, _; at most 50 characters), got a secret value (not shown)"],
  ])("%s = %s: says what is wrong, not what the value is", (key, value, expected) => {
    const secret = problemsOf({ [key]: value }, [key]);
    expect(secret).toContain(expected);
    expect(secret).not.toMatch(/ekrit|forever|33x/);
    // The same value in plain text is shown: it helps, and nobody asked to hide it.
    expect(problemsOf({ [key]: value }, [])).toContain(value.replace(/^\["|"\]$/g, "").slice(0, 10));
  });

  it("is not shown by pulumi up either, which hands the program the decrypted value", async () => {
    const { error, recorder } = await loadProgram("dev", engineConfig("dev", { secrets: { "dbpipe:databaseName": "Sekrit-Orders" } }));
    expect(error?.message).toContain("dbpipe:databaseName: must be a lower-case PostgreSQL identifier");
    expect(error?.message).toContain("got a secret value (not shown)");
    expect(error?.message).not.toContain("Sekrit");
    expect(recorder.registrations).toEqual([]);
  });
});
