import { OBJECT_KINDS, type ObjectKind, type SchemaObject, type SchemaSnapshot, grantSql, literal, objectKey } from "./inspect";

/**
 * Comparing two schemas — what the migrations give (`expected`) and what a database has
 * (`actual`) — object by object and attribute by attribute; and the SQL that turns `actual` into
 * `expected`.
 */

/** How an object differs. */
export type ChangeKind = "missing" | "extra" | "changed";

/** One difference between the expected schema and the actual one. */
export interface SchemaDifference {
  kind: ObjectKind;
  /** The object, schema-qualified. */
  name: string;
  /** `missing`: expected, absent from the database; `extra`: in the database only; `changed`: both, one attribute differs. */
  change: ChangeKind;
  /** For `changed`: the attribute (`type`, `nullable`, `default`, `definition`, `privileges`, ...). */
  attribute?: string;
  /** What the migrations give: the attribute's value, or (missing) the object's definition. */
  expected?: string | null;
  /** What the database has: the attribute's value, or (extra) the object's definition. */
  actual?: string | null;
}

/** A value on one line, cut to a readable width; `none` for no value. */
export function shortValue(value: string | null | undefined): string {
  if (value === null || value === undefined) return "none";
  const flat = value.replace(/\s+/g, " ").trim();
  return flat.length > 160 ? `${flat.slice(0, 159)}…` : flat;
}

/**
 * A difference in one line of plain text, migrations first, database second:
 * `changed column public.t.c type: integer → bigint`, `missing index public.t_i (in the migrations,
 * not in the database: …)`, `extra table public.t (in the database only: …)`.
 */
export function describeDifference(d: SchemaDifference): string {
  const what = `${d.kind} ${d.name}`;
  if (d.change === "changed") return `changed ${what} ${d.attribute}: ${shortValue(d.expected)} → ${shortValue(d.actual)}`;
  if (d.change === "missing") return `missing ${what} (in the migrations, not in the database: ${shortValue(d.expected)})`;
  return `extra ${what} (in the database only: ${shortValue(d.actual)})`;
}

const CHILD_KINDS: ReadonlySet<ObjectKind> = new Set(["column", "constraint", "foreign key", "index", "trigger"]);

/**
 * Every difference, ordered by kind then name. The columns of a missing or extra table are part
 * of that table's difference, and so is everything that goes with an extra table when it is dropped.
 */
export function compareSchemas(expected: SchemaSnapshot, actual: SchemaSnapshot): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const missingTables = new Set<string>();
  const extraTables = new Set<string>();
  for (const [key, e] of expected) if (e.kind === "table" && !actual.has(key)) missingTables.add(e.name);
  for (const [key, a] of actual) if (a.kind === "table" && !expected.has(key)) extraTables.add(a.name);
  for (const [key, e] of expected) {
    const a = actual.get(key);
    if (!a) {
      if (e.kind === "column" && missingTables.has(e.table!)) continue;
      out.push({ kind: e.kind, name: e.name, change: "missing", expected: summary(e) });
      continue;
    }
    for (const attribute of Object.keys({ ...e.attributes, ...a.attributes })) {
      const ev = e.attributes[attribute] ?? null;
      const av = a.attributes[attribute] ?? null;
      if (ev !== av) out.push({ kind: e.kind, name: e.name, change: "changed", attribute, expected: ev, actual: av });
    }
  }
  for (const [key, a] of actual) {
    if (expected.has(key)) continue;
    if (a.table && CHILD_KINDS.has(a.kind) && extraTables.has(a.table)) continue;
    out.push({ kind: a.kind, name: a.name, change: "extra", actual: summary(a) });
  }
  const rank = (k: ObjectKind) => OBJECT_KINDS.indexOf(k);
  return out.sort((x, y) => rank(x.kind) - rank(y.kind) || x.name.localeCompare(y.name) || (x.attribute ?? "").localeCompare(y.attribute ?? ""));
}

/** A short description of an object for a missing or extra difference. */
function summary(o: SchemaObject): string {
  switch (o.kind) {
    case "column":
      return [o.attributes.type, o.attributes.nullable === "NOT NULL" ? "NOT NULL" : null, o.attributes.default ? `DEFAULT ${o.attributes.default}` : null].filter(Boolean).join(" ");
    case "grant":
      return o.attributes.privileges ?? "";
    case "table":
    case "schema":
    case "sequence":
    case "extension":
      return o.create;
    default:
      return o.attributes.definition ?? o.create;
  }
}

/**
 * The SQL that turns the `actual` schema into the `expected` one, for the differences found
 * between them: creations in dependency order (schemas, extensions, types, sequences, tables,
 * columns, constraints, foreign keys, indexes, views, functions, triggers, grants), drops before
 * them, newest kinds first. Statements PostgreSQL cannot do in place are written as comments.
 */
