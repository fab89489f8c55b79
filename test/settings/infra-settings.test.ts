import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLE_URL, redactText } from "../../src/redact";
import { readStackFile } from "../../src/settings/stack-file";
import { type RawStackConfig, SettingsError, type StackSettings, parseStackSettings } from "../../src/settings/stack-settings";

/**
 * The infra half of the stack settings: one valid prod stack as the Pulumi runtime hands it over
 * (every value a string, Pulumi.yaml's unset defaults applied), changed one key per test, with the
 * exact message a user reads.
 */

const NEON = "postgresql://neondb_owner:S3cretPw@ep-cool-123.us-east-2.aws.neon.tech/neondb?sslmode=require";

/** A valid prod stack's config, as `pulumi up` passes it to the program. */
function prodConfig(): Record<string, string> {
  return {
    "aws:region": "eu-west-1",
    "dbpipe:tier": "prod",
    "dbpipe:server": "rds",
    "dbpipe:databaseName": "orders",
    "dbpipe:schemaName": "",
    "dbpipe:extensions": '["pgcrypto","vector"]',
    "dbpipe:backupRetentionDays": "",
    "dbpipe:backupObjectLock": "",
    "dbpipe:backupObjectLockMode": "COMPLIANCE",
    "dbpipe:protectResources": "",
    "dbpipe:deletionProtection": "",
    "dbpipe:multiAz": "",
    "dbpipe:instanceClass": "db.r6g.large",
    "dbpipe:vpcId": "vpc-0abc1234",
    "dbpipe:subnetIds": '["subnet-0aaa1111","subnet-0bbb2222"]',
    "dbpipe:allowedCidrs": '["10.0.0.0/16"]',
    "dbpipe:adminEndpoint": "localhost:15432",
    "dbpipe:alarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:db-alerts",
    "dbpipe:directUrl": "",
    "dbpipe:pooledUrl": "",
  };
}

/** Parses `values` as stack `stack`'s runtime config, with `secretKeys` secret; `deploy` as `pulumi up` does. */
function parse(values: Record<string, string | undefined>, options: { stack?: string; secretKeys?: string[]; deploy?: boolean } = {}): StackSettings {
  const raw: RawStackConfig = {
    stack: options.stack ?? "prod",
    source: "Pulumi config",
    values: Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
    secretKeys: new Set(options.secretKeys ?? []),
  };
  return parseStackSettings(raw, { deploy: options.deploy });
}

