import * as fs from "node:fs";
import * as path from "node:path";
import { RDS_INSTANCE_CLASS_MEMORY_GIB, maxConnections } from "../../src/settings/rds-instance-classes";
import { REPO } from "../helpers/cli";
import { type Seeded, seeded } from "./helpers/seeded";

/**
 * Generated bad input for the bad-input tests: malformed migration files, stack config files and
 * command lines, from a seed. Each case says what it is, so a failure prints a case that can be
 * read, and the seed (`DBPIPE_FUZZ_SEED`) that replays the whole run.
 */

/** The seed of this run: `DBPIPE_FUZZ_SEED` (a whole number) when set, else a random one. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = env.DBPIPE_FUZZ_SEED?.trim();
  if (given) {
    if (!/^\d+$/.test(given)) throw new Error(`DBPIPE_FUZZ_SEED must be a whole number, got ${JSON.stringify(given)}`);
    return Number(given) >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** A generator for `seed`, with helpers to pick from lists. */
export interface Fuzz extends Seeded {
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  word(min?: number, max?: number): string;
}

export function fuzz(seed: number): Fuzz {
  const r = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[r.int(0, items.length - 1)];
  return {
    ...r,
    pick,
    chance: (p) => r.next() < p,
    word: (min = 1, max = 10) => Array.from({ length: r.int(min, max) }, () => pick([..."abcdefghijklmnopqrstuvwxyz_"])).join(""),
  };
}

/** The repository's sample migrations: real SQL to cut and damage. */
export const SAMPLE_SQL: readonly string[] = fs
  .readdirSync(path.join(REPO, "migrations"))
  .sort()
  .map((name) => fs.readFileSync(path.join(REPO, "migrations", name), "utf8"));

