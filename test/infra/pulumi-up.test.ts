import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as ts from "typescript";
import { PROJECT_DIR, engineConfig } from "./helpers/engine-config";
import { shape } from "./helpers/expectations";
import { isSecretValue, plainPasswords } from "./helpers/pulumi-mocks";
import { type PulumiUpRun, runLikePulumiUp } from "./helpers/pulumi-up";
import { runWithMocks } from "./helpers/run-with-mocks";

/**
 * The program loaded the way `pulumi up` loads it: `@pulumi/pulumi/cmd/run` started with the
 * language host's arguments and environment, registering the project's own ts-node and TypeScript
 * with the compiler options it forces over tsconfig.json, type-checking and compiling index.ts and
 * everything it imports, and talking gRPC to an engine. Slow (the type check of @pulumi/aws is most
 * of it), so one good and one bad stack, run side by side.
 */

const NEON_PASSWORD = "NeonAdminPw123456";

/** Pulumi's log severities, as the engine receives them. */
const DEBUG = 0;
const ERROR = 3;

describe("index.ts run as pulumi up runs it", () => {
  let prod: PulumiUpRun;
  let invalid: PulumiUpRun;
  let external: PulumiUpRun;
  let brokenTsconfig: PulumiUpRun;
  beforeAll(async () => {
    // The project's tsconfig.json set up for a bundler instead: `tsc --noEmit` is happy with it, but
    // run.js then emits ES modules into this CommonJS package and the program cannot load.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-tsconfig-"));
    const tsconfig = path.join(dir, "tsconfig.json");
    const projectTsconfig = ts.readConfigFile(path.join(PROJECT_DIR, "tsconfig.json"), ts.sys.readFile).config as { compilerOptions: Record<string, unknown> };
    fs.writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { ...projectTsconfig.compilerOptions, module: "esnext", moduleResolution: "bundler" } }));
    [prod, invalid, external, brokenTsconfig] = await Promise.all([
      runLikePulumiUp("prod", engineConfig("prod")),
      runLikePulumiUp("prod", engineConfig("prod", { overrides: { "dbpipe:deletionProtection": false, "dbpipe:protectResources": false } })),
      runLikePulumiUp(
        "neon",
        engineConfig("neon", {
          overrides: { "aws:region": "us-east-1", "dbpipe:tier": "test", "dbpipe:server": "external" },
          secrets: { "dbpipe:directUrl": `postgresql://neondb_owner:${NEON_PASSWORD}@ep-cool-123.us-east-2.aws.neon.tech/neondb` },
        }),
      ),
      runLikePulumiUp("dev", engineConfig("dev"), { env: { PULUMI_NODEJS_TSCONFIG_PATH: tsconfig } }),
    ]).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
    external.recorder.passwords.add(NEON_PASSWORD);
  }, 300_000);

  it("compiles with the project's TypeScript and ts-node and runs to completion", () => {
    const debug = prod.logs.map((l) => l.message);
    expect(debug.some((m) => /^Found typescript version 5\.9\.3 at .*node_modules\/typescript\//.test(m))).toBe(true);
    expect(debug.some((m) => /^Found ts-node version: 10\.9\.2 at .*node_modules\/ts-node\//.test(m))).toBe(true);
    expect({ exitCode: prod.exitCode, errors: prod.logs.filter((l) => l.severity === ERROR), stderr: prod.stderr }).toEqual({ exitCode: 0, errors: [], stderr: "" });
  });

  it("declares exactly what the mocked run of the same stack declares, resource options included", async () => {
    const mocked = await runWithMocks("prod", engineConfig("prod"));
    expect(shape(prod.recorder)).toEqual(shape(mocked.recorder));
    expect(prod.recorder.registrations.filter((r) => r.protect).map((r) => r.name).sort()).toEqual([
      "dbpipe-backups-bucket",
      "dbpipe-backups-key",
      "dbpipe-backups-logs",
      "dbpipe-db-app",
      "dbpipe-db-database",
      "dbpipe-db-migrator",
      "dbpipe-db-owner",
      "dbpipe-db-provider",
      "dbpipe-db-readonly",
      "dbpipe-db-schema",
      "dbpipe-server-instance",
      "dbpipe-server-key",
    ]);
  });

  it("hands the engine its outputs with every URL marked secret and no password in plain text", () => {
    const outputs = prod.recorder.stackOutputs ?? {};
    expect(Object.keys(outputs).sort()).toEqual(
      [
        "appUrl",
        "backupBucket",
        "credentialSecretArns",
        "databaseName",
        "endpoint",
        "extensions",
        "masterUserSecretArn",
        "migrationUrl",
        "networkPath",
        "readonlyUrl",
        "roles",
        "schemaName",
        "serverMode",
        "tier",
        "tls",
        "tunnel",
      ].sort(),
    );
    for (const key of ["migrationUrl", "appUrl", "readonlyUrl"]) expect(isSecretValue(outputs[key])).toBe(true);
    const everything: [string, unknown][] = prod.recorder.registrations.map((r) => [`${r.type} ${r.name}`, r.inputs]);
    // Debug-level messages are left out: @pulumi/pulumi itself logs raw RPC responses there, secrets
    // included, which only `pulumi up --debug` shows (docs/pulumi.md warns against it in CI).
    const shown = prod.logs.filter((l) => l.severity > DEBUG).map((l) => l.message);
    everything.push(["stack outputs", outputs], ["stdout", prod.stdout], ["stderr", prod.stderr], ["logs", shown]);
    expect(plainPasswords(prod.recorder, everything)).toEqual([]);
  });

  it("stops on invalid settings with one error naming each key, without a stack trace or a resource", () => {
    expect(invalid.exitCode).not.toBe(0);
    const errors = invalid.logs.filter((l) => l.severity === ERROR).map((l) => l.message.trim());
    expect(errors).toEqual([
      [
        "Pulumi.prod.yaml: invalid stack settings:",
        "  Pulumi.prod.yaml:43: dbpipe:protectResources: must be true in prod: pulumi destroy and replacements must not touch the server, database or backups",
        "  Pulumi.prod.yaml:45: dbpipe:deletionProtection: must be true in prod: a prod database must not be deletable by one command",
      ].join("\n"),
    ]);
    expect(invalid.recorder.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
  });

  it("reads a secret URL the language host marks secret, and keeps everything made from it secret", () => {
    expect({ exitCode: external.exitCode, errors: external.logs.filter((l) => l.severity === ERROR) }).toEqual({ exitCode: 0, errors: [] });
    const provider = external.recorder.one("pulumi:providers:postgresql").inputs;
    for (const key of ["host", "username", "password"]) expect({ key, secret: isSecretValue(provider[key]) }).toEqual({ key, secret: true });
    expect(isSecretValue(external.recorder.stackOutputs?.endpoint)).toBe(true);
    const shown = external.logs.filter((l) => l.severity > DEBUG).map((l) => l.message);
    const everything: [string, unknown][] = external.recorder.registrations.map((r) => [`${r.type} ${r.name}`, r.inputs]);
    everything.push(["stack outputs", external.recorder.stackOutputs], ["stdout", external.stdout], ["stderr", external.stderr], ["logs", shown]);
    expect(plainPasswords(external.recorder, everything)).toEqual([]);
  });

  it("would catch a tsconfig.json under which run.js cannot load the program (the first check can fail)", () => {
    expect(brokenTsconfig.exitCode).not.toBe(0);
    expect(brokenTsconfig.logs.filter((l) => l.severity === ERROR).map((l) => l.message).join("\n")).toContain(
      "Error: Cannot find module '/work/main/src/infra/database-environment' imported from /work/main/index.ts".replaceAll("/work/main", PROJECT_DIR),
    );
  });
});
