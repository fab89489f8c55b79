import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSessionArgs } from "../../src/cli/commands/tunnel";
import { main } from "../../src/cli/main";
import { memoryOutput } from "../../src/cli/output";

/**
 * `dbpipe tunnel`, through the CLI's entry point, in a scratch project with the checked-in dev stack.
 * The AWS CLI, the Session Manager plugin and the Pulumi CLI cannot be installed here: the tools on
 * PATH are stand-ins that record their arguments, and `pulumi` answers with the text a real one
 * prints (`pulumi stack output --json`, `pulumi stack export`).
 */

const REPO = path.resolve(__dirname, "../..");
const OUTPUTS = {
  tier: "dev",
  networkPath: "tunnel",
  tunnel: { bastionInstanceId: "i-0abc1234def567890", host: "dbpipe-server-instance-1a2b3c.c0abc123.us-east-1.rds.amazonaws.com", port: 5432, localPort: 15432, region: "us-east-1" },
  migrationUrl: "[secret]",
};
/** A stack export while the first `pulumi up` is still running: resources are in, outputs are not. */
const STATE = {
  version: 3,
  deployment: {
    resources: [
      { urn: "urn:pulumi:dev::dbpipe::pulumi:pulumi:Stack::dbpipe-dev", type: "pulumi:pulumi:Stack" },
      {
        urn: "urn:pulumi:dev::dbpipe::dbpipe:infra:DatabaseEnvironment$dbpipe:infra:RdsServer$dbpipe:infra:SsmBastion$aws:ec2/instance:Instance::dbpipe-server-bastion-instance",
        type: "aws:ec2/instance:Instance",
        id: "i-0fedcba9876543210",
        outputs: {},
      },
      {
        urn: "urn:pulumi:dev::dbpipe::dbpipe:infra:DatabaseEnvironment$dbpipe:infra:RdsServer$aws:rds/instance:Instance::dbpipe-server-instance",
        type: "aws:rds/instance:Instance",
        id: "dbpipe-server-instance-9f8e7d",
        outputs: { address: "dbpipe-server-instance-9f8e7d.c0abc123.us-east-1.rds.amazonaws.com", port: 5432 },
      },
    ],
  },
};

let dir: string;
let bin: string;
let cwd: string;
let savedPath: string | undefined;

/** Writes an executable stand-in `name` that appends its argv (one JSON line) to `<name>.argv`, prints `stdout` and exits `code`. */
function fakeTool(name: string, options: { stdout?: string; code?: number; byArgs?: Record<string, string> } = {}): void {
  const log = path.join(dir, `${name}.argv`);
  const script = [
    "#!/usr/bin/env node",
    `require("fs").appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + "\\n");`,
    `const byArgs = ${JSON.stringify(options.byArgs ?? {})};`,
    `const key = process.argv.slice(2, 4).join(" ");`,
    `process.stdout.write(byArgs[key] ?? ${JSON.stringify(options.stdout ?? "")});`,
    `process.exit(${options.code ?? 0});`,
  ].join("\n");
  fs.writeFileSync(path.join(bin, name), script, { mode: 0o755 });
}

/** The argv lists a stand-in was called with. */
function calls(name: string): string[][] {
  const log = path.join(dir, `${name}.argv`);
  return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").map((line) => JSON.parse(line) as string[]) : [];
}

async function dbpipe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = memoryOutput();
  const code = await main(args, output);
  return { code, stdout: output.stdout.join("\n"), stderr: output.stderr.join("\n") };
}