export function sqlToMatch(expected: SchemaSnapshot, actual: SchemaSnapshot, differences: readonly SchemaDifference[]): string[] {
  const drops: { kind: ObjectKind; sql: string }[] = [];
  const creates: { kind: ObjectKind; sql: string }[] = [];
  const changedObjects = new Set<string>();
  for (const d of differences) {
    const key = objectKey(d.kind, d.name);
    const e = expected.get(key);
    const a = actual.get(key);
    if (d.change === "missing") {
      creates.push({ kind: d.kind, sql: e!.create });
    } else if (d.change === "extra") {
      drops.push({ kind: d.kind, sql: a!.drop });
    } else if (!changedObjects.has(key)) {
      changedObjects.add(key);
      const alter = alterSql(e!, a!, differences.filter((x) => x.change === "changed" && x.kind === d.kind && x.name === d.name));
      for (const s of alter.drops) drops.push({ kind: d.kind, sql: s });
      for (const s of alter.creates) creates.push({ kind: d.kind, sql: s });
    }
  }
  const rank = (k: ObjectKind) => OBJECT_KINDS.indexOf(k);
  // Dropping a missing table's parent first never happens: drops are of extra objects, children
  // (triggers, views, foreign keys) before what they depend on.
  drops.sort((x, y) => rank(y.kind) - rank(x.kind));
  creates.sort((x, y) => rank(x.kind) - rank(y.kind));
  return [...drops, ...creates].map((s) => s.sql);
}

/** Statements that alter `a` (actual) into `e` (expected). */
function alterSql(e: SchemaObject, a: SchemaObject, changes: readonly SchemaDifference[]): { drops: string[]; creates: string[] } {
  const recreate = { drops: [a.drop], creates: [e.create] };
  switch (e.kind) {
    case "column": {
      const column = e.name.slice(e.table!.length + 1);
      const out: string[] = [];
      for (const c of changes) {
        const at = `ALTER TABLE ${e.table} ALTER COLUMN ${column}`;
        if (c.attribute === "type") out.push(`${at} TYPE ${c.expected} USING ${column}::${c.expected};`);
        else if (c.attribute === "nullable") out.push(`${at} ${c.expected === "NOT NULL" ? "SET" : "DROP"} NOT NULL;`);
        else if (c.attribute === "default") out.push(c.expected === null ? `${at} DROP DEFAULT;` : `${at} SET DEFAULT ${c.expected};`);
        else if (c.attribute === "identity") {
          if (c.actual !== null) out.push(`${at} DROP IDENTITY;`);
          if (c.expected !== null) out.push(`${at} ADD GENERATED ${c.expected} AS IDENTITY;`);
        } else if (c.attribute === "generated") {
          out.push(`-- ${e.name}: its generation expression differs (${c.actual ?? "none"} in the database, ${c.expected ?? "none"} in the migrations); drop and re-add the column to change it`);
        }
      }
      return { drops: [], creates: out };
    }
    case "enum": {
      const want = parseLabels(e.attributes.labels);
      const have = parseLabels(a.attributes.labels);
      const removed = have.filter((l) => !want.includes(l));
      const keptOrder = want.filter((l) => have.includes(l));
      if (removed.length > 0 || keptOrder.join("\u0000") !== have.join("\u0000")) {
        return { drops: [], creates: [`-- ${e.name}: the database's labels (${a.attributes.labels}) cannot become (${e.attributes.labels}) in place: PostgreSQL cannot remove or reorder enum labels`] };
      }
      const out: string[] = [];
      want.forEach((label, i) => {
        if (have.includes(label)) return;
        out.push(i === 0 ? `ALTER TYPE ${e.name} ADD VALUE ${literal(label)} BEFORE ${literal(want[1])};` : `ALTER TYPE ${e.name} ADD VALUE ${literal(label)} AFTER ${literal(want[i - 1])};`);
      });
      return { drops: [], creates: out };
    }
    case "sequence": {
      const parts = changes.map((c) =>
        c.attribute === "type"
          ? `AS ${c.expected}`
          : c.attribute === "cycle"
            ? `${c.expected}`
            : `${{ start: "START WITH", increment: "INCREMENT BY", min: "MINVALUE", max: "MAXVALUE", cache: "CACHE" }[c.attribute as "start"]} ${c.expected}`,
      );
      return { drops: [], creates: [`ALTER SEQUENCE ${e.name} ${parts.join(" ")};`] };
    }
    case "extension":
      return { drops: [], creates: [`ALTER EXTENSION ${e.name} SET SCHEMA ${e.attributes.schema};`] };
    case "view":
      return { drops: [], creates: [e.create.replace(/^CREATE VIEW/, "CREATE OR REPLACE VIEW")] };
    case "function":
    case "procedure":
      return { drops: [], creates: [e.create] };
    case "grant": {
      const want = (e.attributes.privileges ?? "").split(", ").filter(Boolean);
      const have = (a.attributes.privileges ?? "").split(", ").filter(Boolean);
      const [grantee, on] = e.name.split(" on ");
      const revoke = have.filter((p) => !want.includes(p)).map((p) => p.replace(" WITH GRANT OPTION", ""));
      const grant = want.filter((p) => !have.includes(p));
      return { drops: revoke.length ? [`REVOKE ${[...new Set(revoke)].join(", ")} ON ${on} FROM ${grantee};`] : [], creates: grant.length ? [grantSql(grant, on, grantee)] : [] };
    }
    case "table":
      return { drops: [], creates: [`-- ${e.name}: ${changes.map((c) => `${c.attribute} is ${c.actual ?? "not set"} in the database, ${c.expected ?? "not set"} in the migrations`).join("; ")}: recreate the table to change it`] };
    default:
      return recreate;
  }
}

function parseLabels(labels: string | null | undefined): string[] {
  if (!labels) return [];
  const out: string[] = [];
  const re = /'((?:[^']|'')*)'/g;
  for (let m = re.exec(labels); m; m = re.exec(labels)) out.push(m[1].replace(/''/g, "'"));
  return out;
}
