import * as fs from "node:fs";
import * as path from "node:path";
import type { Recorder, Registration } from "./pulumi-mocks";

/** What each tier must produce, written out by hand (not computed from TIER_DEFAULTS) so a test can fail. */
export const TIER_EXPECTATIONS = {
  dev: {
    allowMajorVersionUpgrade: true,
    applyImmediately: true,
    backupRetentionDays: 7,
    deletionProtection: false,
    multiAz: false,
    finalSnapshot: false,
    performanceInsights: false,
    instanceClass: "db.t4g.micro",
    // 80% of (1 GiB − 512 MiB) / 9531392 = 56 connections.
    connectionsAlarm: 44,
    protect: false,
    objectLock: false,
    accessLogs: false,
    forceDestroy: true,
  },
  test: {
    allowMajorVersionUpgrade: true,
    applyImmediately: true,
    backupRetentionDays: 14,
    deletionProtection: false,
    multiAz: false,
    finalSnapshot: false,
    performanceInsights: true,
    instanceClass: "db.t4g.small",
    // 80% of (2 GiB − 512 MiB) / 9531392 = 168.
    connectionsAlarm: 134,
    protect: false,
    objectLock: false,
    accessLogs: false,
    forceDestroy: true,
  },
  prod: {
    allowMajorVersionUpgrade: false,
    applyImmediately: false,
    backupRetentionDays: 30,
    deletionProtection: true,
    multiAz: true,
    finalSnapshot: true,
    performanceInsights: true,
    instanceClass: "db.m6g.large",
    // 80% of (8 GiB − 512 MiB) / 9531392 = 844.
    connectionsAlarm: 675,
    protect: true,
    objectLock: true,
    accessLogs: true,
    forceDestroy: false,
  },
} as const;

const AWS_DIR = path.dirname(require.resolve("@pulumi/aws/package.json"));

/**
 * Whether an `aws:` resource type takes tags, read from the installed SDK's declaration of its
 * arguments, so the list of taggable resources cannot go stale.
 */
export function isTaggable(type: string): boolean {
  const [, module, typeName] = type.split(":");
  const [folder, file] = module.split("/");
  const text = fs.readFileSync(path.join(AWS_DIR, folder, `${file}.d.ts`), "utf8");
  const start = text.indexOf(`export interface ${typeName}Args {`);
  if (start < 0) throw new Error(`no ${typeName}Args in @pulumi/aws/${folder}/${file}.d.ts`);
  const body = text.slice(start, text.indexOf("\n}", start));
  return /\n\s+tags\?: /.test(body);
}

/** A component's type, from a child's parent URN. */
export function parentType(registration: Registration): string {
  const qualified = registration.parent.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

/** The (type, name, protect) of every registration, sorted: what two runs of the same stack must share. */
export function shape(recorder: Recorder): string[] {
  return recorder.registrations.map((r) => `${r.type} ${r.name} protect=${r.protect}`).sort();
}
