import { Client, escapeIdentifier, escapeLiteral } from "pg";
import { type Registration, unwrap } from "./pulumi-mocks";

/**
 * What `@pulumi/postgresql` 3.18 does on a real server, for the resource types the program declares.
 * The Pulumi package bridges cyrilgdn/terraform-provider-postgresql; each function below issues the
 * statements that provider's Create runs (postgresql/resource_postgresql_<type>.go), in the same
 * transactions, with the same temporary role grants a non-superuser administrator needs
 * (`withRolesGranted`, `grantRoleMembership` in helpers.go), and then runs its Read and compares what
 * it reads back with the inputs: a difference there is a change `pulumi preview` shows on every run.
 *
 * It is a reading of the provider, written for these tests, not a copy of it: only the branches the
 * program's inputs reach are here, and an input this file does not model is refused, so a new input
 * cannot slip through untested.
 */

/** How the provider logs in: its `host`, `port`, `username`, `password` and `database`. */
export interface ProviderLogin {
  host: string;
  port: number;
  /** `username`: who connects. */
  user: string;
  password: string;
  /** `database`: where it connects when a resource names none. Default `postgres`. */
  database: string;
  /** `databaseUsername`: the role the connection runs as, when the login name differs (Supavisor). */
  databaseUsername?: string;
}

/** What replaying one resource did. */
export interface ReplayResult {
  /** `type name`. */
  resource: string;
  /** Every statement run, in order. */
  statements: string[];
  /** Warnings and notices the server sent (a grant that grants nothing only warns). */
  notices: string[];
  /** Inputs the provider's Read would report differently: a perpetual diff. */
  drift: string[];
}

const SHORT_TYPES: Record<string, string> = {
  "postgresql:index/role:Role": "Role",
  "postgresql:index/grantRole:GrantRole": "GrantRole",
  "postgresql:index/database:Database": "Database",
  "postgresql:index/schema:Schema": "Schema",
  "postgresql:index/grant:Grant": "Grant",
  "postgresql:index/defaultPrivileges:DefaultPrivileges": "DefaultPrivileges",
  "postgresql:index/extension:Extension": "Extension",
};

/** Whether `type` is one the replay models. */
export function isReplayable(type: string): boolean {
  return type in SHORT_TYPES;
}

/** Inputs this file models, per type; anything else set on a resource is refused. */
const MODELLED_INPUTS: Record<string, string[]> = {
  Role: ["name", "login", "password", "roles", "inherit", "assumeRole", "searchPaths"],
  GrantRole: ["role", "grantRole", "withAdminOption"],
  Database: ["name", "owner", "encoding", "template", "allowConnections"],
  Schema: ["name", "database", "owner", "ifNotExists", "dropCascade"],
  Grant: ["database", "role", "schema", "objectType", "objects", "privileges"],
  DefaultPrivileges: ["database", "role", "owner", "schema", "objectType", "privileges"],
  Extension: ["name", "database", "schema", "createCascade"],
};

/** The provider's relkind letters for `objectType` (objectTypes in the provider). */
const RELKIND: Record<string, string> = { table: "r", sequence: "S" };
const DEFACL_TYPE: Record<string, string> = { table: "r", sequence: "S", function: "f", type: "T", schema: "n" };

/** Orders registrations so each comes after every one it depends on, as the engine schedules them. */
export function dependencyOrder(registrations: Registration[]): Registration[] {
  const byUrn = new Map(registrations.map((r) => [r.urn, r]));
  const done = new Set<string>();
  const out: Registration[] = [];
  const visit = (r: Registration, path: string[]) => {
    if (done.has(r.urn)) return;
    if (path.includes(r.urn)) throw new Error(`dependency cycle: ${[...path, r.urn].join(" -> ")}`);
    for (const dep of r.dependencies) {
      const d = byUrn.get(dep);
      if (d) visit(d, [...path, r.urn]);
    }
    done.add(r.urn);
    out.push(r);
  };
  for (const r of registrations) visit(r, []);
  // Not one dependency resolved would mean the URNs are computed wrongly, and the order is only the program's.
  if (registrations.some((r) => r.dependencies.length > 0) && !registrations.some((r) => r.dependencies.some((d) => byUrn.has(d)))) {
    throw new Error("no dependency matches a registration's URN");
  }
  return out;
}