beforeEach(() => {
  cwd = process.cwd();
  savedPath = process.env.PATH;
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-cli-tunnel-")));
  bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const file of ["Pulumi.yaml", "Pulumi.dev.yaml"]) fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
  // Only the stand-ins and node itself: no real aws, pulumi or plugin can be found.
  process.env.PATH = [bin, path.dirname(process.execPath)].join(path.delimiter);
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(cwd);
  process.env.PATH = savedPath;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes a stand-in `name` that answers its n-th call (counting from 1) with `answers[n-1]` (the last one after that), recording its argv. */
function fakeToolSequence(name: string, answers: { stdout?: string; code?: number; byArgs?: Record<string, string> }[]): void {
  const log = path.join(dir, `${name}.argv`);
  const script = [
    "#!/usr/bin/env node",
    'const fs = require("fs");',
    `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + "\\n");`,
    `const answers = ${JSON.stringify(answers)};`,
    `const n = fs.readFileSync(${JSON.stringify(log)}, "utf8").trim().split("\\n").length;`,
    "const answer = answers[Math.min(n, answers.length) - 1];",
    'const key = process.argv.slice(2, 4).join(" ");',
    'process.stdout.write((answer.byArgs ?? {})[key] ?? answer.stdout ?? "");',
    "process.exit(answer.code ?? 0);",
  ].join("\n");
  fs.writeFileSync(path.join(bin, name), script, { mode: 0o755 });
}

describe("startSessionArgs", () => {
  it("asks SSM for port forwarding to the instance's host and port on the local port, in the region", () => {
    expect(startSessionArgs({ bastionInstanceId: "i-0abc", host: "db.example.internal", port: 5432, localPort: 15432, region: "eu-west-1" })).toEqual([
      "ssm",
      "start-session",
      "--target",
      "i-0abc",
      "--document-name",
      "AWS-StartPortForwardingSessionToRemoteHost",
      "--parameters",
      '{"host":["db.example.internal"],"portNumber":["5432"],"localPortNumber":["15432"]}',
      "--region",
      "eu-west-1",
    ]);
    expect(startSessionArgs({ bastionInstanceId: "i-0abc", host: "h", port: 5433, localPort: 6000 })).not.toContain("--region");
  });
});

describe("dbpipe tunnel", () => {
  it("reads the stack's outputs and runs aws ssm start-session to the instance through the bastion", async () => {
    fakeTool("pulumi", { stdout: JSON.stringify(OUTPUTS) });
    fakeTool("aws");
    fakeTool("session-manager-plugin");
    const run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(0);
    expect(calls("pulumi")).toEqual([["stack", "output", "--json", "--stack", "dev"]]);
    expect(calls("aws")).toEqual([
      [
        "ssm",
        "start-session",
        "--target",
        "i-0abc1234def567890",
        "--document-name",
        "AWS-StartPortForwardingSessionToRemoteHost",
        "--parameters",
        `{"host":["${OUTPUTS.tunnel.host}"],"portNumber":["5432"],"localPortNumber":["15432"]}`,
        "--region",
        "us-east-1",
      ],
    ]);
    expect(run.stderr).toContain(`Forwarding localhost:15432 to ${OUTPUTS.tunnel.host}:5432 through i-0abc1234def567890`);
  });

  it("during the first pulumi up, before any output exists, finds the bastion and the instance in the state", async () => {
    fakeTool("pulumi", { byArgs: { "stack output": "{}", "stack export": JSON.stringify(STATE) } });
    fakeTool("aws");
    fakeTool("session-manager-plugin");
    const run = await dbpipe("tunnel", "--stack", "dev", "--local-port", "16000");
    expect(run.code).toBe(0);
    expect(calls("pulumi")).toEqual([
      ["stack", "output", "--json", "--stack", "dev"],
      ["stack", "export", "--stack", "dev"],
    ]);
    const [args] = calls("aws");
    expect(args.slice(0, 3)).toEqual(["ssm", "start-session", "--target"]);
    expect(args[3]).toBe("i-0fedcba9876543210");
    expect(JSON.parse(args[7])).toEqual({ host: ["dbpipe-server-instance-9f8e7d.c0abc123.us-east-1.rds.amazonaws.com"], portNumber: ["5432"], localPortNumber: ["16000"] });
    // The stack file's aws:region.
    expect(args.slice(8)).toEqual(["--region", "us-east-1"]);
  });

  it("--print prints the command without running it", async () => {
    fakeTool("pulumi", { stdout: JSON.stringify(OUTPUTS) });
    fakeTool("aws");
    fakeTool("session-manager-plugin");
    const run = await dbpipe("tunnel", "--stack", "dev", "--print");
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toBe(
      `aws ssm start-session --target i-0abc1234def567890 --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters '{"host":["${OUTPUTS.tunnel.host}"],"portNumber":["5432"],"localPortNumber":["15432"]}' --region us-east-1`,
    );
    expect(calls("aws")).toEqual([]);
  });

  it("says which tool is missing and how to get it, before running anything", async () => {
    fakeTool("pulumi", { stdout: JSON.stringify(OUTPUTS) });
    let run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("aws is not on PATH: install the AWS CLI v2");
    fakeTool("aws");
    run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("session-manager-plugin is not on PATH: install the Session Manager plugin");
    expect([calls("pulumi"), calls("aws")]).toEqual([[], []]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a failed session with aws's exit code", async () => {
    fakeTool("pulumi", { stdout: JSON.stringify(OUTPUTS) });
    fakeTool("aws", { code: 254 });
    fakeTool("session-manager-plugin");
    const run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("aws ssm start-session ended with exit code 254");
  });

  it("reports what pulumi said when it cannot read the stack", async () => {
    fakeTool("pulumi", { code: 255, stdout: "error: no stack named 'dev' found\n" });
    fakeTool("aws");
    fakeTool("session-manager-plugin");
    const run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("`pulumi stack output --json --stack dev` failed (exit 255): error: no stack named 'dev' found");
  });

  it("refuses a stack that is not deployed yet, or has no tunnel, with exit 2", async () => {
    fakeTool("pulumi", { byArgs: { "stack output": "{}", "stack export": JSON.stringify({ version: 3, deployment: { resources: [] } }) } });
    fakeTool("aws");
    fakeTool("session-manager-plugin");
    let run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("stack dev has no bastion and instance yet: start `pulumi up --stack dev`");

    fs.appendFileSync(path.join(dir, "Pulumi.dev.yaml"), "  dbpipe:allowedCidrs: [10.0.0.0/16]\n");
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8").replace("dbpipe:networkPath: tunnel", "dbpipe:networkPath: vpc"));
    run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("stack dev has dbpipe:networkPath vpc: it declares no bastion");

    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8").replace(/.*dbpipe:networkPath: vpc\n/, ""));
    run = await dbpipe("tunnel", "--stack", "dev");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Pulumi\.dev\.yaml: dbpipe:networkPath: is required when dbpipe:server is rds/);
    expect(calls("aws")).toEqual([]);
  });

  describe("--wait, as a CI job runs it beside the first pulumi up", () => {
    const NOT_YET = { byArgs: { "stack output": "{}", "stack export": JSON.stringify({ version: 3, deployment: { resources: [] } }) } };
    const CREATED = { byArgs: { "stack output": "{}", "stack export": JSON.stringify(STATE) } };

    it("waits for the bastion and the instance to appear in the state, then opens the session", async () => {
      // Calls 1-2 (output, export): nothing yet; from the 3rd on the bastion and the instance exist.
      // The wait is long enough for a loaded machine; the session, reopened whenever it ends, keeps the test that long.
      fakeToolSequence("pulumi", [NOT_YET, NOT_YET, CREATED]);
      fakeTool("aws");
      fakeTool("session-manager-plugin");
      const run = await dbpipe("tunnel", "--stack", "dev", "--wait", "4s");
      expect(run.code).toBe(0);
      expect(run.stderr).toContain("Waiting up to 4s for stack dev's bastion and instance (pulumi up creates them).");
      expect(calls("pulumi").length).toBe(4);
      const sessions = calls("aws");
      expect(sessions.length).toBeGreaterThanOrEqual(1);
      expect(sessions[0][3]).toBe("i-0fedcba9876543210");
    });

    it("opens the session again while the bastion's agent is not ready, until it holds", async () => {
      fakeTool("pulumi", { stdout: JSON.stringify(OUTPUTS) });
      fakeToolSequence("aws", [{ code: 254 }, { code: 254 }, { code: 0 }]);
      fakeTool("session-manager-plugin");
      const run = await dbpipe("tunnel", "--stack", "dev", "--wait", "4s");
      expect(run.code).toBe(0);
      expect(calls("aws").length).toBeGreaterThanOrEqual(3);
      expect(run.stderr).toContain("aws ssm start-session ended with exit code 254; opening it again in 400ms");
    });

    it("gives up with exit 2 when the stack never gets a bastion within the wait", async () => {
      fakeTool("pulumi", NOT_YET);
      fakeTool("aws");
      fakeTool("session-manager-plugin");
      const run = await dbpipe("tunnel", "--stack", "dev", "--wait", "500ms");
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("stack dev still has no bastion and instance after 500ms: is `pulumi up --stack dev` running?");
      expect(calls("aws")).toEqual([]);
    });

    it("reports the session's failure when it still fails at the end of the wait", async () => {
      fakeTool("pulumi", { stdout: JSON.stringify(OUTPUTS) });
      fakeTool("aws", { code: 255 });
      fakeTool("session-manager-plugin");
      const run = await dbpipe("tunnel", "--stack", "dev", "--wait", "500ms");
      expect(run.code).toBe(3);
      expect(run.stderr).toContain("aws ssm start-session ended with exit code 255: see its message above");
    });

    it("refuses a --wait that is not a duration, is 0, or comes with --print, naming the flag", async () => {
      fakeTool("pulumi", { stdout: JSON.stringify(OUTPUTS) });
      fakeTool("aws");
      fakeTool("session-manager-plugin");
      for (const [args, said] of [
        [["--wait", "soon"], '--wait must be a duration such as 500ms, 5s, 2min or 1h, got "soon"'],
        [["--wait", "0"], "--wait must be longer than 0, such as 45min"],
        [["--wait", "2d"], "--wait must be at most 1d (a day), got 2d"],
        [["--wait", "1min", "--print"], "--wait and --print do not go together"],
      ] as const) {
        const run = await dbpipe("tunnel", "--stack", "dev", ...args);
        expect(run.code, args.join(" ")).toBe(2);
        expect(run.stderr).toContain(said);
        expect(run.stderr).not.toMatch(/\n\s+at /);
      }
      expect([calls("pulumi"), calls("aws")]).toEqual([[], []]);
    });
  });
});
