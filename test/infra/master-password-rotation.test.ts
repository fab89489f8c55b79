import { beforeAll, describe, expect, it } from "vitest";
import { engineConfig } from "./helpers/engine-config";
import { MASTER_PASSWORD, type Recorder, isSecretValue, unwrap } from "./helpers/pulumi-mocks";
import { runWithMocks } from "./helpers/run-with-mocks";
import { MIGRATION_SET_TYPE } from "./migration-set-harness";

/**
 * RDS rotates the master password (manageMasterUserPassword, every 7 days). `pulumi refresh` and
 * `pulumi destroy` configure each provider from the inputs stored in state, so they need those inputs
 * to be current: with `--run-program` the engine runs the program first, which reads the secret's
 * current version. These tests pin what the program puts in state — the registrations' inputs, as the
 * engine stores them — before and after a rotation.
 */

const PROVIDER = "pulumi:providers:postgresql";
const ROTATED = "RotatedMasterPw0rd7DaysLater99";

/** Each registration's inputs as the engine would store them, by `type name`. */
function storedInputs(recorder: Recorder): Map<string, string> {
  return new Map(recorder.registrations.map((r) => [`${r.type} ${r.name}`, JSON.stringify(r.inputs)]));
}

describe.each(["dev", "prod"])("stack %s", (stack) => {
  let before: Recorder;
  let after: Recorder;
  beforeAll(async () => {
    before = (await runWithMocks(stack, engineConfig(stack))).recorder;
    after = (await runWithMocks(stack, engineConfig(stack), { masterPassword: ROTATED })).recorder;
  });

  it("stores the master password in one place only: the postgresql provider's inputs, as a secret", () => {
    const holding = [...storedInputs(before)].filter(([, json]) => json.includes(MASTER_PASSWORD)).map(([where]) => where);
    expect(holding).toEqual([`${PROVIDER} dbpipe-db-provider`]);
    const password = before.one(PROVIDER).inputs.password;
    expect(isSecretValue(password)).toBe(true);
    expect(unwrap(password)).toBe(MASTER_PASSWORD);
    expect(JSON.stringify(before.stackOutputs)).not.toContain(MASTER_PASSWORD);
  });

  it("keeps it out of the MigrationSet: its stored inputs (and its serialized provider) hold only the migrator's URL, a secret", () => {
    const set = before.one(MIGRATION_SET_TYPE).inputs;
    expect(JSON.stringify(set)).not.toContain(MASTER_PASSWORD);
    expect(isSecretValue(set.databaseUrl)).toBe(true);
    expect(new URL(String(unwrap(set.databaseUrl))).username).toBe("app_migrator");
    expect(String(set.__provider)).not.toMatch(/MasterPw|password=/i);
  });

  it("after a rotation, running the program gives the provider the new password and changes no other resource's inputs", () => {
    const old = storedInputs(before);
    const changed = [...storedInputs(after)].filter(([where, json]) => old.get(where) !== json).map(([where]) => where);
    expect(changed).toEqual([`${PROVIDER} dbpipe-db-provider`]);
    const password = after.one(PROVIDER).inputs.password;
    expect(isSecretValue(password)).toBe(true);
    expect(unwrap(password)).toBe(ROTATED);
    // Read at program run, from the RDS-managed secret: not from config or state.
    expect(after.invocations.filter((i) => i.token === "aws:secretsmanager/getSecretVersion:getSecretVersion")).toHaveLength(1);
  });
});
