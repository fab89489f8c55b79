import type { Client } from "pg";
import { HISTORY_TABLES } from "../adopt/other-history";

/**
 * A database's schema, read from PostgreSQL's own catalogs (`pg_catalog` and its `pg_get_*def`
 * functions, so that definitions are rendered the way the server itself renders them): schemas,
 * extensions, enums, tables and their columns, constraints, foreign keys, indexes, sequences,
 * views, materialized views, functions and procedures, triggers, and the privileges granted to the
 * project's roles. dbpipe's own history schema, other tools' history tables and objects that
 * belong to an extension are left out: they are not what migrations describe.
 */

/** The kinds of object compared, in the order their SQL is created. */
export const OBJECT_KINDS = [
  "schema",
  "extension",
  "enum",
  "sequence",
  "table",
  "column",
  "constraint",
  "foreign key",
  "index",
  "view",
  "materialized view",
  "function",
  "procedure",
  "trigger",
  "grant",
] as const;

/** A kind of schema object. */
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** One object of a schema. */
export interface SchemaObject {
  kind: ObjectKind;
  /** Its identity, schema-qualified: `public.customers`, `public.customers.email`, `app_app on TABLE public.customers`. */
  name: string;
  /** What is compared, attribute by attribute (`type`, `nullable`, `default`, `definition`, ...). */
  attributes: Record<string, string | null>;
  /** The table it belongs to (columns, constraints, foreign keys, indexes, triggers). */
  table?: string;
  /** The SQL that creates it, as a statement. */
  create: string;
  /** The SQL that drops it, as a statement. */
  drop: string;
}

/** A schema: its objects by `${kind} ${name}`. */
export type SchemaSnapshot = Map<string, SchemaObject>;

/** Options of {@link inspectSchema}. */
export interface InspectOptions {
  /** Roles whose privileges are compared (the project's roles). Default: none. */
  roles?: readonly string[];
}

/** The key of an object in a {@link SchemaSnapshot}. */
export function objectKey(kind: ObjectKind, name: string): string {
  return `${kind} ${name}`;
}

