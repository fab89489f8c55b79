import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { vi } from "vitest";
import { PROJECT_DIR, type EngineConfig, engineConfig } from "../../test/infra/helpers/engine-config";
import { Recorder } from "../../test/infra/helpers/pulumi-mocks";

/**
 * The analyzer path, driven as the Pulumi engine drives it: the pack started with
 * `@pulumi/pulumi/cmd/run-policy-pack` in its folder (which prints its gRPC port), the stack's name and
 * decrypted config in its environment, then `GetAnalyzerInfo`, `Configure` with the stack's
 * `policies/config/<stack>.json` reconciled as the engine reconciles it, and `Analyze` /
 * `AnalyzeStack` with resources captured from the program under Pulumi's mocks.
 */

const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/** Modules resolved from @pulumi/pulumi, as the pack's server resolves them. */
function fromPulumi<T>(id: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(id, { paths: [PULUMI_DIR] })) as T;
}
const grpc = fromPulumi<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");
const analyzerRpc = fromPulumi<typeof import("@pulumi/pulumi/proto/analyzer_grpc_pb")>("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = fromPulumi<typeof import("@pulumi/pulumi/proto/analyzer_pb")>("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = fromPulumi<{ Struct: { fromJavaScript(value: Record<string, unknown>): unknown } }>("google-protobuf/google/protobuf/struct_pb");
const { Empty } = fromPulumi<{ Empty: new () => unknown }>("google-protobuf/google/protobuf/empty_pb");

/** The pack's folder. */
export const PACK_DIR = path.join(PROJECT_DIR, "policies");

/** One resource as the engine describes it to an analyzer. */
export interface AnalyzedResource {
  type: string;
  name: string;
  urn: string;
  /** Parent URN ("" for none). */
  parent: string;
  protect: boolean;
  /** Inputs, serialized (secrets as `{ sig, value }`, unknowns as the unknown sentinel). */
  properties: Record<string, unknown>;
  /** URNs the resource depends on. */
  dependencies: string[];
  /** Input name to the URNs it depends on. */
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
}

/** A diagnostic the pack returned. */
export interface Diagnostic {
  policyName: string;
  message: string;
  enforcementLevel: "advisory" | "mandatory" | "remediate" | "disabled";
  urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

interface MonitorLike {
  registerResource(req: RegisterRequest, callback: (err: unknown, resp: { getUrn(): string } | undefined) => void): Promise<void>;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getObject(): unknown;
  getProtect(): boolean;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(fn: (value: { getUrnsList(): string[] }, key: string) => void): void };
  getAdditionalsecretoutputsList(): string[];
}

/**
 * Runs the program as stack `stack` under Pulumi's mocks and returns its custom resources as the
 * engine would describe them. With `firstPreview`, every input computed from another resource is
 * unknown, as in the preview of a stack that does not exist yet.
 */
export async function captureStack(stack: string, config: EngineConfig = engineConfig(stack), options: { firstPreview?: boolean } = {}): Promise<AnalyzedResource[]> {
  const recorder = new Recorder();
  await pulumi.runtime.setMocks(recorder.mocks(), "dbpipe", stack, true);
  const captured: AnalyzedResource[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    recorder.record(req as never);
    return registerResource(req, (err, resp) => {
      if (!err && resp && req.getCustom()) {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => (propertyDependencies[key] = deps.getUrnsList()));
        const properties = JSON.parse(JSON.stringify(rpc.deserializeProperties(req.getObject() as never, true))) as Record<string, unknown>;
        if (options.firstPreview) {
          for (const [key, urns] of Object.entries(propertyDependencies)) if (urns.length > 0 && key in properties) properties[key] = rpc.unknownValue;
        }
        captured.push({
          type: req.getType(),
          name: req.getName(),
          urn: resp.getUrn(),
          parent: req.getParent(),
          protect: Boolean(req.getProtect()),
          properties,
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        });
      }
      callback(err, resp);
    });
  };
  pulumi.runtime.setAllConfig(config.config, config.secretKeys);
  vi.resetModules();
  await pulumi.runtime.runInPulumiStack(async () => {
    await import("../../index.js");
  });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return captured;
}

/** A running pack. */
export interface RunningPack {
  /** Policy names and levels the pack declares. */
  info(): Promise<{ name: string; version: string; policies: { name: string; enforcementLevel: string }[] }>;
  /** Sends `Configure` with the stack's config file reconciled as the engine reconciles it. */
  configure(configFile: string): Promise<void>;
  /** `Analyze` of one resource. */
  analyze(resource: AnalyzedResource): Promise<Diagnostic[]>;
  /** `AnalyzeStack` of all of them. */
  analyzeStack(resources: readonly AnalyzedResource[]): Promise<Diagnostic[]>;
  /** What the pack wrote to stderr. */
  stderr(): string;
  stop(): void;
}

type Client = InstanceType<typeof analyzerRpc.AnalyzerClient>;

function call<T>(fn: (callback: (err: Error | null, resp: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, resp) => (err ? reject(err) : resolve(resp))));
}

