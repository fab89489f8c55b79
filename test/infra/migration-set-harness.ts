import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import ts from "typescript";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as provrpcTypes from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as provprotoTypes from "@pulumi/pulumi/proto/provider_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import { MigrationSet, type MigrationSetArgs } from "../../src/infra/migration-set";
import { loadPulumiStackSettings } from "../../src/infra/pulumi-stack-settings";
import { PROJECT_DIR, engineConfig } from "./helpers/engine-config";

/**
 * Drives the MigrationSet provider the way the Pulumi engine does, without the Pulumi CLI: the
 * serialized provider comes from a mocked registration of the resource, a second copy of the
 * project at another path runs it (`@pulumi/pulumi/cmd/dynamic-provider`, the plugin the engine
 * starts for dynamic resources), and the test talks to it over gRPC.
 */

/** The resource's type token, as the engine sees it. */
export const MIGRATION_SET_TYPE = "pulumi-nodejs:dynamic/dbpipe:MigrationSet";

// The gRPC and protobuf modules that @pulumi/pulumi itself resolves: messages built with another
// copy of google-protobuf would not serialize.
const fromPulumi = createRequire(path.join(PROJECT_DIR, "node_modules/@pulumi/pulumi/package.json"));
const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcTypes;
const provrpc = fromPulumi("./proto/provider_grpc_pb") as typeof provrpcTypes;
const provproto = fromPulumi("./proto/provider_pb") as typeof provprotoTypes;
const structproto = fromPulumi("google-protobuf/google/protobuf/struct_pb") as typeof structTypes;

/** What a mocked registration of a MigrationSet carried. */
export interface Registered {
  /** Its inputs as the engine passes them to the provider (secrets unwrapped), `__provider` included. */
  inputs: Record<string, unknown>;
  /** The inputs the SDK sent as secrets. */
  secretInputs: string[];
  /** The serialized provider (`inputs.__provider`). */
  provider: string;
}

/**
 * Registers a MigrationSet for stack `stack` (its settings from the stack's file, as the Pulumi
 * runtime gives them to the program) under Pulumi's mocks, and returns what the engine received.
 */
export async function registerMigrationSet(stack: string, args: Omit<MigrationSetArgs, "settings">, overrides: Record<string, unknown> = {}): Promise<Registered> {
  let inputs: Record<string, unknown> | undefined;
  await pulumi.runtime.setMocks(
    {
      newResource: (resource) => {
        if (resource.type === MIGRATION_SET_TYPE) inputs = resource.inputs as Record<string, unknown>;
        return { id: `${resource.name}-id`, state: resource.inputs };
      },
      call: () => ({}),
    },
    "dbpipe",
    stack,
    false,
  );
  const config = engineConfig(stack, { overrides });
  pulumi.runtime.setAllConfig(config.config, config.secretKeys);
  await pulumi.runtime.runInPulumiStack(async () => {
    new MigrationSet("migrations", { ...args, settings: loadPulumiStackSettings(PROJECT_DIR) });
    return {};
  });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  if (!inputs) throw new Error("no MigrationSet was registered");
  // The engine does not send secrets to the dynamic provider (it does not accept them): it unwraps them.
  const secretInputs = Object.keys(inputs).filter((key) => isSecret(inputs![key]));
  const plain = Object.fromEntries(Object.entries(inputs).map(([key, value]) => [key, isSecret(value) ? value.value : value]));
  return { inputs: plain, secretInputs, provider: plain.__provider as string };
}

function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

/**
 * A second copy of the project at another path, as another machine's clone would be after
 * `npm ci`: the repository's files (tracked and new, nothing ignored), dist/ compiled from its
 * sources, and node_modules (a link to this project's, to save the install).
 */
export function cloneProject(): string {
  const clone = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_DIR, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && fs.existsSync(path.join(PROJECT_DIR, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_DIR, file), path.join(clone, file));
  }
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(clone, "node_modules"), "dir");
  // What `npm ci` (the prepare script, tsc) builds, without its type check: each source compiled
  // on its own to CommonJS.
  for (const file of files.filter((f) => f.startsWith("src/") && f.endsWith(".ts") && !f.endsWith(".d.ts"))) {
    const source = fs.readFileSync(path.join(clone, file), "utf8");
    const out = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true },
    });
    const target = path.join(clone, "dist", file.slice("src/".length).replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, out.outputText);
  }
  return clone;
}

