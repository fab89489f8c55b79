import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { type EngineConfig, PROJECT_DIR, readProjectFile, withoutTunnelWait } from "./engine-config";
import { Recorder, type RegisterResourceRequestLike } from "./pulumi-mocks";

/**
 * Runs the program the way `pulumi up` runs it, minus the Pulumi CLI: the language host's command
 * line and environment (`pulumi-language-nodejs`'s `constructArguments` and `execRuntime`, read
 * from Pulumi.yaml's runtime options and `main`), so `@pulumi/pulumi/cmd/run` registers the
 * project's ts-node with its forced compiler options and type-checks and compiles index.ts itself.
 * The engine's side is a gRPC server in this process — the ResourceMonitor and Engine services,
 * answered by the same recording mocks the in-process tests use.
 */

/** What a run produced. */
export interface PulumiUpRun {
  /** Exit code of the program's process (0 when the program succeeded). */
  exitCode: number | null;
  /** Everything the engine side received. */
  recorder: Recorder;
  /** Messages the program logged through the engine (errors included). */
  logs: { severity: number; message: string }[];
  /** The process's stdout and stderr. */
  stdout: string;
  stderr: string;
  /** How long the process ran, ms. */
  durationMs: number;
}

/** Services a test engine answers. */
interface Handlers {
  [method: string]: grpc.handleUnaryCall<unknown, unknown>;
}

/**
 * The entry point the language host passes: `main` resolved against the project root as the Pulumi
 * CLI does (a folder becomes the program directory with entry point `.`, a file stays the entry point
 * with the root as program directory).
 */
export function entryPoint(projectDir: string, main: string | undefined): { pwd: string; program: string } {
  if (main === undefined || main === "") return { pwd: projectDir, program: "." };
  const full = path.resolve(projectDir, main);
  return fs.statSync(full).isDirectory() ? { pwd: full, program: "." } : { pwd: projectDir, program: full };
}

/**
 * Runs stack `stack` with `config` like `pulumi up` (or `pulumi preview` with `dryRun`); `env` adds
 * to the environment the language host sets up.
 */
export async function runLikePulumiUp(
  stack: string,
  config: EngineConfig,
  options: { dryRun?: boolean; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<PulumiUpRun> {
  const recorder = new Recorder();
  const monitor = new MockMonitor(recorder.mocks());
  const logs: { severity: number; message: string }[] = [];
  let rootResource = "";

  const server = new grpc.Server();
  const monitorHandlers: Handlers = {
    supportsFeature: (call, callback) => {
      // What the real engine supports, except output values: like the mock monitor, keep inputs plain.
      const id = (call.request as resproto.SupportsFeatureRequest).getId();
      const response = new resproto.SupportsFeatureResponse();
      response.setHassupport(id !== "outputValues" && id !== "transforms" && id !== "invokeTransforms");
      callback(null, response);
    },
    registerResource: (call, callback) => {
      recorder.record(call.request as RegisterResourceRequestLike);
      void monitor.registerResource(call.request, callback as never);
    },
    registerResourceOutputs: (call, callback) => {
      const request = call.request as resproto.RegisterResourceOutputsRequest;
      if (request.getUrn().includes("::pulumi:pulumi:Stack::")) recorder.recordStackOutputs(request.getOutputs());
      callback(null, new emptyproto.Empty());
    },
    invoke: (call, callback) => void monitor.invoke(call.request, callback as never),
    readResource: (call, callback) => void monitor.readResource(call.request, callback as never),
    registerPackage: (_call, callback) => {
      const response = new resproto.RegisterPackageResponse();
      response.setRef("test-package-ref");
      callback(null, response);
    },
    signalAndWaitForShutdown: (_call, callback) => callback(null, new emptyproto.Empty()),
  };
  server.addService(resrpc.ResourceMonitorService as unknown as grpc.ServiceDefinition, monitorHandlers as grpc.UntypedServiceImplementation);
  const engineHandlers: Handlers = {
    log: (call, callback) => {
      const request = call.request as engproto.LogRequest;
      logs.push({ severity: request.getSeverity(), message: request.getMessage() });
      callback(null, new emptyproto.Empty());
    },
    getRootResource: (_call, callback) => {
      const response = new engproto.GetRootResourceResponse();
      response.setUrn(rootResource);
      callback(null, response);
    },
    setRootResource: (call, callback) => {
      rootResource = (call.request as engproto.SetRootResourceRequest).getUrn();
      callback(null, new engproto.SetRootResourceResponse());
    },
  };
  server.addService(engrpc.EngineService as unknown as grpc.ServiceDefinition, engineHandlers as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const address = `127.0.0.1:${port}`;

  try {
    const project = readProjectFile(PROJECT_DIR);
    const runtimeOptions = project.runtime.options ?? {};
    const { pwd, program } = entryPoint(PROJECT_DIR, project.main);
    // The language host hands config over as `<namespace>:config:<name>` (the old key form).
    const hostConfig = Object.fromEntries(
      Object.entries(withoutTunnelWait(config).config).map(([key, value]) => {
        const i = key.indexOf(":");
        return [`${key.slice(0, i)}:config:${key.slice(i + 1)}`, value];
      }),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      PULUMI_CONFIG: JSON.stringify(hostConfig),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(config.secretKeys),
      ...options.env,
    };
    if (runtimeOptions.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
    if (typeof runtimeOptions.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = runtimeOptions.tsconfig;
    const nodeArgs = typeof runtimeOptions.nodeargs === "string" ? runtimeOptions.nodeargs.split(/\s+/).filter(Boolean) : [];
    const runPath = require.resolve("@pulumi/pulumi/cmd/run", { paths: [pwd] });
    const args = [
      ...nodeArgs,
      runPath,
      "--monitor", address,
      "--engine", address,
      "--organization", "organization",
      "--project", project.name,
      "--root-directory", PROJECT_DIR,
      "--stack", stack,
      "--pwd", pwd,
      ...(options.dryRun ? ["--dry-run"] : []),
      "--parallel", "16",
      program,
    ];
    const started = Date.now();
    const child = spawn(process.execPath, args, { cwd: PROJECT_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the program did not finish in ${options.timeoutMs ?? 280_000} ms\n${stderr}`));
      }, options.timeoutMs ?? 280_000);
      child.on("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    return { exitCode, recorder, logs, stdout, stderr, durationMs: Date.now() - started };
  } finally {
    server.forceShutdown();
  }
}