/** A malformed migration file. */
export interface SqlCase {
  /** What was done to it, for the failure message. */
  kind: string;
  /** The file's bytes. */
  content: Buffer;
  /**
   * `refused`: it must be refused (exit 2) naming the file, at `line` when given. `any`: it may
   * parse (a cut that falls between statements), but must be judged cleanly either way.
   * `refused-by-up`: it parses and lints, but `up` (and `plan`) must refuse to run it.
   */
  expect: "refused" | "any" | "refused-by-up";
  line?: number;
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split("\n").length;

/** Statements that parse, to build files around a defect. */
const GOOD = [
  "CREATE TABLE t_%w (id bigint PRIMARY KEY, name text NOT NULL DEFAULT '');",
  "ALTER TABLE t_%w ADD COLUMN note text;",
  "CREATE INDEX i_%w ON t_%w (name);",
  "INSERT INTO t_%w (id, name) VALUES (1, 'it''s'), (2, E'tab\\there');",
  "CREATE FUNCTION f_%w() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;",
  "CREATE VIEW v_%w AS SELECT 1 AS one;",
  "COMMENT ON TABLE t_%w IS 'a /* not a comment */ -- nor this';",
];

function goodStatements(f: Fuzz, n: number): string[] {
  return Array.from({ length: n }, () => {
    const w = f.word(3, 8);
    return f.pick(GOOD).replace(/%w/g, w);
  });
}

/**
 * Defects whose file can never be valid. `open`: the defect swallows the rest of the file (an open
 * quote), so nothing may follow it: a quote in a later statement would close it.
 */
const DEFECTS: readonly ((f: Fuzz) => { kind: string; text: string; open?: boolean; refusedBy?: "up" })[] = [
  (f) => ({ kind: "unterminated quoted string", text: `SELECT '${f.word()} ${f.word()};` , open: true}),
  (f) => ({ kind: "unterminated quoted identifier", text: `CREATE TABLE "${f.word()} (i int);` , open: true}),
  (f) => ({ kind: "unterminated escape string", text: `SELECT E'${f.word()}\\';` , open: true}),
  (f) => ({ kind: "unterminated $$ body", text: `CREATE FUNCTION g_${f.word(3)}() RETURNS int LANGUAGE sql AS $$ SELECT 1;` , open: true}),
  (f) => ({ kind: "mismatched dollar tags", text: `CREATE FUNCTION g_${f.word(3)}() RETURNS int LANGUAGE sql AS $a$ SELECT 1 $b$;` , open: true}),
  (f) => ({ kind: "unterminated block comment", text: `/* ${f.word()}\nSELECT 1;` , open: true}),
  (f) => ({ kind: "statement cut mid-word", text: `CREATE TABLE ${f.word(3)} (id bigint PRIMARY KEY, name te` , open: true}),
  (f) => ({ kind: "unbalanced parenthesis", text: `CREATE TABLE ${f.word(3)} (id bigint, CHECK ((id > 0));` }),
  (f) => ({ kind: "keyword soup", text: `${f.pick(["SELECT", "CREATE", "ALTER TABLE", "DROP"])} ${f.pick(["FROM", "WHERE", "TABLE", ";", ")"])} ${f.pick(["(", ",", "ON", "INTO"])};` }),
  (f) => ({ kind: "unknown directive", text: `-- dbpipe:${f.pick(["DOWN", "Down", "no_transaction", "notransaction", "no-transactions", "dwon", "allwo"])}\nSELECT 1;` }),
  (f) => ({ kind: "directive in a block comment", text: `/* dbpipe:${f.pick(["down", "no-transaction"])} */\nSELECT 1;` }),
  (f) => ({ kind: "directive after a statement", text: `SELECT 1; -- dbpipe:${f.pick(["down", "no-transaction"])}` }),
  (f) => ({ kind: "upper-case directive", text: `-- ${f.pick(["DBPIPE:DOWN", "DBPIPE:NO-TRANSACTION", "Dbpipe:down"])}\nSELECT 1;` }),
  (f) => ({ kind: "allow without a reason", text: `-- dbpipe:allow ${f.pick(["drop-table", "drop-column"])}\nDROP TABLE IF EXISTS ${f.word(3)};` }),
  (f) => ({ kind: "allow of an unknown rule", text: `-- dbpipe:allow ${f.word(4)}-${f.word(4)} because\nSELECT 1;` }),
  () => ({ kind: "COMMIT inside a transactional file", text: "CREATE TABLE half (i int);\nCOMMIT;\nCREATE TABLE other_half (i int);", refusedBy: "up" }),
];

/** One generated malformed migration file. */
export function sqlCase(f: Fuzz): SqlCase {
  const shape = f.int(0, 99);
  const before = goodStatements(f, f.int(0, 3)).join("\n");
  const prefix = before === "" ? "" : `${before}\n`;
  if (shape < 35) {
    const d = f.pick(DEFECTS)(f);
    const after = !d.open && f.chance(0.5) ? `\n${goodStatements(f, f.int(1, 2)).join("\n")}` : "";
    const text = prefix + d.text + after + "\n";
    return { kind: d.kind, content: Buffer.from(text), expect: d.refusedBy === "up" ? "refused-by-up" : "refused" };
  }
  if (shape < 50) {
    // A real migration cut at a random byte: may still parse (cut between statements).
    const sql = f.pick(SAMPLE_SQL);
    const at = f.int(1, sql.length - 1);
    return { kind: `sample cut at byte ${at}`, content: Buffer.from(sql.slice(0, at)), expect: "any" };
  }
  if (shape < 62) {
    // Bytes that are not UTF-8: a lone continuation byte, a truncated sequence, an overlong form, a surrogate.
    const bad = f.pick([[0x80], [0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
    const text = prefix + `SELECT 'caf${"é".repeat(f.int(0, 2))}`;
    const rest = Buffer.from(`';\n${goodStatements(f, 1)[0]}\n`);
    return { kind: `invalid UTF-8 ${bad.map((b) => b.toString(16)).join(" ")}`, content: Buffer.concat([Buffer.from(text), Buffer.from(bad), rest]), expect: "refused", line: lineOf(text, text.length) };
  }
  if (shape < 72) {
    const text = prefix + "SELECT 1";
    const nul = f.pick(["\0", "\0\0\0", "\u0000;"]);
    return { kind: "NUL byte", content: Buffer.from(`${text}${nul};\n`), expect: "refused", line: lineOf(text, text.length) };
  }
  if (shape < 80) {
    // A huge line: a long literal, valid or left open.
    const size = f.int(100_000, 1_500_000);
    const open = f.chance(0.5);
    const text = `${prefix}INSERT INTO big VALUES ('${"x".repeat(size)}${open ? "" : "')"};\n`;
    return { kind: `huge line of ${size} bytes${open ? ", literal left open" : ""}`, content: Buffer.from(text), expect: open ? "refused" : "any" };
  }
  if (shape < 85) {
    const blank = f.pick(["", "\n", "   \n\t\n", "\v\f\n", "-- only a comment\n", "/* only */\n", "\u00a0\u2003\n"]);
    return { kind: `empty file ${JSON.stringify(blank)}`, content: Buffer.from(blank), expect: "refused" };
  }
  if (shape < 92) {
    // Random bytes (not only text).
    const n = f.int(1, 400);
    const bytes = Buffer.from(Array.from({ length: n }, () => f.int(0, 255)));
    return { kind: `${n} random bytes`, content: bytes, expect: "any" };
  }
  // Random SQL-ish tokens.
  const tokens = ["SELECT", "CREATE", "TABLE", "(", ")", ",", ";", "'", '"', "$$", "$x$", "--", "/*", "*/", "\n", "1", "x", "E'", "\\", "::", "[", "]", "-- dbpipe:down\n", "-- dbpipe:no-transaction\n", "BEGIN;", "COMMIT;"];
  const text = Array.from({ length: f.int(1, 40) }, () => f.pick(tokens)).join(" ");
  return { kind: "token soup", content: Buffer.from(text), expect: "any" };
}

/** A malformed stack config file (`Pulumi.<stack>.yaml`). */
export interface ConfigCase {
  kind: string;
  text: string;
  /** What the error must name: the key (`dbpipe:lockTimeout`), or `(file)` for YAML that does not parse. */
  names: string;
  /** The line the error must give, when known. */
  line?: number;
}

/** Values that no key of each type accepts. */
const WRONG: Record<string, readonly string[]> = {
  boolean: ["yes", "no", "1", "0", "maybe", "[true]", "{a: 1}", "'True '", "null-ish", "2"],
  integer: ["abc", "1.5", "-7", "0", "[1]", "{n: 1}", "1e400", "99999999999999999999", "'12 days'", "true"],
  duration: ["5 parsecs", "-1s", "abc", "[5s]", "{s: 5}", "true", "1.5.5s", "5ss", "99999999999h", "s5"],
  choice: ["PROD", "Dev ", "rds2", "[dev]", "{t: 1}", "true", "123", "'medium-ish'", "hihg", "none"],
  list: ["5", "true", "{a: 1}", "'not json'", "[[1, 2]]", "[1, 2]", "['']", "[{}]"],
  map: ["5", "[1, 2]", "'not json'", "true"],
  url: ["not-a-url", "http://host/db", "postgres//host/db", "'postgres://u:p@'", "5", "mysql://u:p@h/db"],
  pattern: ["'x y z'", "[a]", "{a: 1}", "true", "'vpc_nope'", "'-'", "'15.x'"],
  string: ["[a]", "{a: 1}", "true", "5"],
  sslmode: ["prefer", "disable", "allow", "verify_full", "VERIFY-FULL", "verify-fulll", "verifyca", "[require]", "true", "{mode: require}"],
  instanceClass: ["db.t4g.mikro", "db.m6g.huge", "t4g.micro", "db.z1d.large", "DB.T4G.MICRO", "db.t4g", "[db.t4g.micro]"],
  arn: ["arn:aws:sqs:eu-west-1:123456789012:q", "arn:aws:sns:eu-west-1:12345:t", "arn:aws:sns:eu-west-1:123456789012", "sns:eu-west-1:123456789012:t", "arn:aws:sns::123456789012:t", "arn:aws:lambda:eu-west-1:123456789012:function:f", "'arn:aws:sns:eu-west-1:123456789012:a b'"],
};

/** Keys and what to give each to make it wrong (the kind of value it expects). */
const TYPED_KEYS: readonly [string, keyof typeof WRONG][] = [
  ["tier", "choice"], ["migrationsLayout", "choice"], ["server", "choice"], ["backupBefore", "choice"], ["requireApprovalAt", "choice"], ["backupObjectLockMode", "choice"],
  ["lockTimeout", "duration"], ["statementTimeout", "duration"], ["lockWait", "duration"],
  ["outOfOrder", "boolean"], ["backupObjectLock", "boolean"], ["protectResources", "boolean"], ["deletionProtection", "boolean"], ["multiAz", "boolean"], ["finalSnapshot", "boolean"], ["performanceInsights", "boolean"],
  ["largeTableRows", "integer"], ["backupRetentionDays", "integer"], ["allocatedStorageGb", "integer"], ["maxAllocatedStorageGb", "integer"], ["alarmCpuPercent", "integer"], ["alarmFreeStorageMb", "integer"], ["alarmConnections", "integer"],
  ["extensions", "list"], ["subnetIds", "list"], ["allowedCidrs", "list"], ["allowedSecurityGroupIds", "list"], ["approvals", "list"],
  ["ruleSeverity", "map"],
  ["directUrl", "url"], ["pooledUrl", "url"],
  ["vpcId", "pattern"], ["engineVersion", "pattern"], ["alarmTopicArn", "pattern"], ["instanceClass", "pattern"], ["adminEndpoint", "pattern"],
  ["sslmode", "sslmode"], ["sslmode", "choice"], ["sslRootCert", "string"], ["instanceClass", "instanceClass"], ["alarmTopicArn", "arn"],
];

/** Near misses of the TLS and alarm keys' names: each must be refused as an unknown key. */
const NEAR_MISSES = ["sslMode", "ssl_mode", "sslrootcert", "sslRootCertificate", "sslCert", "alarmTopicARN", "alarmTopic", "instance_class", "instanceclass", "alarmConnection"];

/** An encrypted value's shape in a stack file (the settings are judged before anything is decrypted). */
const SECRET_DIRECT_URL = ["  dbpipe:directUrl:", "    secure: v1:bm90LWEtcmVhbC1jaXBoZXJ0ZXh0"];

/**
 * Settings that are each valid alone but refused together (or against the instance class's
 * table): the lines to add to {@link BASE}, and the key whose line the error must give.
 */
const REFUSED_COMBINATIONS: readonly ((f: Fuzz) => { what: string; lines: string[]; names: string })[] = [
  () => ({ what: "verify-full through the tunnel", lines: ["  dbpipe:networkPath: tunnel", "  dbpipe:sslmode: verify-full"], names: "sslmode" }),
  (f) => ({ what: "sslRootCert on rds", lines: [...(f.chance(0.5) ? ["  dbpipe:networkPath: tunnel"] : []), `  dbpipe:sslRootCert: ${f.pick(["certs/ca.pem", "system", "/etc/ssl/ca.pem"])}`], names: "sslRootCert" }),
  (f) => ({ what: "sslRootCert with require", lines: ["  dbpipe:server: external", ...SECRET_DIRECT_URL, "  dbpipe:sslmode: require", `  dbpipe:sslRootCert: ${f.pick(["certs/ca.pem", "system"])}`], names: "sslRootCert" }),
  (f) => ({ what: "verify-ca without a CA file on external", lines: ["  dbpipe:server: external", ...SECRET_DIRECT_URL, "  dbpipe:sslmode: verify-ca", ...(f.chance(0.5) ? ["  dbpipe:sslRootCert: system"] : [])], names: "sslmode" }),
  (f) => {
    const known = Object.keys(RDS_INSTANCE_CLASS_MEMORY_GIB);
    const real = f.pick(known);
    const wrong = f.pick([real.replace(/\.(\w+)$/, ".$1x"), real.replace(/^db\./, ""), real.replace(/\d/, "9"), `${real}.large`]);
    return known.includes(wrong) ? { what: "unknown instance class db.q1.large", lines: ["  dbpipe:instanceClass: db.q1.large"], names: "instanceClass" } : { what: `unknown instance class ${wrong}`, lines: [`  dbpipe:instanceClass: ${wrong}`], names: "instanceClass" };
  },
  (f) => {
    const instanceClass = f.pick(Object.keys(RDS_INSTANCE_CLASS_MEMORY_GIB));
    const max = maxConnections(instanceClass);
    const connections = f.pick([max, max + 1, max * 10]);
    return { what: `alarmConnections ${connections} on ${instanceClass} (max_connections about ${max})`, lines: [`  dbpipe:instanceClass: ${instanceClass}`, `  dbpipe:alarmConnections: ${connections}`], names: "alarmConnections" };
  },
  (f) => ({ what: "an ARN that is not an SNS topic's", lines: [`  dbpipe:alarmTopicArn: ${f.pick(WRONG.arn)}`], names: "alarmTopicArn" }),
];

/** A valid test-tier stack file's lines, to damage one at a time. */
const BASE = ["config:", "  aws:region: eu-west-1", "  dbpipe:tier: test", "  dbpipe:databaseName: app", "  dbpipe:lockTimeout: 10s"];

/** One generated malformed stack config. */
export function configCase(f: Fuzz): ConfigCase {
  const shape = f.int(0, 99);
  const lines = [...BASE];
  const at = f.int(2, lines.length);
  if (shape < 50) {
    const [key, type] = f.pick(TYPED_KEYS);
    const value = f.pick(WRONG[type]);
    // tier is already set in BASE: replace it rather than set it twice.
    const existing = lines.findIndex((l) => l.startsWith(`  dbpipe:${key}:`));
    const line = `  dbpipe:${key}: ${value}`;
    if (existing >= 0) lines[existing] = line;
    else lines.splice(at, 0, line);
    return { kind: `dbpipe:${key} set to ${value} (not a ${type})`, text: lines.join("\n") + "\n", names: `dbpipe:${key}`, line: (existing >= 0 ? existing : at) + 1 };
  }
  if (shape < 65) {
    const combination = f.pick(REFUSED_COMBINATIONS)(f);
    lines.splice(at, 0, ...combination.lines);
    const line = at + combination.lines.findIndex((l) => l.startsWith(`  dbpipe:${combination.names}:`)) + 1;
    return { kind: `refused combination: ${combination.what}`, text: lines.join("\n") + "\n", names: `dbpipe:${combination.names}`, line };
  }
  if (shape < 69) {
    const key = f.pick(NEAR_MISSES);
    lines.splice(at, 0, `  dbpipe:${key}: ${f.pick(["require", "verify-full", "certs/ca.pem", "db.t4g.micro", "10"])}`);
    return { kind: `near miss dbpipe:${key}`, text: lines.join("\n") + "\n", names: `dbpipe:${key}`, line: at + 1 };
  }
  if (shape < 80) {
    const real = f.pick(TYPED_KEYS)[0];
    const key = f.chance(0.5) ? real.slice(0, -1) + f.pick([..."xyzq"]) : `${f.word(3, 8)}${f.pick(["Timeout", "Days", "", "Url"])}`;
    if (TYPED_KEYS.some(([k]) => k === key)) return configCase(f);
    lines.splice(at, 0, `  dbpipe:${key}: ${f.pick(["1", "true", "x", "[a]"])}`);
    return { kind: `unknown key dbpipe:${key}`, text: lines.join("\n") + "\n", names: `dbpipe:${key}`, line: at + 1 };
  }
  // YAML that does not parse: the line it breaks on is YAML's to say; the file is named.
  const broken = f.pick([
    { what: "unclosed flow list", line: "  dbpipe:extensions: [pgcrypto, vector" },
    { what: "unclosed quote", line: '  dbpipe:lockWait: "2min' },
    { what: "tab indentation", line: "\tdbpipe:multiAz: true" },
    { what: "duplicate key", line: "  dbpipe:databaseName: other" },
    { what: "bad indentation", line: "    dbpipe:multiAz: true\n  dbpipe:finalSnapshot: true\n      x: 1" },
    { what: "stray colon map", line: "  dbpipe:tier: test: prod" },
    { what: "unclosed flow map", line: "  dbpipe:ruleSeverity: { drop-table: low" },
    { what: "anchor to nothing", line: "  dbpipe:multiAz: *nothing" },
  ]);
  lines.splice(at, 0, broken.line);
  return { kind: `YAML: ${broken.what}`, text: lines.join("\n") + "\n", names: "Pulumi.gen.yaml" };
}

/** A bad command line: what is wrong and the flag (or argument) its error must name. */
export interface FlagCase {
  kind: string;
  args: string[];
  names: string;
}

/** Commands and a valid command line for each that never reaches a database (or none is running). */
export const COMMANDS: readonly { name: string; args: string[]; database: boolean }[] = [
  { name: "up", args: ["up"], database: true },
  { name: "plan", args: ["plan"], database: true },
  { name: "status", args: ["status"], database: true },
  { name: "lint", args: ["lint"], database: false },
  { name: "baseline", args: ["baseline", "--version", "0001"], database: true },
  { name: "down", args: ["down", "--to", "0001"], database: true },
  { name: "repair", args: ["repair", "--dry-run"], database: true },
  { name: "verify", args: ["verify"], database: true },
  { name: "diff", args: ["diff", "--dry-run"], database: true },
  { name: "adopt", args: ["adopt", "--dry-run"], database: true },
  { name: "backup", args: ["backup"], database: true },
  { name: "backups", args: ["backups"], database: false },
  { name: "restore", args: ["restore", "--drill"], database: true },
];

/**
 * The rds stack with a tunnel that `dbpipe tunnel` cases name (`--stack tun`): the test writes it
 * into the command lines' project, so `--wait` is judged, not the missing stack.
 */
export const TUNNEL_STACK = { file: "Pulumi.tun.yaml", text: "config:\n  aws:region: eu-west-1\n  dbpipe:tier: test\n  dbpipe:networkPath: tunnel\n" };

/** A bad `dbpipe tunnel --wait` or `dbpipe env new --server/--network-path` command line. */
function tunnelOrEnvCase(f: Fuzz): FlagCase {
  if (f.chance(0.5)) {
    const tunnel = ["tunnel", "--stack", "tun"];
    if (f.chance(0.15)) return { kind: "tunnel: --wait without a value", args: [...tunnel, "--wait"], names: "--wait" };
    if (f.chance(0.1)) return { kind: "tunnel: --wait with --print", args: [...tunnel, "--wait", "45min", "--print"], names: "--wait" };
    const value = f.pick(["abc", "5 parsecs", "-1s", "", "0", "0s", "99999999999h", "1.5.5s", "2d", "45mins", "1e3", "forever", "PT45M"]);
    return { kind: `tunnel: --wait ${JSON.stringify(value)}`, args: [...tunnel, "--wait", value], names: "--wait" };
  }
  const env = ["env", "new", `fz${f.word(3, 6).replace(/_/g, "")}`, "--tier", f.pick(["dev", "test", "prod"])];
  const shape = f.int(0, 2);
  if (shape === 0) {
    return { kind: "env new: --network-path with --server external", args: [...env, "--server", "external", "--network-path", f.pick(["tunnel", "vpc"])], names: "--network-path" };
  }
  if (shape === 1) {
    const value = f.pick(["rdss", "RDS", "neon", "supabase", "", "external ", "aurora"]);
    return { kind: `env new: --server ${JSON.stringify(value)}`, args: [...env, "--server", value], names: "--server" };
  }
  const value = f.pick(["vpn", "Tunnel", "", "ssm", "vpc-peering", "public"]);
  return { kind: `env new: --network-path ${JSON.stringify(value)}`, args: [...env, "--server", "rds", "--network-path", value], names: "--network-path" };
}

/** One generated bad command line. */
export function flagCase(f: Fuzz): FlagCase {
  if (f.chance(0.12)) return tunnelOrEnvCase(f);
  const c = f.pick(COMMANDS);
  const shape = f.int(0, 99);
  if (shape < 30) {
    const flag = `--${f.word(3, 9).replace(/_/g, "-")}`;
    if (/^--(stack|dir|layout|json|help|database-url|version|to|all|dry-run|format|jobs|no-cache|rehearse|name|mark-applied|scratch-url|sql|from|table|store|force|drill|forget-all|tier|region)$/.test(flag)) return flagCase(f);
    return { kind: `${c.name}: unknown flag ${flag}`, args: [...c.args, flag, ...(f.chance(0.5) ? ["value"] : [])], names: flag };
  }
  if (shape < 55) {
    // A flag that takes a value given none (last on the line).
    const flag = c.name === "backups" ? "--store" : f.pick(["--stack", "--dir", ...(c.name === "lint" ? ["--format", "--jobs"] : c.name === "backups" ? [] : ["--database-url"])]);
    if (c.name === "backup" || c.name === "restore" || c.name === "backups") return { kind: `${c.name}: ${flag === "--dir" ? "--stack" : flag} without a value`, args: [...c.args, flag === "--dir" ? "--stack" : flag], names: flag === "--dir" ? "--stack" : flag };
    return { kind: `${c.name}: ${flag} without a value`, args: [...c.args, flag], names: flag };
  }
  if (shape < 85) {
    // A flag given a value of the wrong kind.
    const options: { flag: string; values: string[]; for?: string[] }[] = [
      { flag: "--stack", values: ["bad name", "../etc", "-", "a/b", "", "x".repeat(200), "Pulumi.dev.yaml/"] },
      { flag: "--layout", values: ["rails", "DBPIPE", "", "1"], for: ["up", "plan", "status", "lint", "baseline", "down", "repair", "verify", "diff", "adopt"] },
      { flag: "--format", values: ["xml", "JSON", "", "sarif2"], for: ["lint"] },
      { flag: "--jobs", values: ["0", "-1", "abc", "1.5", "65", "1e3", ""], for: ["lint"] },
      { flag: "--database-url", values: ["localhost:5432/db", "mysql://u@h/db", "", "postgres", "http://h/db"], for: ["up", "plan", "status", "baseline", "down", "repair", "verify", "diff", "adopt", "backup", "restore"] },
      { flag: "--from", values: ["liquibase", "", "PRISMA"], for: ["adopt"] },
      { flag: "--to", values: ["abc", "-1", "1.5", "", "v2"], for: ["down"] },
      { flag: "--version", values: ["abc", "-1", "1.5", "", "v2"], for: ["baseline"] },
      { flag: "--name", values: ["has space", "semi;colon", "", "../x", "Ünïcode"], for: ["diff"] },
      { flag: "--store", values: ["ftp://h/x", "relative/folder", "s3://", "", "file://relative"], for: ["backup", "backups", "restore"] },
    ];
    const usable = options.filter((o) => !o.for || o.for.includes(c.name));
    const o = f.pick(usable);
    const value = f.pick(o.values);
    // baseline and down already carry their flag: replace its value.
    const args = [...c.args];
    const i = args.indexOf(o.flag);
    if (i >= 0) args[i + 1] = value;
    else args.push(o.flag, value);
    return { kind: `${c.name}: ${o.flag} ${JSON.stringify(value)}`, args, names: o.flag };
  }
  // Choices given to the wrong command, or an argument where none is taken.
  const extra = f.pick(["--tier", "--format", "--rehearse", "--drill", "--forget-all"].filter((x) => !COMMAND_FLAGS[c.name]?.includes(x)));
  return { kind: `${c.name}: ${extra}, which it does not take`, args: [...c.args, extra], names: extra };
}

/** Flags each command takes among those {@link flagCase} gives to the wrong one. */
const COMMAND_FLAGS: Record<string, string[]> = {
  lint: ["--format"],
  up: ["--rehearse"],
  plan: ["--rehearse"],
  restore: ["--drill"],
  repair: ["--forget-all"],
};