/** Runs the provider's Create then Read of `registration` as `login`. */
export async function replayResource(login: ProviderLogin, registration: Registration): Promise<ReplayResult> {
  const kind = SHORT_TYPES[registration.type];
  if (kind === undefined) throw new Error(`the replay does not model ${registration.type}`);
  const inputs = Object.fromEntries(Object.entries(registration.inputs).map(([k, v]) => [k, deepUnwrap(v)])) as Record<string, unknown>;
  const unmodelled = Object.keys(inputs).filter((k) => !MODELLED_INPUTS[kind].includes(k) && k !== "__defaults");
  if (unmodelled.length > 0) throw new Error(`${registration.name}: the replay does not model ${kind} input(s) ${unmodelled.join(", ")}`);
  const session = new ProviderSession(login);
  const result: ReplayResult = { resource: `${kind} ${registration.name}`, statements: session.statements, notices: session.notices, drift: [] };
  try {
    switch (kind) {
      case "Role":
        result.drift = await role(session, inputs);
        break;
      case "GrantRole":
        result.drift = await grantRole(session, inputs);
        break;
      case "Database":
        result.drift = await database(session, inputs);
        break;
      case "Schema":
        result.drift = await schema(session, inputs);
        break;
      case "Grant":
        result.drift = await grant(session, inputs);
        break;
      case "DefaultPrivileges":
        result.drift = await defaultPrivileges(session, inputs);
        break;
      case "Extension":
        result.drift = await extension(session, inputs);
        break;
    }
  } catch (error) {
    throw new Error(`${result.resource}: ${(error as Error).message}\n  after: ${session.statements.join(";\n         ")}`, { cause: error });
  } finally {
    await session.close();
  }
  return result;
}

function deepUnwrap(value: unknown): unknown {
  const v = unwrap(value);
  if (Array.isArray(v)) return v.map(deepUnwrap);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepUnwrap(x)]));
  return v;
}

/** The provider's connections: one per database, as `startTransaction(client, database)` opens them. */
export class ProviderSession {
  readonly statements: string[] = [];
  readonly notices: string[] = [];
  private readonly clients = new Map<string, Client>();
  constructor(readonly login: ProviderLogin) {}

  /** Who the provider believes it is (`getDatabaseUsername`). */
  get currentUser(): string {
    return this.login.databaseUsername ?? this.login.user;
  }

  async client(database = ""): Promise<Client> {
    const name = database || this.login.database;
    let client = this.clients.get(name);
    if (!client) {
      client = new Client({ host: this.login.host, port: this.login.port, user: this.login.user, password: this.login.password, database: name });
      client.on("notice", (n) => this.notices.push(`${n.severity ?? "NOTICE"}: ${n.message}`));
      await client.connect();
      this.clients.set(name, client);
    }
    return client;
  }

  async exec(client: Client, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    this.statements.push(sql.replace(/PASSWORD '[^']*'/, "PASSWORD '…'"));
    return (await client.query(sql, params)).rows as Record<string, unknown>[];
  }

  /** `startTransaction` + fn + commit; rolls back when fn throws. */
  async transaction<T>(database: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await this.client(database);
    await this.exec(c, "BEGIN");
    try {
      const out = await fn(c);
      await this.exec(c, "COMMIT");
      return out;
    } catch (error) {
      await c.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.end().catch(() => undefined)));
  }
}

const q = escapeIdentifier;

async function isSuperuser(s: ProviderSession, c: Client, role: string): Promise<boolean> {
  const rows = await s.exec(c, "SELECT rolsuper FROM pg_roles WHERE rolname = $1", [role]);
  if (rows.length === 0) throw new Error(`could not check if role ${role} is superuser: no rows`);
  return rows[0].rolsuper === true;
}

async function isMemberOfRole(s: ProviderSession, c: Client, role: string, member: string): Promise<boolean> {
  const setOption = (await s.exec(c, "SELECT 1 FROM information_schema.columns WHERE table_name='pg_auth_members' AND column_name = 'set_option'")).length > 0;
  const sql = `SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2${setOption ? " AND set_option" : ""}`;
  return (await s.exec(c, sql, [role, member])).length > 0;
}

async function grantRoleMembership(s: ProviderSession, c: Client, role: string, member: string): Promise<boolean> {
  if (role === member || (await isMemberOfRole(s, c, role, member))) return false;
  await s.exec(c, `GRANT ${q(role)} TO ${q(member)}`);
  return true;
}

async function revokeRoleMembership(s: ProviderSession, c: Client, role: string, member: string): Promise<boolean> {
  if (role === member || !(await isMemberOfRole(s, c, role, member))) return false;
  await s.exec(c, `REVOKE ${q(role)} FROM ${q(member)}`);
  return true;
}

