import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { engineConfig } from "./helpers/engine-config";
import { unwrap } from "./helpers/pulumi-mocks";
import { type MockedRun, resolve, runWithMocks } from "./helpers/run-with-mocks";
import { MIGRATION_SET_TYPE } from "./migration-set-harness";

/**
 * Under Pulumi's mocks, per server mode: the sslmode and root certificate every connection is given —
 * the postgresql provider's inputs, the MigrationSet's URL (migrations and pg_dump), the URLs in the
 * outputs — and the `tls` output that says which. test/infra/tls.test.ts shows on a real server what
 * each mode accepts.
 */

const PROVIDER = "pulumi:providers:postgresql";
const NEON = "postgresql://neondb_owner:NeonAdminPw123456@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb";
const SUPABASE = "postgresql://postgres:SupabaseAdminPw1234@db.abcdefghij.supabase.co:5432/postgres";

interface Connections {
  provider: { sslmode: unknown; sslrootcert: unknown };
  deploy: Record<string, string | null>;
  migration: Record<string, string | null>;
  app: Record<string, string | null>;
  tls: unknown;
}

/** What each connection of `run` is told about TLS. */
async function connections(run: MockedRun): Promise<Connections> {
  const out = run.exports as Record<string, pulumi.Output<string>>;
  const params = (url: unknown) => {
    const u = new URL(String(url));
    return { host: u.hostname, sslmode: u.searchParams.get("sslmode"), sslrootcert: u.searchParams.get("sslrootcert") };
  };
  const provider = run.recorder.one(PROVIDER).inputs;
  return {
    provider: { sslmode: unwrap(provider.sslmode), sslrootcert: unwrap(provider.sslrootcert) },
    deploy: params(unwrap(run.recorder.one(MIGRATION_SET_TYPE).inputs.databaseUrl)),
    migration: params((await resolve(out.migrationUrl)).value),
    app: params((await resolve(out.appUrl)).value),
    tls: (await resolve(out.tls)).value,
  };
}

const external = (secrets: Record<string, string>, overrides: Record<string, unknown> = {}) =>
  runWithMocks("neon", engineConfig("neon", { overrides: { "aws:region": "us-east-1", "dbpipe:tier": "test", "dbpipe:server": "external", ...overrides }, secrets }));

const INSTANCE = "dbpipe-server-instance.c0abc123.us-east-1.rds.amazonaws.com";
const BUNDLE = "certs/rds-ca-bundle.pem";

describe("rds", () => {
  it("over the VPC: verify-full against the RDS CA bundle, for pulumi up and in the outputs", async () => {
    const run = await runWithMocks("dev", engineConfig("dev", { overrides: { "dbpipe:networkPath": "vpc", "dbpipe:allowedSecurityGroupIds": ["sg-0abc9999"] } }));
    expect(await connections(run)).toEqual({
      provider: { sslmode: "verify-full", sslrootcert: BUNDLE },
      deploy: { host: INSTANCE, sslmode: "verify-full", sslrootcert: BUNDLE },
      migration: { host: INSTANCE, sslmode: "verify-full", sslrootcert: BUNDLE },
      app: { host: INSTANCE, sslmode: "verify-full", sslrootcert: BUNDLE },
      tls: { deploy: "verify-full", urls: "verify-full", rootCert: BUNDLE },
    });
  });

  it("through the tunnel: verify-ca at localhost for pulumi up, verify-full at the instance's name in the outputs", async () => {
    const run = await runWithMocks("dev", engineConfig("dev"));
    expect(await connections(run)).toEqual({
      provider: { sslmode: "verify-ca", sslrootcert: BUNDLE },
      deploy: { host: "localhost", sslmode: "verify-ca", sslrootcert: BUNDLE },
      migration: { host: INSTANCE, sslmode: "verify-full", sslrootcert: BUNDLE },
      app: { host: INSTANCE, sslmode: "verify-full", sslrootcert: BUNDLE },
      tls: { deploy: "verify-ca", urls: "verify-full", rootCert: BUNDLE },
    });
  });

  it("with sslmode require: encrypted, nothing verified, no root certificate anywhere", async () => {
    const run = await runWithMocks("dev", engineConfig("dev", { overrides: { "dbpipe:sslmode": "require" } }));
    const c = await connections(run);
    expect([c.provider, c.deploy.sslmode, c.deploy.sslrootcert, c.migration.sslmode, c.tls]).toEqual([
      { sslmode: "require", sslrootcert: undefined },
      "require",
      null,
      "require",
      { deploy: "require", urls: "require", rootCert: undefined },
    ]);
  });
});

describe("external", () => {
  it("Neon with its documented URL (sslmode=require): require everywhere", async () => {
    const c = await connections(await external({ "dbpipe:directUrl": `${NEON}?sslmode=require` }));
    expect([c.provider, c.deploy.sslmode, c.migration.sslmode, c.app.sslmode, c.tls]).toEqual([
      { sslmode: "require", sslrootcert: undefined },
      "require",
      "require",
      "require",
      { deploy: "require", urls: "require", rootCert: undefined },
    ]);
  });

  it("Neon with verify-full: the machine's trusted roots (sslrootcert=system in URLs, lib/pq's default for the provider)", async () => {
    const c = await connections(await external({ "dbpipe:directUrl": NEON }, { "dbpipe:sslmode": "verify-full" }));
    expect(c.provider).toEqual({ sslmode: "verify-full", sslrootcert: undefined });
    expect([c.deploy, c.migration.sslrootcert, c.tls]).toEqual([
      { host: "ep-cool-darkness-123456.us-east-2.aws.neon.tech", sslmode: "verify-full", sslrootcert: "system" },
      "system",
      { deploy: "verify-full", urls: "verify-full", rootCert: "system" },
    ]);
  });

  it("Supabase with its project's CA file: verify-full against that file everywhere", async () => {
    const c = await connections(await external({ "dbpipe:directUrl": SUPABASE }, { "dbpipe:sslmode": "verify-full", "dbpipe:sslRootCert": "certs/supabase-prod-ca-2021.crt" }));
    expect([c.provider, c.deploy.sslrootcert, c.app.sslrootcert, c.tls]).toEqual([
      { sslmode: "verify-full", sslrootcert: "certs/supabase-prod-ca-2021.crt" },
      "certs/supabase-prod-ca-2021.crt",
      "certs/supabase-prod-ca-2021.crt",
      { deploy: "verify-full", urls: "verify-full", rootCert: "certs/supabase-prod-ca-2021.crt" },
    ]);
  });
});
