import { describe, expect, it } from "vitest";
import { isSupavisorHost, supavisorLogin } from "../../src/infra/external-server";
import { parsePostgresUrl } from "../../src/infra/server-connection";

/** The URL shapes Neon and Supabase hand out, and what the environment takes from each. */

const SHAPES = [
  {
    what: "Neon direct",
    url: "postgresql://neondb_owner:pw@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require",
    parts: { user: "neondb_owner", host: "ep-cool-darkness-123456.us-east-2.aws.neon.tech", port: 5432, database: "neondb", sslmode: "require" },
    login: { role: "neondb_owner", suffix: "" },
  },
  {
    what: "Neon pooled (PgBouncer)",
    url: "postgresql://neondb_owner:pw@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require",
    parts: { user: "neondb_owner", host: "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech", port: 5432, database: "neondb", sslmode: "require" },
    login: { role: "neondb_owner", suffix: "" },
  },
  {
    what: "Supabase direct (IPv6 only without the IPv4 add-on)",
    url: "postgresql://postgres:pw@db.abcdefghij.supabase.co:5432/postgres",
    parts: { user: "postgres", host: "db.abcdefghij.supabase.co", port: 5432, database: "postgres", sslmode: "require" },
    login: { role: "postgres", suffix: "" },
  },
  {
    what: "Supabase session pooler (IPv4)",
    url: "postgresql://postgres.abcdefghij:pw@aws-0-us-east-1.pooler.supabase.com:5432/postgres",
    parts: { user: "postgres.abcdefghij", host: "aws-0-us-east-1.pooler.supabase.com", port: 5432, database: "postgres", sslmode: "require" },
    login: { role: "postgres", suffix: ".abcdefghij" },
  },
  {
    what: "Supabase transaction pooler",
    url: "postgres://postgres.abcdefghij:pw@aws-0-us-east-1.pooler.supabase.com:6543/postgres?sslmode=verify-full",
    parts: { user: "postgres.abcdefghij", host: "aws-0-us-east-1.pooler.supabase.com", port: 6543, database: "postgres", sslmode: "verify-full" },
    login: { role: "postgres", suffix: ".abcdefghij" },
  },
  {
    what: "a dotted role name on another host",
    url: "postgresql://team.admin:pw@db.internal.example.com:6432/app",
    parts: { user: "team.admin", host: "db.internal.example.com", port: 6432, database: "app", sslmode: "require" },
    login: { role: "team.admin", suffix: "" },
  },
] as const;

describe.each(SHAPES)("$what", ({ url, parts, login }) => {
  it("splits into user, host, port, database and sslmode", () => {
    expect(parsePostgresUrl(url, "dbpipe:directUrl")).toEqual({ ...parts, password: "pw" });
  });

  it("names the role inside PostgreSQL and the suffix the pooler routes on", () => {
    expect(supavisorLogin(parts.user, parts.host)).toEqual(login);
    expect(isSupavisorHost(parts.host)).toBe(login.suffix !== "");
  });
});

it("refuses a URL that is not PostgreSQL's, without repeating it", () => {
  expect(() => parsePostgresUrl("mysql://root:secretpw@host/db", "dbpipe:directUrl")).toThrow(/^dbpipe:directUrl is not a valid PostgreSQL URL$/);
});