/** `withRolesGranted`: make the admin a member of each owner for the duration of `fn`, inside the transaction. */
async function withRolesGranted<T>(s: ProviderSession, c: Client, roles: string[], fn: () => Promise<T>): Promise<T> {
  if (roles.length === 0) return fn();
  const current = String((await s.exec(c, "SELECT CURRENT_USER AS u"))[0].u);
  if (await isSuperuser(s, c, current)) return fn();
  const granted: string[] = [];
  const revoked: string[] = [];
  for (const role of roles) {
    if (await isSuperuser(s, c, role)) continue;
    if (await revokeRoleMembership(s, c, current, role)) revoked.push(role);
    if (await grantRoleMembership(s, c, role, current)) granted.push(role);
  }
  const out = await fn();
  for (const role of granted) await revokeRoleMembership(s, c, role, current);
  for (const role of revoked) {
    if ((await s.exec(c, "SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).length > 0) await grantRoleMembership(s, c, current, role);
  }
  return out;
}

async function pgLockRole(s: ProviderSession, c: Client, role: string): Promise<void> {
  await s.exec(c, "SET statement_timeout = 0");
  await s.exec(c, "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1", [role]);
  await s.exec(c, "SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = $1", [role]);
}

async function pgLockDatabase(s: ProviderSession, c: Client, database: string): Promise<void> {
  await s.exec(c, "SET statement_timeout = 0");
  await s.exec(c, "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = $1", [database]);
}

function sameSet(a: unknown[], b: unknown[]): boolean {
  const x = new Set(a.map(String));
  const y = new Set(b.map(String));
  return x.size === y.size && [...x].every((v) => y.has(v));
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

// resource_postgresql_role.go: resourcePostgreSQLRoleCreate, then resourcePostgreSQLRoleReadImpl.
async function role(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const name = String(i.name);
  const login = i.login === true;
  const inherit = i.inherit !== false;
  await s.transaction("", async (c) => {
    const opts: string[] = [];
    if (typeof i.password === "string" && i.password !== "") opts.push("ENCRYPTED", `PASSWORD ${escapeLiteral(i.password)}`);
    opts.push("VALID UNTIL 'infinity'", "CONNECTION LIMIT -1", "NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE", inherit ? "INHERIT" : "NOINHERIT", login ? "LOGIN" : "NOLOGIN");
    opts.push("NOBYPASSRLS", "NOREPLICATION");
    await s.exec(c, `CREATE ROLE ${q(name)} WITH ${opts.join(" ")}`);
    for (const r of list(i.roles)) await s.exec(c, `GRANT ${q(r)} TO ${q(name)}`);
    const paths = list(i.searchPaths);
    await s.exec(c, `ALTER ROLE ${q(name)} SET search_path TO ${paths.length > 0 ? paths.map(q).join(", ") : "DEFAULT"}`);
    if (typeof i.assumeRole === "string" && i.assumeRole !== "") await s.exec(c, `ALTER ROLE ${q(name)} SET ROLE TO ${q(i.assumeRole)}`);
  });
  const c = await s.client("");
  const rows = await s.exec(
    c,
    `SELECT ARRAY(SELECT pg_get_userbyid(roleid) FROM pg_catalog.pg_auth_members members WHERE member = pg_roles.oid)::text[] AS roles,
            rolname, rolinherit, rolcanlogin, rolconfig FROM pg_catalog.pg_roles WHERE rolname=$1`,
    [name],
  );
  if (rows.length === 0) return [`${name}: not found after create`];
  const row = rows[0];
  const config = (row.rolconfig as string[] | null) ?? [];
  const drift: string[] = [];
  if (!sameSet(row.roles as string[], list(i.roles))) drift.push(`roles: wanted [${list(i.roles)}], read [${String(row.roles)}]`);
  if (row.rolcanlogin !== login) drift.push(`login: wanted ${login}, read ${String(row.rolcanlogin)}`);
  if (row.rolinherit !== inherit) drift.push(`inherit: wanted ${inherit}, read ${String(row.rolinherit)}`);
  const searchPath = config.find((x) => x.startsWith("search_path="))?.slice("search_path=".length);
  const readPaths = searchPath ? searchPath.split(", ").map((p) => p.replace(/^"|"$/g, "")) : [];
  if (readPaths.join(",") !== list(i.searchPaths).join(",")) drift.push(`searchPaths: wanted [${list(i.searchPaths)}], read [${readPaths}]`);
  const assumed = config.find((x) => x.startsWith("role="))?.slice("role=".length) ?? "";
  if (assumed !== String(i.assumeRole ?? "")) drift.push(`assumeRole: wanted ${String(i.assumeRole ?? "")}, read ${assumed}`);
  return drift;
}

// resource_postgresql_grant_role.go: Create (revoke, grant, in one transaction), then readGrantRole.
async function grantRole(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const member = String(i.role);
  const granted = String(i.grantRole);
  const admin = i.withAdminOption === true;
  await s.transaction("", async (c) => {
    await s.exec(c, `REVOKE ${q(granted)} FROM ${q(member)}`);
    await s.exec(c, `GRANT ${q(granted)} TO ${q(member)}${admin ? " WITH ADMIN OPTION" : ""}`);
  });
  const rows = await s.exec(
    await s.client(""),
    "SELECT pg_get_userbyid(member) as role, pg_get_userbyid(roleid) as grant_role, admin_option FROM pg_auth_members WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2",
    [member, granted],
  );
  if (rows.length === 0) return [`${member} is not a member of ${granted} after create`];
  return rows[0].admin_option === admin ? [] : [`withAdminOption: wanted ${admin}, read ${String(rows[0].admin_option)}`];
}

// resource_postgresql_database.go: createDatabase (owner granted to the admin around it), then Read.
async function database(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const name = String(i.name);
  const owner = typeof i.owner === "string" ? i.owner : "";
  const c = await s.client("");
  // A separate connection holds the advisory lock on the admin role for the duration.
  const lock = new Client({ host: s.login.host, port: s.login.port, user: s.login.user, password: s.login.password, database: s.login.database });
  await lock.connect();
  try {
    let ownerGranted = false;
    if (owner !== "") {
      await lock.query("BEGIN");
      await lock.query("SET statement_timeout = 0");
      await lock.query("SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = $1", [s.currentUser]);
      ownerGranted = await grantRoleMembership(s, c, owner, s.currentUser);
    }
    const template = typeof i.template === "string" && i.template !== "" ? i.template : "template0";
    const encoding = typeof i.encoding === "string" && i.encoding !== "" ? i.encoding : "UTF8";
    const allow = i.allowConnections !== false;
    await s.exec(
      c,
      `CREATE DATABASE ${q(name)} OWNER ${q(owner || s.currentUser)} TEMPLATE ${q(template)} ENCODING ${escapeLiteral(encoding)} ALLOW_CONNECTIONS ${allow} CONNECTION LIMIT -1 IS_TEMPLATE false`,
    );
    if (ownerGranted) await revokeRoleMembership(s, c, owner, s.currentUser);
  } finally {
    await lock.query("ROLLBACK").catch(() => undefined);
    await lock.end();
  }
  const rows = await s.exec(c, "SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) AS owner from pg_database d WHERE datname=$1", [name]);
  if (rows.length === 0) return [`${name}: not found after create`];
  return owner === "" || rows[0].owner === owner ? [] : [`owner: wanted ${owner}, read ${String(rows[0].owner)}`];
}

async function databaseOwner(s: ProviderSession, c: Client, database: string): Promise<string> {
  const rows = await s.exec(c, "SELECT rolname FROM pg_database JOIN pg_roles ON datdba = pg_roles.oid WHERE datname = $1", [database]);
  if (rows.length === 0) throw new Error(`could not find database '${database}' while looking for owner`);
  return String(rows[0].rolname);
}

// resource_postgresql_schema.go: Create (database owner and schema owner granted around it), then Read.
async function schema(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const name = String(i.name);
  const db = String(i.database ?? s.login.database);
  const owner = typeof i.owner === "string" ? i.owner : "";
  await s.transaction(db, async (c) => {
    const dbOwner = await databaseOwner(s, c, db);
    const roles = [dbOwner, ...(owner !== "" && owner !== dbOwner ? [owner] : [])];
    await withRolesGranted(s, c, roles, async () => {
      const exists = (await s.exec(c, "SELECT TRUE FROM pg_catalog.pg_namespace WHERE nspname = $1", [name])).length > 0;
      if (!exists) await s.exec(c, `CREATE SCHEMA ${i.ifNotExists === false ? "" : "IF NOT EXISTS "}${q(name)}${owner ? ` AUTHORIZATION ${q(owner)}` : ""}`);
      else if (owner) await s.exec(c, `ALTER SCHEMA ${q(name)} OWNER TO ${q(owner)}`);
    });
  });
  const rows = await s.exec(await s.client(db), "SELECT pg_catalog.pg_get_userbyid(n.nspowner) AS owner FROM pg_catalog.pg_namespace n WHERE n.nspname=$1", [name]);
  if (rows.length === 0) return [`${name}: not found after create`];
  return owner === "" || rows[0].owner === owner ? [] : [`owner: wanted ${owner}, read ${String(rows[0].owner)}`];
}

/** `getRolesToGrant`: nothing for a database; the schema's owner, and for objects the owners of its tables. */
async function rolesToGrant(s: ProviderSession, c: Client, objectType: string, schemaName: string): Promise<string[]> {
  if (objectType === "database") return [];
  let owners: string[] = [];
  if (objectType !== "schema") {
    owners = (await s.exec(c, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", [schemaName])).map((r) => String(r.tableowner));
  }
  const rows = await s.exec(c, "SELECT rolname FROM pg_namespace JOIN pg_roles ON nspowner = pg_roles.oid WHERE nspname = $1", [schemaName]);
  if (rows.length === 0) throw new Error(`could not find schema '${schemaName}' while looking for owner`);
  const schemaOwner = String(rows[0].rolname);
  if (!owners.includes(schemaOwner)) owners.push(schemaOwner);
  const out: string[] = [];
  for (const o of owners) out.push(o === "pg_database_owner" ? await databaseOwner(s, c, String((await s.exec(c, "SELECT current_database() AS d"))[0].d)) : o);
  return out;
}

async function roleOid(s: ProviderSession, c: Client, role: string): Promise<number> {
  if (role === "public") return 0;
  const rows = await s.exec(c, "SELECT oid FROM pg_roles WHERE rolname = $1", [role]);
  if (rows.length === 0) throw new Error(`could not find oid for role ${role}`);
  return Number(rows[0].oid);
}

// resource_postgresql_grant.go: resourcePostgreSQLGrantCreateOrUpdate (revoke all, then grant, as the
// owners), then readRolePrivileges.
async function grant(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const db = String(i.database);
  const roleName = String(i.role);
  const objectType = String(i.objectType);
  const schemaName = typeof i.schema === "string" ? i.schema : "";
  const objects = list(i.objects);
  const privileges = list(i.privileges);
  if (objects.length > 0) throw new Error("the replay models grants on all objects of a schema only");
  if (schemaName === "" && objectType !== "database") throw new Error("parameter 'schema' is mandatory for postgresql_grant resource");
  await s.transaction(db, async (c) => {
    await pgLockRole(s, c, roleName);
    if (objectType === "database") await pgLockDatabase(s, c, db);
    const owners = await rolesToGrant(s, c, objectType, schemaName);
    await withRolesGranted(s, c, owners, async () => {
      const grantee = q(roleName);
      if (objectType === "database") await s.exec(c, `REVOKE ALL PRIVILEGES ON DATABASE ${q(db)} FROM ${grantee}`);
      else if (objectType === "schema") await s.exec(c, `REVOKE ALL PRIVILEGES ON SCHEMA ${q(schemaName)} FROM ${grantee}`);
      else await s.exec(c, `REVOKE ALL PRIVILEGES ON ALL ${objectType.toUpperCase()}S IN SCHEMA ${q(schemaName)} FROM ${grantee}`);
      if (privileges.length === 0) return;
      if (objectType === "database") await s.exec(c, `GRANT ${privileges.join(",")} ON DATABASE ${q(db)} TO ${grantee}`);
      else if (objectType === "schema") await s.exec(c, `GRANT ${privileges.join(",")} ON SCHEMA ${q(schemaName)} TO ${grantee}`);
      else await s.exec(c, `GRANT ${privileges.join(",")} ON ALL ${objectType.toUpperCase()}S IN SCHEMA ${q(schemaName)} TO ${grantee}`);
    });
  });
  return readGrant(s, i);
}

/** readRolePrivileges: the privileges the ACLs really hold, compared with the inputs. */
export async function readGrant(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const db = String(i.database);
  const objectType = String(i.objectType);
  const wanted = list(i.privileges);
  const c = await s.client(db);
  const oid = await roleOid(s, c, String(i.role));
  const describe = (got: unknown[]) => `${String(i.role)} ${objectType}: wanted [${wanted}], read [${got.map(String)}]`;
  if (objectType === "database" || objectType === "schema") {
    const sql =
      objectType === "database"
        ? "SELECT array_agg(privilege_type) AS p FROM (SELECT (aclexplode(datacl)).* FROM pg_database WHERE datname=$1) as privileges WHERE grantee = $2"
        : "SELECT array_agg(privilege_type) AS p FROM (SELECT (aclexplode(nspacl)).* FROM pg_namespace WHERE nspname=$1) as privileges WHERE grantee = $2";
    const got = ((await s.exec(c, sql, [objectType === "database" ? db : i.schema, oid]))[0].p as string[] | null) ?? [];
    return sameSet(got, wanted) ? [] : [describe(got)];
  }
  const rows = await s.exec(
    c,
    `SELECT pg_class.relname, array_remove(array_agg(privilege_type), NULL) AS p FROM pg_class
       JOIN pg_namespace ON pg_namespace.oid = pg_class.relnamespace
       LEFT JOIN (SELECT acls.* FROM (SELECT relname, relnamespace, relkind, (aclexplode(relacl)).* FROM pg_class c) as acls WHERE grantee=$1) privs
       USING (relname, relnamespace, relkind)
       WHERE nspname = $2 AND relkind = $3 GROUP BY pg_class.relname`,
    [oid, i.schema, RELKIND[objectType]],
  );
  for (const row of rows) if (!sameSet(row.p as string[], wanted)) return [`${describe(row.p as string[])} on ${String(row.relname)}`];
  return [];
}

/** A provider session for reads only (a refresh, a preview). */
export function providerSession(login: ProviderLogin): ProviderSession {
  return new ProviderSession(login);
}

// resource_postgresql_default_privileges.go: Create (as the owner), then readRoleDefaultPrivileges.
async function defaultPrivileges(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const db = String(i.database);
  const owner = String(i.owner);
  const roleName = String(i.role);
  const objectType = String(i.objectType);
  const schemaName = typeof i.schema === "string" ? i.schema : "";
  const privileges = list(i.privileges);
  const inSchema = schemaName ? ` IN SCHEMA ${q(schemaName)}` : "";
  await s.transaction(db, async (c) => {
    await pgLockRole(s, c, owner);
    await withRolesGranted(s, c, [owner], async () => {
      await s.exec(c, `ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)}${inSchema} REVOKE ALL ON ${objectType.toUpperCase()}S FROM ${q(roleName)}`);
      if (privileges.length > 0) {
        await s.exec(c, `ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)}${inSchema} GRANT ${privileges.join(",")} ON ${objectType.toUpperCase()}S TO ${q(roleName)}`);
      }
    });
  });
  const c = await s.client(db);
  const oid = await roleOid(s, c, roleName);
  const rows = await s.exec(
    c,
    `SELECT array_agg(prtype) AS p FROM (SELECT defaclnamespace, (aclexplode(defaclacl)).* FROM pg_default_acl WHERE defaclobjtype = $3)
       AS t (namespace, grantor_oid, grantee_oid, prtype, grantable)
       JOIN pg_namespace ON pg_namespace.oid = namespace
       WHERE grantee_oid = $1 AND nspname = $2 AND pg_get_userbyid(grantor_oid) = $4`,
    [oid, schemaName, DEFACL_TYPE[objectType], owner],
  );
  const got = (rows[0].p as string[] | null) ?? [];
  if (got.length === 0 && privileges.length > 0) return [`default ${objectType} privileges of ${roleName} from ${owner}: gone after create (the resource would be recreated)`];
  return sameSet(got, privileges) ? [] : [`default ${objectType} privileges of ${roleName} from ${owner}: wanted [${privileges}], read [${got}]`];
}

// resource_postgresql_extension.go: Create (in the resource's database), then Read.
async function extension(s: ProviderSession, i: Record<string, unknown>): Promise<string[]> {
  const name = String(i.name);
  const db = String(i.database ?? s.login.database);
  const schemaName = typeof i.schema === "string" && i.schema !== "" ? i.schema : undefined;
  await s.transaction(db, async (c) => {
    await s.exec(c, `CREATE EXTENSION IF NOT EXISTS ${q(name)}${schemaName ? ` SCHEMA ${q(schemaName)}` : ""}${i.createCascade === true ? " CASCADE" : ""}`);
  });
  const rows = await s.exec(
    await s.client(db),
    "SELECT n.nspname, e.extversion FROM pg_catalog.pg_extension e, pg_catalog.pg_namespace n WHERE n.oid = e.extnamespace AND e.extname = $1",
    [name],
  );
  if (rows.length === 0) return [`${name}: not found after create`];
  return schemaName === undefined || rows[0].nspname === schemaName ? [] : [`schema: wanted ${schemaName}, read ${String(rows[0].nspname)}`];
}
