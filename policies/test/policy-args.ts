import * as path from "node:path";
import { unknownCheckingProxy } from "@pulumi/policy";
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { engineConfig } from "../../test/infra/helpers/engine-config";
import "../secret-paths";

/**
 * Validation arguments built the way the pack's server builds them from an engine request: the
 * props go through a protobuf Struct and the policy SDK's own deserializer and unknown-checking
 * proxy, so secrets and values unknown at preview behave as they do under `pulumi preview`.
 */

// The google-protobuf that @pulumi/pulumi resolves, as the SDK's server uses.
const PULUMI_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [PULUMI_DIR] })) as {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deserialize = require("@pulumi/policy/deserialize") as { deserializeProperties(struct: unknown, proxySecrets: boolean): Record<string, unknown> };

/** A secret input, as the engine sends it. */
export function secret(value: unknown): Record<string, unknown> {
  return { [rpc.specialSigKey]: rpc.specialSecretSig, value };
}

/** A value unknown during preview, as the engine sends it. */
export const UNKNOWN = rpc.unknownValue;

/** Props as a policy sees them after the engine sent `inputs`. */
export function policyProps(inputs: Record<string, unknown>): Record<string, unknown> {
  const struct = Struct.fromJavaScript(JSON.parse(JSON.stringify(inputs)));
  return unknownCheckingProxy(deserialize.deserializeProperties(struct, false));
}

/** A URN for a resource of `type` named `name` under components of `parents` types (outermost first). */
export function urnOf(stack: string, type: string, name: string, parents: readonly string[] = []): string {
  return `urn:pulumi:${stack}::dbpipe::${[...parents, type].join("$")}::${name}`;
}

/** One resource as a test describes it. */
export interface TestResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Pulumi protect. Default false. */
  protect?: boolean;
  /** Types of the components above it, outermost first. */
  parents?: string[];
  /** Input name to the names of the resources it depends on (e.g. `{ bucket: ["backups-bucket"] }`). */
  propertyDependencies?: Record<string, string[]>;
}

/** The arguments of a resource validation of `resource` in stack `stack`. */
export function resourceArgs(stack: string, resource: TestResource): ResourceValidationArgs {
  const props = policyProps(resource.inputs);
  return {
    type: resource.type,
    props,
    urn: urnOf(stack, resource.type, resource.name, resource.parents),
    name: resource.name,
    opts: { protect: resource.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T>() => ({}) as T,
    notApplicable: (reason?: string) => {
      throw new Error(`not applicable: ${reason}`);
    },
  } as ResourceValidationArgs;
}

/** The messages `policy` reports for `resource`. */
export async function resourceViolations(policy: ResourceValidationPolicy, stack: string, resource: TestResource): Promise<string[]> {
  const messages: string[] = [];
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const validate of validations) await validate?.(resourceArgs(stack, resource), (message) => messages.push(message));
  return messages;
}

/** The messages `policy` reports for a stack of `resources`. */
export async function stackViolations(policy: StackValidationPolicy, stack: string, resources: readonly TestResource[]): Promise<string[]> {
  const byName = new Map<string, PolicyResource>();
  const policyResources = resources.map((r) => {
    const resource = {
      type: r.type,
      props: policyProps(r.inputs),
      urn: urnOf(stack, r.type, r.name, r.parents),
      name: r.name,
      opts: { protect: r.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    } as unknown as PolicyResource;
    byName.set(r.name, resource);
    return resource;
  });
  resources.forEach((r, i) => {
    for (const [key, names] of Object.entries(r.propertyDependencies ?? {})) {
      policyResources[i].propertyDependencies[key] = names.map((n) => {
        const target = byName.get(n);
        if (!target) throw new Error(`no resource ${n}`);
        return target;
      });
    }
  });
  const messages: string[] = [];
  const args = { resources: policyResources, getConfig: <T>() => ({}) as T, stackTags: new Map(), notApplicable: () => undefined } as unknown as StackValidationArgs;
  await policy.validateStack(args, (message) => messages.push(message));
  return messages;
}

/** Makes the Pulumi runtime answer for `stack`, with its shipped config plus `overrides` (as `pulumi config set` would). */
export async function analyse(stack: string, overrides: Record<string, unknown> = {}): Promise<void> {
  await pulumi.runtime.setMocks({ newResource: () => ({ id: undefined, state: {} }), call: () => ({}) }, "dbpipe", stack, true);
  pulumi.runtime.setAllConfig(engineConfig(stack, { overrides }).config);
}