/** The message of the SettingsError `parse` throws, or a failure when it does not throw. */
function problems(values: Record<string, string | undefined>, options?: { stack?: string; secretKeys?: string[]; deploy?: boolean }): string {
  try {
    parse(values, options);
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error("expected invalid settings");
}

/** One problem, as the SettingsError message lists it. */
const only = (line: string) => `Pulumi config: invalid stack settings:\n  Pulumi config: ${line}`;

describe("infra settings", () => {
  it("read a valid prod stack, with the tier deciding what is left unset", () => {
    const { infra } = parse(prodConfig());
    expect(infra).toEqual({
      server: "rds",
      databaseName: "orders",
      schemaName: "orders",
      extensions: ["pgcrypto", "vector"],
      backupRetentionDays: 30,
      backupObjectLock: true,
      backupObjectLockMode: "COMPLIANCE",
      backupForceDestroy: false,
      protectResources: true,
      deletionProtection: true,
      multiAz: true,
      finalSnapshot: true,
      performanceInsights: true,
      instanceClass: "db.r6g.large",
      allocatedStorageGb: 100,
      maxAllocatedStorageGb: 1000,
      engineVersion: "15",
      allowMajorVersionUpgrade: false,
      applyImmediately: false,
      slowStatementMs: 1000,
      vpcId: "vpc-0abc1234",
      subnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"],
      allowedCidrs: ["10.0.0.0/16"],
      allowedSecurityGroupIds: [],
      networkPath: undefined,
      adminEndpoint: { host: "localhost", port: 15432 },
      tunnelWaitMs: 15 * 60_000,
      bastionSubnetId: undefined,
      bastionVpcEndpoints: false,
      alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:db-alerts",
      alarmCpuPercent: 80,
      alarmFreeStorageMb: 2048,
      // 80% of db.r6g.large's max_connections (16 GiB less 512 MiB, / 9531392 = 1746).
      alarmConnections: 1396,
      directUrl: undefined,
      pooledUrl: undefined,
      sslmode: "verify-full",
      sslRootCert: undefined,
      awsRegion: "eu-west-1",
    });
  });

  it("read an unset tier from the stack's name", () => {
    expect(parse({ ...prodConfig(), "dbpipe:tier": "" }).tier).toBe("prod");
  });

  it("let a test stack be destroyed with its backups, never a prod one", () => {
    const test = parse({ "dbpipe:tier": "test" }, { stack: "staging" });
    expect([test.infra.backupForceDestroy, test.infra.protectResources, test.infra.backupObjectLock]).toEqual([true, false, false]);
  });

  it("refuse an empty value for a key with a fixed default", () => {
    expect(problems({ ...prodConfig(), "dbpipe:databaseName": "" })).toBe(only("dbpipe:databaseName: must not be empty"));
  });

  it("refuse a prod stack without deletion protection", () => {
    expect(problems({ ...prodConfig(), "dbpipe:deletionProtection": "false" })).toBe(
      only("dbpipe:deletionProtection: must be true in prod: a prod database must not be deletable by one command"),
    );
  });

  it("refuse a prod stack without final snapshot", () => {
    expect(problems({ ...prodConfig(), "dbpipe:finalSnapshot": "false" })).toBe(
      only("dbpipe:finalSnapshot: must be true in prod: deleting the instance must leave a final snapshot"),
    );
  });

  it("refuse a prod stack without protect", () => {
    expect(problems({ ...prodConfig(), "dbpipe:protectResources": "false" })).toBe(
      only("dbpipe:protectResources: must be true in prod: pulumi destroy and replacements must not touch the server, database or backups"),
    );
  });

  it("refuse a prod stack without Object Lock on its backups", () => {
    expect(problems({ ...prodConfig(), "dbpipe:backupObjectLock": "false" })).toBe(
      only("dbpipe:backupObjectLock: must be true in prod: backups must not be deletable before their retention ends"),
    );
  });

  it("refuse a prod stack without a region", () => {
    expect(problems({ ...prodConfig(), "aws:region": undefined })).toBe(
      only("aws:region: is required in prod: run `pulumi config set aws:region <region> --stack prod` so the region never depends on who runs pulumi up"),
    );
  });

  it("refuse backups later than the tier takes them, and accept earlier ones", () => {
    expect(problems({ ...prodConfig(), "dbpipe:backupBefore": "high" })).toBe(
      only("dbpipe:backupBefore: cannot be high in prod: the tier takes a backup before every migration of medium risk or above (allowed: low, medium)"),
    );
    expect(problems({ "dbpipe:tier": "test", "dbpipe:backupBefore": "never" }, { stack: "staging" })).toBe(
      only("dbpipe:backupBefore: cannot be never in test: the tier takes a backup before every migration of high risk or above (allowed: low, medium, high)"),
    );
    expect(parse({ ...prodConfig(), "dbpipe:backupBefore": "low" }).risk.backupBefore).toBe("low");
    expect(parse({ "dbpipe:tier": "dev", "dbpipe:backupBefore": "never" }, { stack: "dev" }).risk.backupBefore).toBe("never");
  });

  it("refuse approvals later than the tier asks for them, in prod, and accept earlier ones", () => {
    expect(problems({ ...prodConfig(), "dbpipe:requireApprovalAt": "never" })).toBe(
      only("dbpipe:requireApprovalAt: cannot be never in prod: the tier refuses high-risk migrations without an approval (allowed: low, medium, high)"),
    );
    expect(parse({ ...prodConfig(), "dbpipe:requireApprovalAt": "medium" }).risk.requireApprovalAt).toBe("medium");
    expect(parse({ "dbpipe:tier": "test", "dbpipe:requireApprovalAt": "never" }, { stack: "staging" }).risk.requireApprovalAt).toBe("never");
  });

  it("refuse lowering or turning off a high rule in prod (it would skip the approval), and accept raising rules and lowering the others", () => {
    const lowered = { ...prodConfig(), "dbpipe:ruleSeverity": JSON.stringify({ "drop-table": "low", truncate: "off", "update-without-where": "high", "drop-column": "low", "missing-lock-timeout": "off", "create-extension": "high" }) };
    const because = "findings are high risk, and the tier refuses high-risk migrations without an approval, so a rule may be raised there but not lowered below high; approve the migration in dbpipe:approvals instead (`dbpipe lint` prints the entry to add when it refuses one)";
    expect(problems(lowered)).toBe(
      "Pulumi config: invalid stack settings:\n" +
        `  Pulumi config: dbpipe:ruleSeverity.drop-table: cannot be low in prod: drop-table ${because}\n` +
        `  Pulumi config: dbpipe:ruleSeverity.truncate: cannot be off in prod: truncate ${because}`,
    );
    const accepted = { ...prodConfig(), "dbpipe:ruleSeverity": JSON.stringify({ "update-without-where": "high", "drop-column": "low", "missing-lock-timeout": "off", "create-extension": "high" }) };
    expect(parse(accepted).risk.ruleSeverity).toEqual({ "update-without-where": "high", "drop-column": "low", "missing-lock-timeout": "off", "create-extension": "high" });
    // Other tiers do not require approvals: there a rule may be lowered or turned off.
    expect(parse({ "dbpipe:tier": "test", "dbpipe:ruleSeverity": JSON.stringify({ "drop-table": "off" }) }, { stack: "staging" }).risk.ruleSeverity).toEqual({ "drop-table": "off" });
  });

  it("refuse a retention below the tier's minimum", () => {
    expect(problems({ ...prodConfig(), "dbpipe:backupRetentionDays": "14" })).toBe(only("dbpipe:backupRetentionDays: 14 is below the prod tier's minimum of 30 days"));
  });

  it("refuse a retention that is not a number", () => {
    expect(problems({ ...prodConfig(), "dbpipe:backupRetentionDays": "two weeks" })).toBe(only('dbpipe:backupRetentionDays: must be a whole number, got "two weeks"'));
  });

  it("refuse an unknown Object Lock mode", () => {
    expect(problems({ ...prodConfig(), "dbpipe:backupObjectLockMode": "LEGAL_HOLD" })).toBe(
      only('dbpipe:backupObjectLockMode: must be one of GOVERNANCE, COMPLIANCE, got "LEGAL_HOLD"'),
    );
  });

  it("refuse the public schema", () => {
    expect(problems({ ...prodConfig(), "dbpipe:schemaName": "public" })).toBe(
      only("dbpipe:schemaName: cannot be public: dbpipe creates and owns this schema, so it must be one of its own (the default is the database name)"),
    );
  });

  it("refuse a subnet group of one subnet", () => {
    expect(problems({ ...prodConfig(), "dbpipe:subnetIds": '["subnet-0aaa1111"]' })).toBe(
      only("dbpipe:subnetIds: must list at least two subnets in different availability zones, got 1"),
    );
  });

  it("refuse subnets without their VPC", () => {
    expect(problems({ ...prodConfig(), "dbpipe:vpcId": "" })).toBe(
      only("dbpipe:subnetIds: needs dbpipe:vpcId: subnets belong to a VPC, and the security group must be created in the same one"),
    );
  });

  it("refuse a security group that is not an id", () => {
    expect(problems({ ...prodConfig(), "dbpipe:allowedSecurityGroupIds": '["web-servers"]' })).toBe(
      only('dbpipe:allowedSecurityGroupIds: [0] must be an id such as sg-0abc123, got "web-servers"'),
    );
  });

  it("refuse an admin endpoint without a port", () => {
    expect(problems({ ...prodConfig(), "dbpipe:adminEndpoint": "localhost" })).toBe(
      only('dbpipe:adminEndpoint: must be host:port, such as localhost:15432, got "localhost"'),
    );
  });

  it("refuse an alarm topic that is not an SNS ARN", () => {
    expect(problems({ ...prodConfig(), "dbpipe:alarmTopicArn": "db-alerts" })).toBe(
      only('dbpipe:alarmTopicArn: must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:alerts, got "db-alerts"'),
    );
  });

  it("refuse a storage ceiling below the storage", () => {
    expect(problems({ ...prodConfig(), "dbpipe:maxAllocatedStorageGb": "50" })).toBe(
      only("dbpipe:maxAllocatedStorageGb: (50) must be at least dbpipe:allocatedStorageGb (100)"),
    );
  });

  it("require of pulumi up, not of the CLI's commands, a network path and, with vpc, something it lets in", () => {
    const closed = { ...prodConfig(), "dbpipe:networkPath": "vpc", "dbpipe:allowedCidrs": "" };
    expect(problems(closed, { deploy: true })).toBe(
      only(
        "dbpipe:networkPath: is vpc, but neither dbpipe:allowedCidrs nor dbpipe:allowedSecurityGroupIds lets anything in: list the CIDR or the security group of the runner that runs pulumi up, or use networkPath tunnel",
      ),
    );
    expect(parse(closed).infra.networkPath).toBe("vpc");
    expect(problems({ ...prodConfig() }, { deploy: true })).toMatch(/^Pulumi config: invalid stack settings:\n {2}Pulumi config: dbpipe:networkPath: is required when dbpipe:server is rds: /);
  });

  it("refuse a URL in rds mode", () => {
    expect(problems({ ...prodConfig(), "dbpipe:directUrl": NEON }, { secretKeys: ["dbpipe:directUrl"] })).toBe(
      only("dbpipe:directUrl: is only used when dbpipe:server is external"),
    );
  });
});

describe("external mode settings", () => {
  const external = () => ({ ...prodConfig(), "dbpipe:server": "external", "dbpipe:directUrl": NEON });

  it("read the secret URLs, keeping them marked secret", () => {
    const { infra } = parse(external(), { secretKeys: ["dbpipe:directUrl"] });
    expect([infra.server, infra.directUrl, infra.pooledUrl]).toEqual(["external", { secret: true, value: NEON }, undefined]);
  });

  it("refuse a URL in plain text, without repeating it", () => {
    const message = problems(external());
    expect(message).toBe(
      only("dbpipe:directUrl: must be a secret, not plain text: remove it and run `pulumi config set --secret directUrl <url> --stack prod`"),
    );
    expect(message).not.toContain("S3cretPw");
  });

  it("refuse a secret that is not a PostgreSQL URL, without repeating it", () => {
    const message = problems({ ...external(), "dbpipe:directUrl": "mysql://root:S3cretPw@db/app" }, { secretKeys: ["dbpipe:directUrl"] });
    expect(message).toBe(only(`dbpipe:directUrl: must be a postgres:// or postgresql:// URL such as ${EXAMPLE_URL}`));
  });

  it("show the example URL whole, not redacted, where a secret URL lacks its user or host", () => {
    const noUser = problems({ ...external(), "dbpipe:directUrl": "postgresql://:S3cretPw@db.example.com/app" }, { secretKeys: ["dbpipe:directUrl"] });
    expect(noUser).toBe(only("dbpipe:directUrl: must name a user (postgres://USER:PASSWORD@HOST:5432/DATABASE)"));
    expect(redactText(noUser)).toBe(noUser);
    const noHost = problems({ ...external(), "dbpipe:directUrl": "postgresql:///app" }, { secretKeys: ["dbpipe:directUrl"] });
    expect(noHost).toBe(only(`dbpipe:directUrl: must name a host (${EXAMPLE_URL})`));
  });

  it("refuse a URL whose password needs percent-encoding, without repeating it", () => {
    const message = problems({ ...external(), "dbpipe:directUrl": "postgresql://admin:pa/ss@db.example.com/app" }, { secretKeys: ["dbpipe:directUrl"] });
    expect(message).toBe(only("dbpipe:directUrl: is not a valid URL (a password with @, : or / in it must be percent-encoded)"));
    expect(message).not.toContain("pa/ss");
  });

  it("require the direct URL for pulumi up", () => {
    expect(problems({ ...external(), "dbpipe:directUrl": "" }, { deploy: true })).toBe(
      only("dbpipe:directUrl: is required when dbpipe:server is external: run `pulumi config set --secret directUrl <url> --stack prod`"),
    );
  });

  it("do not require it of the CLI's commands, which connect to the URL they are given (lint to none), and keep prod's rules there", () => {
    const { infra, tier } = parse({ ...external(), "dbpipe:directUrl": "" });
    expect([tier, infra.server, infra.directUrl]).toEqual(["prod", "external", undefined]);
    expect(problems({ ...external(), "dbpipe:directUrl": "", "dbpipe:tier": "dev" })).toBe(
      only("dbpipe:tier: must be prod in a stack named prod, got dev: a stack named after a tier has that tier (name the stack something else for another tier)"),
    );
    expect(problems({ ...external(), "dbpipe:directUrl": "", "dbpipe:protectResources": "false" })).toContain("dbpipe:protectResources: must be true in prod");
  });

  it("accept a secret the CLI cannot decrypt", () => {
    const raw: RawStackConfig = { stack: "prod", source: "Pulumi.prod.yaml", values: { ...external(), "dbpipe:directUrl": undefined }, secretKeys: new Set(["dbpipe:directUrl"]) };
    expect(parseStackSettings(raw).infra.directUrl).toEqual({ secret: true });
  });
});

describe("a stack file with several problems", () => {
  it("reports them all at once, in file order, each with its key and line", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-settings-"));
    try {
      fs.writeFileSync(
        path.join(dir, "Pulumi.prod.yaml"),
        [
          "config:",
          "  aws:region: eu-west-1",
          "  dbpipe:tier: prod",
          "  dbpipe:deletionProtection: false",
          "  dbpipe:backupRetentionDays: 7",
          "  dbpipe:multiAZ: true",
          "  dbpipe:allowedCidrs: [10.0.0.0]",
          "",
        ].join("\n"),
      );
      const raw = readStackFile(dir, "prod");
      expect(() => parseStackSettings(raw as RawStackConfig)).toThrow(
        [
          "Pulumi.prod.yaml: invalid stack settings:",
          "  Pulumi.prod.yaml:4: dbpipe:deletionProtection: must be true in prod: a prod database must not be deletable by one command",
          "  Pulumi.prod.yaml:5: dbpipe:backupRetentionDays: 7 is below the prod tier's minimum of 30 days",
          "  Pulumi.prod.yaml:6: dbpipe:multiAZ: unknown key (did you mean dbpipe:multiAz?)",
          '  Pulumi.prod.yaml:7: dbpipe:allowedCidrs: [0] must be a CIDR block such as 10.0.0.0/16, got "10.0.0.0"',
        ].join("\n"),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("TLS settings", () => {
  const external = (extra: Record<string, string>) =>
    parse({ "dbpipe:server": "external", "dbpipe:directUrl": "postgres://neondb_owner:pw@ep-x.eu-central-1.aws.neon.tech/neondb?sslmode=verify-full", ...extra }, { stack: "dev", secretKeys: ["dbpipe:directUrl"] });

  it("verify the RDS certificate fully over the VPC and its CA through the tunnel, where the host is localhost", () => {
    expect(parse({ ...prodConfig(), "dbpipe:networkPath": "vpc" }).infra.sslmode).toBe("verify-full");
    expect(parse({ ...prodConfig(), "dbpipe:networkPath": "tunnel", "dbpipe:adminEndpoint": "" }).infra.sslmode).toBe("verify-ca");
  });

  it("take an external host's sslmode from its URL, else require", () => {
    expect(external({}).infra.sslmode).toBe("verify-full");
    expect(external({ "dbpipe:directUrl": "postgres://u:pw@db.abcdefghij.supabase.co/postgres" }).infra.sslmode).toBe("require");
    expect(external({ "dbpipe:directUrl": "postgres://u:pw@db.example.internal/postgres?sslmode=disable" }).infra.sslmode).toBe("require");
    // A socket URL with a user and no host (which WHATWG URLs refuse and libpq reads) is read for its sslmode too.
    expect(external({ "dbpipe:directUrl": "postgresql://u:pw@/postgres?host=/var/run/postgresql&sslmode=verify-full" }).infra.sslmode).toBe("verify-full");
    expect(external({ "dbpipe:sslmode": "verify-full", "dbpipe:sslRootCert": "certs/supabase-ca.crt" }).infra).toMatchObject({ sslmode: "verify-full", sslRootCert: "certs/supabase-ca.crt" });
  });

  it("refuse verify-full through the tunnel, naming the key", () => {
    expect(problems({ ...prodConfig(), "dbpipe:networkPath": "tunnel", "dbpipe:adminEndpoint": "", "dbpipe:sslmode": "verify-full" })).toBe(
      only(
        "dbpipe:sslmode: cannot be verify-full with networkPath tunnel: pulumi up connects to the tunnel's local end (localhost), and the RDS certificate names the instance's endpoint; use verify-ca (the default: the certificate must still be signed by RDS), or networkPath vpc",
      ),
    );
  });

  it("refuse an unencrypted sslmode and a root certificate rds does not use", () => {
    expect(problems({ ...prodConfig(), "dbpipe:sslmode": "disable" })).toMatch(/dbpipe:sslmode: must be one of require, verify-ca, verify-full, got "disable"/);
    expect(problems({ ...prodConfig(), "dbpipe:sslRootCert": "ca.pem" })).toBe(
      only("dbpipe:sslRootCert: is only used when dbpipe:server is external: rds connections trust the RDS CA bundle dbpipe ships (certs/rds-ca-bundle.pem)"),
    );
  });

  it("refuse verify-ca against the machine's trusted roots on an external host", () => {
    const message = (() => {
      try {
        external({ "dbpipe:sslmode": "verify-ca" });
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    expect(message).toContain("dbpipe:sslmode: verify-ca needs dbpipe:sslRootCert, the server's CA file");
  });
});

describe("the connections alarm", () => {
  it("defaults to 80% of the instance class's max_connections", () => {
    const threshold = (instanceClass: string) => parse({ ...prodConfig(), "dbpipe:instanceClass": instanceClass }).infra.alarmConnections;
    expect(["db.t4g.micro", "db.t4g.small", "db.t3.medium", "db.m6g.large", "db.r6g.xlarge", "db.r6g.4xlarge"].map(threshold)).toEqual([44, 134, 315, 675, 2838, 4000]);
  });

  it("refuse a class whose memory dbpipe does not know, with the closest one", () => {
    expect(problems({ ...prodConfig(), "dbpipe:instanceClass": "db.m6g.larg" })).toMatch(/dbpipe:instanceClass: db\.m6g\.larg is not an instance class dbpipe knows the memory of \(families t3, t4g, m5, m6g, m7g, m6i, r5, r6g, r7g, r6i\) \(did you mean db\.m6g\.large\?\)/);
  });

  it("refuse a threshold the class's connections never reach", () => {
    expect(problems({ ...prodConfig(), "dbpipe:instanceClass": "db.t4g.micro", "dbpipe:alarmConnections": "100" })).toBe(
      only("dbpipe:alarmConnections: (100) must be below db.t4g.micro's max_connections (about 56): the alarm would fire only once connections are already refused"),
    );
    expect(parse({ ...prodConfig(), "dbpipe:instanceClass": "db.t4g.micro", "dbpipe:alarmConnections": "40" }).infra.alarmConnections).toBe(40);
  });
});