const USER_SCHEMA = (alias: string) => `${alias}.nspname NOT IN ('pg_catalog', 'information_schema', 'dbpipe') AND ${alias}.nspname NOT LIKE 'pg\\_%'`;
const NOT_FROM_EXTENSION = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '${catalog}'::regclass AND dep.objid = ${oid} AND dep.deptype = 'e')`;
const OTHER_TOOL_TABLES = Object.values(HISTORY_TABLES);

/** Reads the schema of the database `client` is connected to. */
export async function inspectSchema(client: Client, options: InspectOptions = {}): Promise<SchemaSnapshot> {
  const snapshot: SchemaSnapshot = new Map();
  const add = (o: SchemaObject) => snapshot.set(objectKey(o.kind, o.name), o);
  const q = async <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) => (await client.query<R>(sql, params)).rows;

  // Other tools' history tables are theirs, not the schema's.
  const toolTables = new Set(
    (
      await q<{ name: string }>(
        `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = ANY($1) AND ${USER_SCHEMA("n")}`,
        [OTHER_TOOL_TABLES],
      )
    ).map((r) => r.name),
  );

  for (const r of await q<{ name: string; only_tool_tables: boolean }>(
    `SELECT quote_ident(n.nspname) AS name,
            n.nspname <> 'public' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = ANY($1))
              AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> ALL($1)) AS only_tool_tables
       FROM pg_namespace n WHERE ${USER_SCHEMA("n")} AND ${NOT_FROM_EXTENSION("pg_namespace", "n.oid")}`,
    [OTHER_TOOL_TABLES],
  )) {
    if (r.only_tool_tables) continue; // e.g. Drizzle's own `drizzle` schema
    add({ kind: "schema", name: r.name, attributes: {}, create: `CREATE SCHEMA ${r.name};`, drop: `DROP SCHEMA ${r.name};` });
  }

  for (const r of await q<{ name: string; schema: string }>(
    "SELECT quote_ident(e.extname) AS name, quote_ident(n.nspname) AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace",
  )) {
    add({ kind: "extension", name: r.name, attributes: { schema: r.schema }, create: `CREATE EXTENSION IF NOT EXISTS ${r.name} WITH SCHEMA ${r.schema};`, drop: `DROP EXTENSION ${r.name};` });
  }

  for (const r of await q<{ name: string; labels: string[] }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE ${USER_SCHEMA("n")} AND ${NOT_FROM_EXTENSION("pg_type", "t.oid")} GROUP BY 1`,
  )) {
    add({
      kind: "enum",
      name: r.name,
      attributes: { labels: r.labels.map(literal).join(", ") },
      create: `CREATE TYPE ${r.name} AS ENUM (${r.labels.map(literal).join(", ")});`,
      drop: `DROP TYPE ${r.name};`,
    });
  }

  for (const r of await q<{ name: string; type: string; start: string; increment: string; min: string; max: string; cache: string; cycle: boolean }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, s.seqtypid::regtype::text AS type, s.seqstart::text AS start,
            s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle
       FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMA("n")} AND ${NOT_FROM_EXTENSION("pg_class", "c.oid")}
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')`,
  )) {
    if (/^"?__drizzle_migrations_id_seq"?$/.test(r.name.split(".")[1] ?? "")) continue;
    const attributes = { type: r.type, start: r.start, increment: r.increment, min: r.min, max: r.max, cache: r.cache, cycle: r.cycle ? "CYCLE" : "NO CYCLE" };
    add({
      kind: "sequence",
      name: r.name,
      attributes,
      create: `CREATE SEQUENCE ${r.name} AS ${r.type} INCREMENT BY ${r.increment} MINVALUE ${r.min} MAXVALUE ${r.max} START WITH ${r.start} CACHE ${r.cache} ${attributes.cycle};`,
      drop: `DROP SEQUENCE IF EXISTS ${r.name};`,
    });
  }

  const relations = await q<{ oid: number; name: string; relkind: string; persistence: string; partkey: string | null; parent: string | null; bound: string | null; viewdef: string | null }>(
    `SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind::text AS relkind, c.relpersistence::text AS persistence,
            CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
            (SELECT quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
              WHERE i.inhrelid = c.oid AND c.relispartition) AS parent,
            CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
            CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS viewdef
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm') AND ${USER_SCHEMA("n")} AND ${NOT_FROM_EXTENSION("pg_class", "c.oid")}`,
  );
  const tables = relations.filter((r) => (r.relkind === "r" || r.relkind === "p") && !toolTables.has(r.name));
  const tableNames = new Set(tables.map((t) => t.name));

  const columns = await q<{ table: string; column: string; type: string; not_null: boolean; default: string | null; identity: string; generated: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table, quote_ident(a.attname) AS column, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity::text AS identity, a.attgenerated::text AS generated
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${USER_SCHEMA("n")}
      ORDER BY a.attrelid, a.attnum`,
  );
  const columnsOf = new Map<string, string[]>();
  for (const c of columns) {
    if (!tableNames.has(c.table)) continue;
    const identity = c.identity === "a" ? "ALWAYS" : c.identity === "d" ? "BY DEFAULT" : null;
    const generated = c.generated === "s" ? c.default : null;
    const def = generated === null ? c.default : null;
    const spec = `${c.column} ${c.type}${generated !== null ? ` GENERATED ALWAYS AS (${generated}) STORED` : ""}${identity ? ` GENERATED ${identity} AS IDENTITY` : ""}${def !== null ? ` DEFAULT ${def}` : ""}${c.not_null ? " NOT NULL" : ""}`;
    columnsOf.set(c.table, [...(columnsOf.get(c.table) ?? []), spec]);
    add({
      kind: "column",
      name: `${c.table}.${c.column}`,
      table: c.table,
      attributes: { type: c.type, nullable: c.not_null ? "NOT NULL" : "NULL", default: def, identity, generated },
      create: `ALTER TABLE ${c.table} ADD COLUMN ${spec};`,
      drop: `ALTER TABLE ${c.table} DROP COLUMN ${c.column};`,
    });
  }

  for (const t of tables) {
    const unlogged = t.persistence === "u" ? "UNLOGGED " : "";
    const create = t.parent
      ? `CREATE ${unlogged}TABLE ${t.name} PARTITION OF ${t.parent} ${t.bound}${t.partkey ? ` PARTITION BY ${t.partkey}` : ""};`
      : `CREATE ${unlogged}TABLE ${t.name} (${(columnsOf.get(t.name) ?? []).map((c) => `\n  ${c}`).join(",")}\n)${t.partkey ? ` PARTITION BY ${t.partkey}` : ""};`;
    add({
      kind: "table",
      name: t.name,
      attributes: { persistence: t.persistence === "u" ? "UNLOGGED" : "LOGGED", "partitioned by": t.partkey, "partition of": t.parent ? `${t.parent} ${t.bound}` : null },
      create,
      drop: `DROP TABLE ${t.name};`,
    });
  }
  for (const v of relations.filter((r) => r.relkind === "v" || r.relkind === "m")) {
    const kind = v.relkind === "m" ? "materialized view" : "view";
    const body = (v.viewdef ?? "").trim().replace(/;$/, "");
    add({
      kind,
      name: v.name,
      attributes: { definition: body },
      create: `CREATE ${kind.toUpperCase()} ${v.name} AS\n${body};`,
      drop: `DROP ${kind.toUpperCase()} ${v.name};`,
    });
  }

  for (const r of await q<{ table: string; name: string; type: string; def: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table, quote_ident(con.conname) AS name, con.contype::text AS type, pg_get_constraintdef(con.oid, true) AS def
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE con.contype IN ('p', 'u', 'c', 'f', 'x') AND con.conislocal AND ${USER_SCHEMA("n")}`,
  )) {
    if (!tableNames.has(r.table)) continue;
    add({
      kind: r.type === "f" ? "foreign key" : "constraint",
      name: `${r.table}.${r.name}`,
      table: r.table,
      attributes: { definition: r.def },
      create: `ALTER TABLE ${r.table} ADD CONSTRAINT ${r.name} ${r.def};`,
      drop: `ALTER TABLE ${r.table} DROP CONSTRAINT ${r.name};`,
    });
  }

  for (const r of await q<{ table: string; name: string; def: string }>(
    `SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) AS table, quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
       JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE NOT ic.relispartition AND ${USER_SCHEMA("n")}
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))`,
  )) {
    if (!tableNames.has(r.table) && !relations.some((v) => v.name === r.table && v.relkind === "m")) continue;
    add({ kind: "index", name: r.name, table: r.table, attributes: { definition: r.def }, create: `${r.def};`, drop: `DROP INDEX ${r.name};` });
  }

  for (const r of await q<{ name: string; kind: string; def: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, p.prokind::text AS kind, pg_get_functiondef(p.oid) AS def
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.prokind IN ('f', 'p') AND ${USER_SCHEMA("n")} AND ${NOT_FROM_EXTENSION("pg_proc", "p.oid")}`,
  )) {
    const kind = r.kind === "p" ? "procedure" : "function";
    const def = r.def.trim();
    add({ kind, name: r.name, attributes: { definition: def }, create: `${def};`, drop: `DROP ${kind.toUpperCase()} ${r.name};` });
  }

  for (const r of await q<{ table: string; name: string; def: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table, quote_ident(t.tgname) AS name, pg_get_triggerdef(t.oid, true) AS def
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND ${USER_SCHEMA("n")}`,
  )) {
    if (toolTables.has(r.table)) continue;
    add({ kind: "trigger", name: `${r.table}.${r.name}`, table: r.table, attributes: { definition: r.def }, create: `${r.def};`, drop: `DROP TRIGGER ${r.name} ON ${r.table};` });
  }

  if (options.roles && options.roles.length > 0) {
    for (const r of await q<{ grantee: string; kind: string; object: string; privileges: string[] }>(
      `SELECT quote_ident(r.rolname) AS grantee, a.kind, a.object,
              array_agg(a.privilege_type || CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END ORDER BY a.privilege_type) AS privileges
         FROM (
           SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object, (aclexplode(c.relacl)).*
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relacl IS NOT NULL AND ${USER_SCHEMA("n")}
           UNION ALL
           SELECT 'SCHEMA', quote_ident(n.nspname), (aclexplode(n.nspacl)).* FROM pg_namespace n WHERE n.nspacl IS NOT NULL AND ${USER_SCHEMA("n")}
           UNION ALL
           SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', (aclexplode(p.proacl)).*
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proacl IS NOT NULL AND ${USER_SCHEMA("n")}
         ) a JOIN pg_roles r ON r.oid = a.grantee
        WHERE r.rolname = ANY($1)
        GROUP BY 1, 2, 3`,
      [options.roles],
    )) {
      if (toolTables.has(r.object)) continue;
      const on = `${r.kind} ${r.object}`;
      add({
        kind: "grant",
        name: `${r.grantee} on ${on}`,
        attributes: { privileges: r.privileges.join(", ") },
        create: grantSql(r.privileges, on, r.grantee),
        drop: `REVOKE ALL ON ${on} FROM ${r.grantee};`,
      });
    }
  }
  return snapshot;
}

/** GRANT statements for `privileges` (each possibly `... WITH GRANT OPTION`) on `on` to `role`. */
export function grantSql(privileges: readonly string[], on: string, role: string): string {
  const plain = privileges.filter((p) => !p.endsWith(" WITH GRANT OPTION"));
  const withOption = privileges.filter((p) => p.endsWith(" WITH GRANT OPTION")).map((p) => p.replace(" WITH GRANT OPTION", ""));
  return [
    ...(plain.length ? [`GRANT ${plain.join(", ")} ON ${on} TO ${role};`] : []),
    ...(withOption.length ? [`GRANT ${withOption.join(", ")} ON ${on} TO ${role} WITH GRANT OPTION;`] : []),
  ].join("\n");
}

/** An SQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
