import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import * as rpc from "@pulumi/pulumi/runtime/rpc";

/**
 * A stand-in for the Pulumi engine and its providers, shared by the in-process tests (through
 * `pulumi.runtime.setMocks`) and the test that runs the program as `pulumi up` does (through a gRPC
 * server). It answers registrations and invokes with plausible cloud state, and records every
 * registration *request* as the SDK sent it — inputs with their secret markers, and the options a
 * mock's `newResource` never sees (`protect`, `parent`, `provider`, `additionalSecretOutputs`).
 */

/** The RDS master password the mocked Secrets Manager returns. */
export const MASTER_PASSWORD = "MasterPw0rdFromSecretsManager42";

/** One resource registration, as the engine would have received it. */
export interface Registration {
  /** Type token, e.g. `aws:rds/instance:Instance`. */
  type: string;
  /** Logical name. */
  name: string;
  /** Inputs; a secret input is `{ [sigKey]: secretSig, value }`. */
  inputs: Record<string, unknown>;
  /** `protect` resource option. */
  protect: boolean;
  /** URN of the parent ("" for none). */
  parent: string;
  /** Provider reference (`urn::id`), "" for the default provider. */
  provider: string;
  /** Whether it is a custom resource (false for components). */
  custom: boolean;
  /** Outputs the engine must keep secret. */
  additionalSecretOutputs: string[];
  /** `ignoreChanges` resource option. */
  ignoreChanges: string[];
  /** `retainOnDelete` resource option. */
  retainOnDelete: boolean;
  /** `aliases` resource option, as alias specs (`{ name, type, stack, project, parentUrn, noParent }`, unset fields empty) or URNs. */
  aliases: Record<string, unknown>[];
  /** URNs of the resources it depends on (`dependsOn` and the resources its inputs come from). */
  dependencies: string[];
  /** Its URN, as the SDK computes it. */
  urn: string;
}

/** One invoke. */
export interface Invocation {
  /** Function token. */
  token: string;
  /** Arguments. */
  args: Record<string, unknown>;
}

/** The minimal shape of a `RegisterResourceRequest` this file reads. */
export interface RegisterResourceRequestLike {
  getType(): string;
  getName(): string;
  getObject(): unknown;
  getProtect(): boolean;
  getParent(): string;
  getProvider(): string;
  getCustom(): boolean;
  getAdditionalsecretoutputsList(): string[];
  getRetainondelete(): boolean | undefined;
  getIgnorechangesList(): string[];
  getAliasesList(): { toObject(): Record<string, unknown> }[];
  getDependenciesList(): string[];
}

/** What a run recorded. */
export class Recorder {
  readonly registrations: Registration[] = [];
  readonly invocations: Invocation[] = [];
  /** Every generated password, so tests can look for them in plain text. */
  readonly passwords = new Set<string>([MASTER_PASSWORD]);
  /** Answer the default-VPC lookup with none, as in an account set up by Control Tower. */
  noDefaultVpc = false;
  /** The master password the RDS-managed secret holds now (RDS rotates it every 7 days). */
  masterPassword = MASTER_PASSWORD;
  /** The stack resource's outputs, as registered (secret markers kept). */
  stackOutputs: Record<string, unknown> | undefined;

  /** Records a `RegisterResourceRequest`. */
  record(req: RegisterResourceRequestLike): Registration {
    const registration: Registration = {
      type: req.getType(),
      name: req.getName(),
      inputs: rpc.deserializeProperties(req.getObject() as never, true) as Record<string, unknown>,
      protect: Boolean(req.getProtect()),
      parent: req.getParent(),
      provider: req.getProvider(),
      custom: req.getCustom(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      ignoreChanges: req.getIgnorechangesList(),
      retainOnDelete: Boolean(req.getRetainondelete()),
      aliases: req.getAliasesList().map((alias) => {
        const o = alias.toObject() as { urn?: string; spec?: Record<string, unknown> };
        return o.urn ? { urn: o.urn } : (o.spec ?? {});
      }),
      dependencies: req.getDependenciesList(),
      urn: urnOf(req),
    };
    this.registrations.push(registration);
    return registration;
  }

  /** Registrations of one type. */
  ofType(type: string): Registration[] {
    return this.registrations.filter((r) => r.type === type);
  }

  /** The one registration of `type` (and `name`, when given); throws when there is not exactly one. */
  one(type: string, name?: string): Registration {
    const found = this.ofType(type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0];
  }

