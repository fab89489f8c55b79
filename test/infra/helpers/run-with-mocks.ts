import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { type EngineConfig, engineConfig, withoutTunnelWait } from "./engine-config";
import { Recorder, type RegisterResourceRequestLike } from "./pulumi-mocks";

/** What a mocked run of the program produced. */
export interface MockedRun {
  /** Registrations, invokes, passwords and the stack's outputs. */
  recorder: Recorder;
  /** The program module's exports, as Outputs. */
  exports: Record<string, unknown>;
}

interface MonitorLike {
  registerResource(req: RegisterResourceRequestLike, callback: (err: unknown, resp: unknown) => void): Promise<void>;
  registerResourceOutputs(req: { getUrn(): string; getOutputs(): unknown }, callback: (err: unknown, resp: unknown) => void): void;
}

/**
 * Mocks the engine for `stack` with a fresh {@link Recorder}, wrapping the mock monitor so each
 * registration request is recorded whole (options included), sets the stack's config, and forgets
 * the program's modules so the next import runs it again.
 */
async function setUp(stack: string, config: EngineConfig, preview: boolean, noDefaultVpc = false, masterPassword?: string): Promise<Recorder> {
  const recorder = new Recorder();
  recorder.noDefaultVpc = noDefaultVpc;
  if (masterPassword !== undefined) {
    recorder.masterPassword = masterPassword;
    recorder.passwords.add(masterPassword);
  }
  await pulumi.runtime.setMocks(recorder.mocks(), "dbpipe", stack, preview);
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    recorder.record(req);
    return registerResource(req, callback);
  };
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    if (req.getUrn().includes("::pulumi:pulumi:Stack::")) recorder.recordStackOutputs(req.getOutputs());
    registerResourceOutputs(req, callback);
  };
  const runConfig = withoutTunnelWait(config);
  pulumi.runtime.setAllConfig(runConfig.config, runConfig.secretKeys);
  vi.resetModules();
  return recorder;
}

/**
 * Runs index.ts under `pulumi.runtime.setMocks` as stack `stack` with `config`, inside a Pulumi
 * stack resource (as `pulumi up` does), and waits for every registration.
 */
export async function runWithMocks(
  stack: string,
  config: EngineConfig,
  options: { preview?: boolean; noDefaultVpc?: boolean; masterPassword?: string } = {},
): Promise<MockedRun> {
  const recorder = await setUp(stack, config, options.preview ?? false, options.noDefaultVpc, options.masterPassword);
  let exports: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    const module = (await import("../../../index.js")) as Record<string, unknown>;
    // What run.js gets from require(): the named exports, without the namespace's `default`.
    exports = Object.fromEntries(Object.entries(module).filter(([key]) => key !== "default" && key !== "__esModule"));
    return exports;
  });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return { recorder, exports };
}

/**
 * Sets up mocks and config like {@link runWithMocks} and imports index.ts outside a stack resource,
 * returning what its import threw: for programs that must stop before declaring anything.
 */
export async function loadProgram(stack: string, config: EngineConfig): Promise<{ error: Error | undefined; recorder: Recorder }> {
  const recorder = await setUp(stack, config, false);
  try {
    await import("../../../index.js");
    return { error: undefined, recorder };
  } catch (error) {
    return { error: error as Error, recorder };
  }
}

/**
 * {@link loadProgram} run from `projectDir`, as `pulumi up` runs the program in the project's folder
 * (the stack file there is read, relative paths resolve there), with the config the engine builds
 * from that folder's Pulumi.yaml and stack file.
 */
export async function loadProgramIn(projectDir: string, stack: string): Promise<{ error: Error | undefined; recorder: Recorder }> {
  const cwd = process.cwd();
  process.chdir(projectDir);
  try {
    return await loadProgram(stack, engineConfig(stack, { projectDir }));
  } finally {
    process.chdir(cwd);
  }
}

/** The value of an Output (or a plain value), and whether it is secret. */
export async function resolve<T>(value: pulumi.Input<T> | undefined): Promise<{ value: T | undefined; secret: boolean }> {
  if (value === undefined) return { value: undefined, secret: false };
  const output = pulumi.output(value);
  const secret = await pulumi.isSecret(output);
  const resolved = await new Promise<T>((done) => output.apply((v) => done(v as T)));
  return { value: resolved, secret };
}

/**
 * Starts a mocked program run that must fail inside an apply (a missing default VPC, a tunnel that
 * never opens) and returns the first error the program leaves unhandled — what `pulumi up` reports
 * as the run's error — or the one the run rejects with. Such a run never completes (its registrations
 * wait for the failed value), so it is not awaited.
 */
export function firstRunError(run: () => Promise<unknown>, timeoutMs = 30_000): Promise<string> {
  // The abandoned run rejects every output that depends on the failed one: the test runner must not
  // take those for the test's own unhandled errors, so its listeners step aside until they are in.
  const others = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  return new Promise((resolve) => {
    let first: string | undefined;
    const finish = (message: string) => {
      if (first !== undefined) return;
      first = message;
      clearTimeout(timer);
      setTimeout(() => {
        process.off("unhandledRejection", onRejection);
        for (const listener of others) process.on("unhandledRejection", listener);
        resolve(message);
      }, 1000);
    };
    const onRejection = (reason: unknown) => finish(reason instanceof Error ? reason.message : String(reason));
    process.on("unhandledRejection", onRejection);
    const timer = setTimeout(() => finish("(no error within the time limit)"), timeoutMs);
    run().then(
      () => finish("(the run succeeded)"),
      (error: unknown) => finish(error instanceof Error ? error.message : String(error)),
    );
  });
}
