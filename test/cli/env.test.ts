import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main";
import { memoryOutput } from "../../src/cli/output";
import { loadStackSettings } from "../../src/settings/stack-file";

/** `dbpipe env new`, through the CLI's own entry point, in a scratch project (the working directory). */

const REPO = path.resolve(__dirname, "../..");
let dir: string;
let cwd: string;

beforeEach(() => {
  cwd = process.cwd();
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-cli-env-")));
  fs.copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.mkdirSync(path.join(dir, "infra"));
  // From a subfolder: the command finds the project by its Pulumi.yaml, as the other commands do.
  process.chdir(path.join(dir, "infra"));
});
afterEach(() => {
  process.chdir(cwd);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `dbpipe <args>` and returns its exit code and output. */
async function dbpipe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = memoryOutput();
  const code = await main(args, output);
  return { code, stdout: output.stdout.join("\n"), stderr: output.stderr.join("\n") };
}

describe("dbpipe env new", () => {
  it("writes Pulumi.<name>.yaml in the project and says what it wrote and what to do next", async () => {
    const run = await dbpipe("env", "new", "staging", "--tier", "test", "--region", "eu-west-1");
    expect(run).toEqual({
      code: 0,
      stdout: [
        "Wrote ../Pulumi.staging.yaml: environment staging, tier test.",
        "  rds server db.t4g.small (network path: tunnel), backups kept 14 days.",
        "Next:",
        "  1. pulumi stack init staging",
        "  2. dbpipe tunnel --stack staging --wait 45min   (in a second terminal, left running: it waits for pulumi up to create the bastion and the instance, then opens the tunnel)",
        "  3. pulumi up --stack staging   (it creates the bastion and the instance, then waits for the tunnel; later pulumi up, refresh and destroy need the tunnel open too)",
      ].join("\n"),
      stderr: "",
    });
    expect(loadStackSettings(dir, "staging").tier).toBe("test");
  });

  it("describes a prod environment's protection", async () => {
    const run = await dbpipe("env", "new", "live", "--tier", "prod", "--region", "eu-west-1");
    expect(run.stdout.split("\n")[1]).toBe("  rds server db.m6g.large (network path: tunnel), backups kept 30 days under Object Lock, resources protected.");
  });

  it("with a vpc network path, says what to let in and to run pulumi up inside the VPC", async () => {
    const run = await dbpipe("env", "new", "ci", "--tier", "test", "--network-path", "vpc");
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n").slice(1)).toEqual([
      "  rds server db.t4g.small (network path: vpc), backups kept 14 days.",
      "Next:",
      "  1. pulumi stack init ci",
      "  2. in Pulumi.ci.yaml, set dbpipe:allowedCidrs or dbpipe:allowedSecurityGroupIds to what runs pulumi up (and dbpipe:vpcId and dbpipe:subnetIds outside the default VPC)",
      "  3. pulumi up --stack ci   (from inside the VPC, e.g. on a CI runner there)",
    ]);
    expect(loadStackSettings(dir, "ci", { newStack: true }).infra.networkPath).toBe("vpc");
    // Until that is done, pulumi up is refused (nothing could reach the instance); lint, the pull request's gate, runs.
    expect(() => loadStackSettings(dir, "ci", { deploy: true })).toThrow("dbpipe:networkPath: is vpc, but neither dbpipe:allowedCidrs nor dbpipe:allowedSecurityGroupIds lets anything in");
    fs.mkdirSync(path.join(dir, "migrations"));
    fs.writeFileSync(path.join(dir, "migrations", "0001_notes.sql"), "CREATE TABLE notes (id bigint PRIMARY KEY);\n");
    expect(await dbpipe("lint", "--stack", "ci")).toMatchObject({ code: 0, stderr: "" });
  });

  it("an external prod stack: lint runs on it before its secret URL is set; pulumi up needs the URL", async () => {
    expect((await dbpipe("env", "new", "live", "--tier", "prod", "--region", "eu-west-1", "--server", "external")).code).toBe(0);
    fs.mkdirSync(path.join(dir, "migrations"));
    fs.writeFileSync(path.join(dir, "migrations", "0001_notes.sql"), "CREATE TABLE notes (id bigint PRIMARY KEY);\n");
    // It was refused by every command, offline lint too: "dbpipe:directUrl: is required when dbpipe:server is external".
    const lint = await dbpipe("lint", "--stack", "live");
    expect(lint).toMatchObject({ code: 0, stderr: "" });
    expect(lint.stdout).toContain("Stack live (tier prod): allowed.");
    expect(() => loadStackSettings(dir, "live", { deploy: true })).toThrow(
      "Pulumi.live.yaml: dbpipe:directUrl: is required when dbpipe:server is external: run `pulumi config set --secret directUrl <url> --stack live`",
    );
    // Set as Pulumi sets it (encrypted: the CLI cannot read it), it is there for pulumi up.
    fs.appendFileSync(path.join(dir, "Pulumi.live.yaml"), "  dbpipe:directUrl:\n    secure: v1:AAAAAAAAAAAAAAAA:BBBB\n");
    expect(loadStackSettings(dir, "live", { deploy: true }).infra.directUrl).toEqual({ secret: true });
    // Prod's own rules apply to every command, as before.
    fs.writeFileSync(path.join(dir, "Pulumi.live.yaml"), fs.readFileSync(path.join(dir, "Pulumi.live.yaml"), "utf8").replace("dbpipe:protectResources: true", "dbpipe:protectResources: false"));
    const refused = await dbpipe("lint", "--stack", "live");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("dbpipe:protectResources: must be true in prod");
  });

  it("with an external server, says to set the secret URLs before pulumi up, and sizes no instance", async () => {
    const run = await dbpipe("env", "new", "neon", "--tier", "test", "--server", "external", "--region", "us-east-1");
    expect(run.code).toBe(0);
    expect(run.stdout.split("\n").slice(1)).toEqual([
      "  external server, backups kept 14 days.",
      "Next:",
      "  1. pulumi stack init neon",
      "  2. pulumi config set --secret directUrl 'postgres://USER:PASSWORD@HOST:5432/DATABASE' --stack neon   (the administrator's direct, unpooled URL)",
      "  3. pulumi config set --secret pooledUrl '<the pooled URL>' --stack neon   (optional: where applications connect; default the direct URL)",
      "  4. pulumi up --stack neon",
    ]);
    const text = fs.readFileSync(path.join(dir, "Pulumi.neon.yaml"), "utf8");
    expect(text).toContain("\n  dbpipe:server: external\n");
    expect(text).not.toContain("dbpipe:instanceClass");
    expect(text).not.toContain("dbpipe:networkPath");
  });

  it("refuses a network path for an external server with exit code 2, writing nothing", async () => {
    const run = await dbpipe("env", "new", "neon", "--tier", "test", "--server", "external", "--network-path", "vpc");
    expect(run).toEqual({ code: 2, stdout: "", stderr: "error: --network-path is for an rds server only: an external server is reached by its own URL" });
    expect(fs.readdirSync(dir).sort()).toEqual(["Pulumi.yaml", "infra"]);
  });

  it("refuses an existing environment with exit code 2, naming the file", async () => {
    await dbpipe("env", "new", "staging", "--tier", "test");
    const run = await dbpipe("env", "new", "staging", "--tier", "dev");
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: Pulumi.staging.yaml exists already: environment staging is taken (edit that file, or choose another name)",
    });
  });

  it("refuses an invalid name with exit code 2", async () => {
    const run = await dbpipe("env", "new", "Staging_EU", "--tier", "test");
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: "Staging_EU" is not a valid environment name: use lower-case letters, digits and single hyphens, starting with a letter, at most 32 characters (it becomes part of RDS, S3 and KMS names)',
    );
    expect(fs.readdirSync(dir).sort()).toEqual(["Pulumi.yaml", "infra"]);
  });

  it("refuses an unknown tier with exit code 2", async () => {
    const run = await dbpipe("env", "new", "staging", "--tier", "qa");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: option '--tier <tier>' argument 'qa' is invalid. Allowed choices are dev, test, prod.");
  });

  it("requires --tier", async () => {
    const run = await dbpipe("env", "new", "staging");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: required option '--tier <tier>' not specified");
  });

  it("explains itself with --help", async () => {
    const run = await dbpipe("env", "new", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: dbpipe env new [options] <name>");
    expect(run.stdout).toContain("--tier <tier>");
    expect(run.stdout.replace(/\s+/g, " ")).toContain(`the environment's tier (required) (choices: "dev", "test", "prod")`);
    expect(run.stdout).toContain("--server <mode>");
    expect(run.stdout).toContain("--network-path <path>");
    expect(run.stdout.replace(/\s+/g, " ")).toContain("Then it prints the next steps for the environment's server");
  });
});