  /** The mocks to hand to `setMocks` (or to a `MockMonitor`). */
  mocks(): pulumi.runtime.Mocks {
    return {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        const secretOutputs = [...this.registrations].reverse().find((r) => r.type === args.type && r.name === args.name)?.additionalSecretOutputs ?? [];
        const state = { ...inputs, ...this.computedState(args.type, args.name) };
        // What the engine does with `additionalSecretOutputs`: those outputs come back secret.
        for (const key of secretOutputs) if (key in state && !isSecretValue(state[key])) state[key] = secretValue(state[key]);
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call: (args) => {
        this.invocations.push({ token: args.token, args: args.inputs as Record<string, unknown> });
        switch (args.token) {
          case "aws:ec2/getVpcs:getVpcs":
            return { id: "us-east-1", ids: this.noDefaultVpc ? [] : ["vpc-0default00000000"] };
          case "aws:index/getRegion:getRegion":
            return { id: "us-east-1", region: "us-east-1", name: "us-east-1" };
          case "aws:index/getPartition:getPartition":
            return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com" };
          case "aws:ssm/getParameter:getParameter":
            return { id: args.inputs.name, name: args.inputs.name, value: "ami-0al2023arm64000000", type: "String" };
          case "aws:ec2/getSubnets:getSubnets":
            return { id: "us-east-1", ids: ["subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333"] };
          case "aws:secretsmanager/getSecretVersion:getSecretVersion":
            return {
              arn: args.inputs.secretId,
              secretId: args.inputs.secretId,
              secretString: JSON.stringify({ username: "dbpipe_admin", password: this.masterPassword }),
              versionId: "v1",
              versionStages: ["AWSCURRENT"],
            };
          default:
            throw new Error(`unexpected invoke ${args.token}`);
        }
      },
    };
  }

  /** Outputs a provider would compute for a new resource. */
  private computedState(type: string, name: string): Record<string, unknown> {
    const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:123456789012:${resource}`;
    switch (type) {
      case "aws:kms/key:Key":
        return { arn: arn("kms", `key/${name}`), keyId: `${name}-key-id` };
      case "aws:rds/instance:Instance":
        return {
          identifier: name,
          address: `${name}.c0abc123.us-east-1.rds.amazonaws.com`,
          port: 5432,
          endpoint: `${name}.c0abc123.us-east-1.rds.amazonaws.com:5432`,
          arn: arn("rds", `db:${name}`),
          masterUserSecrets: [{ secretArn: arn("secretsmanager", `secret:rds!db-${name}`), kmsKeyId: "key", secretStatus: "active" }],
        };
      case "aws:ec2/instance:Instance":
        return { arn: arn("ec2", `instance/${name}-id`), privateIp: "172.31.5.10" };
      case "aws:iam/role:Role":
      case "aws:iam/instanceProfile:InstanceProfile":
        return { name, arn: `arn:aws:iam::123456789012:${type.endsWith("Role") ? "role" : "instance-profile"}/${name}` };
      case "aws:rds/subnetGroup:SubnetGroup":
      case "aws:rds/parameterGroup:ParameterGroup":
        return { name, arn: arn("rds", `x:${name}`) };
      case "aws:s3/bucket:Bucket":
        return { bucket: name, arn: `arn:aws:s3:::${name}` };
      case "aws:secretsmanager/secret:Secret":
        return { arn: arn("secretsmanager", `secret:${name}`) };
      case "random:index/randomPassword:RandomPassword": {
        const password = `Pw${createHash("sha256").update(name).digest("hex").slice(0, 30)}`;
        this.passwords.add(password);
        return { result: password };
      }
      case "random:index/randomId:RandomId":
        return { hex: "a1b2c3d4", b64Url: "obLD1A" };
      default:
        return {};
    }
  }

  /** Records a stack's outputs from a `RegisterResourceOutputsRequest`-like object. */
  recordStackOutputs(outputs: unknown): void {
    this.stackOutputs = rpc.deserializeProperties(outputs as never, true) as Record<string, unknown>;
  }
}

/** The URN the mock monitor gives a registration: `urn:pulumi:<stack>::<project>::<parent types$>type::name`. */
function urnOf(req: RegisterResourceRequestLike): string {
  const parent = req.getParent();
  const m = /^urn:pulumi:([^:]*)::([^:]*)::(.*)::[^:]*$/.exec(parent);
  if (!m) return `urn:pulumi:?::?::${req.getType()}::${req.getName()}`;
  // As the mock monitor builds URNs: the parent's own type, then the resource's.
  return `urn:pulumi:${m[1]}::${m[2]}::${m[3].split("$").pop()}$${req.getType()}::${req.getName()}`;
}

/** True for a secret as the SDK serializes it. */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

/** Wraps a value as a secret, the way the engine returns one. */
export function secretValue(value: unknown): Record<string, unknown> {
  return { [rpc.specialSigKey]: rpc.specialSecretSig, value };
}

/** The value under a secret marker, or the value itself. */
export function unwrap(value: unknown): unknown {
  return isSecretValue(value) ? value.value : value;
}

/**
 * Every place a password appears outside a secret: `where` names the resource and the input path.
 * Walks inputs the way the engine would store them.
 */
export function plainPasswords(recorder: Recorder, values: Iterable<[string, unknown]>): string[] {
  const passwords = [...recorder.passwords];
  const found: string[] = [];
  const walk = (value: unknown, where: string, secret: boolean) => {
    if (isSecretValue(value)) return walk(value.value, where, true);
    if (typeof value === "string") {
      if (!secret && passwords.some((p) => value.includes(p) || value.includes(encodeURIComponent(p)))) found.push(where);
      return;
    }
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${where}[${i}]`, secret));
    if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`, secret);
    }
  };
  for (const [where, value] of values) walk(value, where, false);
  return found;
}