function resourceOptions(r: AnalyzedResource): InstanceType<typeof analyzerPb.AnalyzerResourceOptions> {
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setProtect(r.protect);
  opts.setAdditionalsecretoutputsList(r.additionalSecretOutputs);
  if (r.parent) opts.setParent(r.parent);
  return opts;
}

function diagnostics(resp: InstanceType<typeof analyzerPb.AnalyzeResponse>): Diagnostic[] {
  return resp.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    message: d.getMessage(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()],
    urn: d.getUrn(),
  }));
}

/**
 * Starts the pack for stack `stack` with `config` as the engine starts it, and waits for its port.
 * `PULUMI_CONFIG` holds the decrypted config; the engine passes no list of which keys are secrets.
 */
export async function startPack(stack: string, config: EngineConfig = engineConfig(stack)): Promise<RunningPack> {
  const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    PULUMI_CONFIG: JSON.stringify(config.config),
    PULUMI_NODEJS_ORGANIZATION: "organization",
    PULUMI_NODEJS_PROJECT: "dbpipe",
    PULUMI_NODEJS_STACK: stack,
    PULUMI_NODEJS_DRY_RUN: "true",
    PULUMI_ORGANIZATION: "organization",
    PULUMI_PROJECT: "dbpipe",
    PULUMI_STACK: stack,
    PULUMI_DRY_RUN: "true",
  };
  const child: ChildProcess = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", "."], { cwd: PACK_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /^(\d+)\s*$/m.exec(stdout);
      if (line) resolve(Number(line[1]));
    });
    child.on("exit", (code) => reject(new Error(`the pack exited with ${code} before printing its port:\n${stderr}`)));
  });
  const client: Client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  const pack: RunningPack = {
    async info() {
      const resp = await call<InstanceType<typeof analyzerPb.AnalyzerInfo>>((cb) => client.getAnalyzerInfo(new Empty() as never, cb));
      return {
        name: resp.getName(),
        version: resp.getVersion(),
        policies: resp.getPoliciesList().map((p) => ({ name: p.getName(), enforcementLevel: LEVELS[p.getEnforcementlevel()] })),
      };
    },
    async configure(configFile) {
      const given = JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, string | Record<string, unknown>>;
      const levelOf = (entry: string | Record<string, unknown> | undefined) =>
        typeof entry === "string" ? entry : typeof entry?.enforcementLevel === "string" ? entry.enforcementLevel : undefined;
      const req = new analyzerPb.ConfigureAnalyzerRequest();
      const map = req.getPolicyconfigMap();
      for (const policy of (await pack.info()).policies) {
        // The engine's reconciliation: the policy's own level, then "all", then the policy's entry.
        const level = levelOf(given[policy.name]) ?? levelOf(given.all) ?? policy.enforcementLevel;
        const entry = given[policy.name];
        const properties = typeof entry === "object" ? Object.fromEntries(Object.entries(entry).filter(([k]) => k !== "enforcementLevel")) : {};
        const policyConfig = new analyzerPb.PolicyConfig();
        policyConfig.setEnforcementlevel(LEVELS.indexOf(level as (typeof LEVELS)[number]) as never);
        policyConfig.setProperties(Struct.fromJavaScript(properties) as never);
        map.set(policy.name, policyConfig);
      }
      await call((cb) => client.configure(req, cb));
    },
    async analyze(r) {
      const req = new analyzerPb.AnalyzeRequest();
      req.setType(r.type);
      req.setName(r.name);
      req.setUrn(r.urn);
      req.setProperties(Struct.fromJavaScript(r.properties) as never);
      req.setOptions(resourceOptions(r));
      return diagnostics(await call((cb) => client.analyze(req, cb)));
    },
    async analyzeStack(resources) {
      const req = new analyzerPb.AnalyzeStackRequest();
      req.setResourcesList(
        resources.map((r) => {
          const resource = new analyzerPb.AnalyzerResource();
          resource.setType(r.type);
          resource.setName(r.name);
          resource.setUrn(r.urn);
          resource.setParent(r.parent);
          resource.setProperties(Struct.fromJavaScript(r.properties) as never);
          resource.setOptions(resourceOptions(r));
          resource.setDependenciesList(r.dependencies);
          const deps = resource.getPropertydependenciesMap();
          for (const [key, urns] of Object.entries(r.propertyDependencies)) {
            const d = new analyzerPb.AnalyzerPropertyDependencies();
            d.setUrnsList(urns);
            deps.set(key, d);
          }
          return resource;
        }),
      );
      return diagnostics(await call((cb) => client.analyzeStack(req, cb)));
    },
    stderr: () => stderr,
    stop() {
      client.close();
      child.kill();
    },
  };
  return pack;
}

/** Analyzes every resource, then the stack, and returns all diagnostics. */
export async function analyzeAll(pack: RunningPack, resources: readonly AnalyzedResource[]): Promise<Diagnostic[]> {
  const found: Diagnostic[] = [];
  for (const r of resources) found.push(...(await pack.analyze(r)));
  found.push(...(await pack.analyzeStack(resources)));
  return found;
}
