/**
 * The RDS instance classes dbpipe accepts for PostgreSQL, with their memory, and the default
 * `max_connections` RDS gives each: `LEAST({DBInstanceClassMemory/9531392}, 5000)` in the default
 * PostgreSQL parameter group (Amazon RDS User Guide, "Maximum number of database connections"; dbpipe's
 * parameter group leaves `max_connections` at that default).
 *
 * `DBInstanceClassMemory` is the class's memory less what RDS keeps for the operating system and its
 * own processes, which AWS does not publish; values measured on running instances (`SHOW
 * max_connections`: 198 on 2 GiB classes, 413 on 4 GiB, 856 on 8 GiB) put it 250–450 MiB below the
 * class's memory. {@link maxConnections} takes {@link RESERVED_MIB} off, so it errs low and an alarm
 * derived from it fires before the real limit rather than after.
 */

/** Memory of each class, GiB (Amazon RDS User Guide, "Hardware specifications for DB instance classes"). */
export const RDS_INSTANCE_CLASS_MEMORY_GIB: Readonly<Record<string, number>> = {
  // Burstable: the same sizes on Intel (t3) and Graviton2 (t4g).
  ...family(["db.t3", "db.t4g"], { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32 }),
  // General purpose: 4 GiB per vCPU.
  ...family(["db.m5"], generalPurpose(["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"])),
  ...family(["db.m6g", "db.m7g"], generalPurpose(["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"])),
  ...family(["db.m6i"], generalPurpose(["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"])),
  // Memory optimised: 8 GiB per vCPU.
  ...family(["db.r5"], memoryOptimised(["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"])),
  ...family(["db.r6g", "db.r7g"], memoryOptimised(["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"])),
  ...family(["db.r6i"], memoryOptimised(["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"])),
};

/** What {@link maxConnections} takes off a class's memory for the operating system and RDS's processes, MiB. */
export const RESERVED_MIB = 512;

/** RDS's divisor: bytes of `DBInstanceClassMemory` per connection in the default formula. */
const BYTES_PER_CONNECTION = 9_531_392;

/** RDS's cap in the default formula. */
const MAX_CONNECTIONS_CAP = 5000;

/** Share of `max_connections` at which the connections alarm fires by default, percent. */
export const CONNECTIONS_ALARM_PERCENT = 80;

/**
 * The `max_connections` RDS gives `instanceClass` by default, estimated low (see the module's
 * comment): `LEAST((memory − 512 MiB) / 9531392, 5000)`. Throws for a class not in the table.
 */
export function maxConnections(instanceClass: string): number {
  const gib = RDS_INSTANCE_CLASS_MEMORY_GIB[instanceClass];
  if (gib === undefined) throw new Error(`no memory size known for RDS instance class ${instanceClass}`);
  const bytes = (gib * 1024 - RESERVED_MIB) * 1024 * 1024;
  return Math.min(Math.floor(bytes / BYTES_PER_CONNECTION), MAX_CONNECTIONS_CAP);
}

/** The connections alarm's default threshold for `instanceClass`: 80% of {@link maxConnections}. */
export function connectionsAlarmThreshold(instanceClass: string): number {
  return Math.floor((maxConnections(instanceClass) * CONNECTIONS_ALARM_PERCENT) / 100);
}

function family(prefixes: string[], sizes: Record<string, number>): Record<string, number> {
  return Object.fromEntries(prefixes.flatMap((prefix) => Object.entries(sizes).map(([size, gib]) => [`${prefix}.${size}`, gib])));
}

/** `large` has 2 vCPUs, `xlarge` 4, `<n>xlarge` 4n. */
function vcpus(size: string): number {
  if (size === "large") return 2;
  if (size === "xlarge") return 4;
  return 4 * Number(size.replace("xlarge", ""));
}

function generalPurpose(sizes: string[]): Record<string, number> {
  return Object.fromEntries(sizes.map((size) => [size, vcpus(size) * 4]));
}

function memoryOptimised(sizes: string[]): Record<string, number> {
  return Object.fromEntries(sizes.map((size) => [size, vcpus(size) * 8]));
}