/** A running dynamic-provider plugin and a client of it. */
export class DynamicProvider {
  private stderrText = "";

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: provrpcTypes.ResourceProviderClient,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => (this.stderrText += chunk.toString()));
  }

  /**
   * Starts the plugin in `projectDir` as the engine does: `node <@pulumi/pulumi>/cmd/dynamic-provider
   * <engine address>` with the project as its working directory; it prints its port first.
   */
  static async start(projectDir: string, env: NodeJS.ProcessEnv = {}): Promise<DynamicProvider> {
    const child = spawn(process.execPath, ["node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js", "127.0.0.1:1"], {
      cwd: projectDir,
      env: { ...process.env, PULUMI_NODEJS_PROJECT: "dbpipe", PULUMI_NODEJS_STACK: "prod", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      let err = "";
      child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const line = out.split("\n")[0];
        if (out.includes("\n")) resolve(line.trim());
      });
      child.on("exit", (code) => reject(new Error(`the dynamic provider exited (${code}): ${err}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new DynamicProvider(child, client);
  }

  /** What the plugin wrote to stderr so far. */
  get stderr(): string {
    return this.stderrText;
  }

  private call<Req, Res>(method: keyof provrpcTypes.ResourceProviderClient, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      const fn = this.client[method] as unknown as (req: Req, cb: (err: grpcTypes.ServiceError | null, res: Res) => void) => void;
      fn.call(this.client, request, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** `Check(olds, news)`: the inputs and the failures. */
  async check(urn: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ inputs: Record<string, unknown>; failures: { property: string; reason: string }[] }> {
    const req = new provproto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const res = await this.call<typeof req, provprotoTypes.CheckResponse>("check", req);
    return {
      inputs: (res.getInputs()?.toJavaScript() ?? {}) as Record<string, unknown>,
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** `Diff(id, olds, news)`: whether something changes, and what would replace the resource. */
  async diff(urn: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new provproto.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const res = await this.call<typeof req, provprotoTypes.DiffResponse>("diff", req);
    const kinds = provproto.DiffResponse.DiffChanges;
    const changes = res.getChanges() === kinds.DIFF_SOME ? "some" : res.getChanges() === kinds.DIFF_NONE ? "none" : "unknown";
    return { changes, replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
  }

  /** `Create(properties)`: the id and the outputs. */
  async create(urn: string, properties: Record<string, unknown>): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const req = new provproto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(struct(properties));
    const res = await this.call<typeof req, provprotoTypes.CreateResponse>("create", req);
    return { id: res.getId(), outputs: (res.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown> };
  }

  /** `Update(id, olds, news)`: the outputs. */
  async update(urn: string, id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const req = new provproto.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(struct(olds));
    req.setNews(struct(news));
    const res = await this.call<typeof req, provprotoTypes.UpdateResponse>("update", req);
    return (res.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>;
  }

  /** `Read(id, properties)`: the id and the outputs as read now. */
  async read(urn: string, id: string, properties: Record<string, unknown>): Promise<{ id: string; outputs: Record<string, unknown> }> {
    const req = new provproto.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(struct(properties));
    const res = await this.call<typeof req, provprotoTypes.ReadResponse>("read", req);
    return { id: res.getId(), outputs: (res.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown> };
  }

  /** `Delete(id, properties)`. */
  async delete(urn: string, id: string, properties: Record<string, unknown>): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(struct(properties));
    await this.call<typeof req, unknown>("delete", req);
  }

  /** Kills the plugin with SIGKILL, as a crash or a cancelled CI job does (nothing runs on its way out), and waits for it to end. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once("exit", () => resolve());
        this.child.kill("SIGKILL");
      });
    }
    this.client.close();
  }

  /** Stops the plugin. */
  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.kill();
    });
  }
}

/** A protobuf Struct of a plain object (undefined values dropped, as the SDK drops them). */
function struct(value: Record<string, unknown>): structTypes.Struct {
  return structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(value)) as Record<string, structTypes.JavaScriptValue>);
}

/** The URN of a MigrationSet named `name` in `stack`. */
export function migrationSetUrn(stack: string, name = "migrations"): string {
  return `urn:pulumi:${stack}::dbpipe::${MIGRATION_SET_TYPE}::${name}`;
}

/**
 * The resource's entry in a checkpoint as the engine writes it (the file backend indents with four
 * spaces), secrets as ciphertext of their length: what one resource costs in every checkpoint.
 */
export function stateEntry(urn: string, id: string, inputs: Record<string, unknown>, outputs: Record<string, unknown>): string {
  const encrypt = (value: unknown) => ({
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    ciphertext: Buffer.from(`${"x".repeat(28)}${String(value)}${"x".repeat(16)}`).toString("base64"),
  });
  const secret = (props: Record<string, unknown>) => ({ ...props, databaseUrl: encrypt(props.databaseUrl) });
  return JSON.stringify(
    { urn, custom: true, id, type: MIGRATION_SET_TYPE, inputs: secret(inputs), outputs: secret(outputs), parent: `urn:pulumi:prod::dbpipe::pulumi:pulumi:Stack::dbpipe-prod`, dependencies: [], propertyDependencies: {} },
    null,
    4,
  );
}
