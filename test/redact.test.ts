import { memoryOutput } from "../src/cli/output";
import { afterEach, describe, expect, it } from "vitest";
import { snippet } from "../src/migrate/sql-error";
import { migrationFailed } from "../src/migrate/sql-error";
import { forgetSecrets, redactSql, redactText, redactUrl, rememberUrlSecrets, sqlPasswords, urlSecrets } from "../src/redact";

afterEach(() => forgetSecrets());

describe("redactUrl", () => {
  it("hides a plain password and keeps the rest", () => {
    expect(redactUrl("postgres://deploy:Sup3r-S3cret@db.example.com:5432/crm")).toBe("postgres://deploy:***@db.example.com:5432/crm");
  });

  it("hides a password holding @ up to the last @ before the host", () => {
    expect(redactUrl("postgres://u:p@ssW0rd@host/db")).toBe("postgres://u:***@host/db");
    expect(redactText("cannot connect to postgres://u:p@ss@W0rd@127.0.0.1:1/db: connect ECONNREFUSED")).toBe(
      "cannot connect to postgres://u:***@127.0.0.1:1/db: connect ECONNREFUSED",
    );
  });

  it("does not reach into the path or query for a later @", () => {
    expect(redactUrl("postgres://u:pw@host/db?application_name=a@b")).toBe("postgres://u:***@host/db?application_name=a@b");
  });

  it("hides a password holding a space when a host and path follow", () => {
    expect(redactText("could not connect to postgres://u:my secret pw@127.0.0.1:5432/db: refused")).toBe("could not connect to postgres://u:***@127.0.0.1:5432/db: refused");
  });

  it("leaves URLs without a password alone", () => {
    expect(redactText("see https://example.com:8080/docs or mail ops@example.com")).toBe("see https://example.com:8080/docs or mail ops@example.com");
    expect(redactUrl("postgres://deploy@host/db")).toBe("postgres://deploy@host/db");
  });

  it("hides the password of a Unix-socket URL, in the userinfo or as a query parameter", () => {
    expect(redactUrl("postgresql://deploy:s0cket-pw@%2Fvar%2Frun%2Fpostgresql/crm")).toBe("postgresql://deploy:***@%2Fvar%2Frun%2Fpostgresql/crm");
    expect(redactUrl("postgres:///crm?host=/var/run/postgresql&user=deploy&password=s0cket-pw")).toBe("postgres:///crm?host=/var/run/postgresql&user=deploy&password=***");
    expect(redactUrl("postgresql://deploy:s0cket-pw@/crm?host=/var/run/postgresql")).toBe("postgresql://deploy:***@/crm?host=/var/run/postgresql");
    // Remembered, a query-parameter password is hidden wherever else it appears.
    rememberUrlSecrets("postgres:///crm?host=/var/run/postgresql&password=s0cket%2Fpw");
    expect(redactText("FATAL: s0cket/pw and s0cket%2Fpw")).toBe("FATAL: *** and ***");
  });

  it("hides password query parameters", () => {
    expect(redactUrl("postgres://host/db?user=u&password=hunter2&sslmode=require")).toBe("postgres://host/db?user=u&password=***&sslmode=require");
  });
});

describe("libpq keyword strings", () => {
  it("hides the value and keeps the quotes and brackets around it", () => {
    expect(redactText("SELECT dblink_connect('host=db password=abc')")).toBe("SELECT dblink_connect('host=db password=***')");
    expect(redactText("(password=abc)")).toBe("(password=***)");
    expect(redactText("host=db password='a b\\'c' user=x")).toBe("host=db password='***' user=x");
    expect(redactText('password="x y" dbname=crm')).toBe('password="***" dbname=crm');
  });
});

describe("PASSWORD literals in SQL", () => {
  it("hides CREATE ROLE ... PASSWORD, ENCRYPTED PASSWORD and E'' literals", () => {
    expect(redactText("CREATE ROLE x LOGIN PASSWORD 'hunter2secret';")).toBe("CREATE ROLE x LOGIN PASSWORD '***';");
    expect(redactText("alter role x with encrypted password 'it''s secret' valid until 'infinity'")).toBe("alter role x with encrypted password '***' valid until 'infinity'");
    expect(redactText("ALTER ROLE x PASSWORD E'a\\'b' LOGIN")).toBe("ALTER ROLE x PASSWORD '***' LOGIN");
    expect(redactText("ALTER ROLE x UNENCRYPTED PASSWORD $pw$s3cret$pw$")).toBe("ALTER ROLE x UNENCRYPTED PASSWORD '***'");
    expect(redactSql("CREATE ROLE x PASSWORD 'unterminated")).toBe("CREATE ROLE x PASSWORD '***'");
  });

  it("leaves PASSWORD NULL and prose alone", () => {
    expect(redactText("ALTER ROLE x PASSWORD NULL")).toBe("ALTER ROLE x PASSWORD NULL");
    expect(redactText('password authentication failed for user "deploy"')).toBe('password authentication failed for user "deploy"');
  });

  it("lists the literals' values", () => {
    expect(sqlPasswords("CREATE ROLE a PASSWORD 'one1';\nCREATE ROLE b ENCRYPTED PASSWORD 'it''s2';")).toEqual(["one1", "it''s2", "it's2"]);
  });

  it("shows a failing line with the literal hidden and the caret under the same token", () => {
    const section = { text: "CREATE ROLE app LOGIN PASSWORD 'hunter2secret' VALID UNTIL 'soon';", line: 1 };
    const column = section.text.indexOf("'soon'") + 1;
    const shown = snippet(section, { line: 1, column });
    expect(shown).toBe(`  1 | CREATE ROLE app LOGIN PASSWORD '***' VALID UNTIL 'soon';\n    | ${" ".repeat("CREATE ROLE app LOGIN PASSWORD '***' VALID UNTIL ".length)}^`);
  });

  it("removes the literal from PostgreSQL's own message about the statement", () => {
    const section = { text: "CREATE ROLE app PASSWORD 'hunter2secret' 'oops';", line: 1 };
    const error = Object.assign(new Error(`syntax error at or near "'hunter2secret'"`), { code: "42601" });
    const failed = migrationFailed({ version: "0001", name: "roles", file: "migrations/0001_roles.sql" }, section, error, { line: 1, column: 26 }, "rolled back");
    expect(failed.message).not.toContain("hunter2secret");
    expect(failed.message).toContain('syntax error at or near "\'***\'"');
  });
});

describe("known secrets", () => {
  it("lists a URL's password as written, decoded and encoded", () => {
    expect(urlSecrets("postgres://u:p%40ss%20w@host/db")).toEqual(expect.arrayContaining(["p%40ss%20w", "p@ss w"]));
    expect(urlSecrets("postgres://u:p@ss w@host/db")).toEqual(expect.arrayContaining(["p@ss w", "p%40ss%20w"]));
    expect(urlSecrets("postgres://host/db")).toEqual([]);
    // Unencoded @ and / in a URL that still parses (host "Pw99"): the password runs to the last @.
    expect(urlSecrets("postgres://u:Sekr3t@Pw99/x@127.0.0.1:5499/db")).toEqual(expect.arrayContaining(["Sekr3t", "Sekr3t@Pw99/x"]));
    expect(redactText("→ postgres://u:Sekr3t@Pw99/x@127.0.0.1:5499/db", urlSecrets("postgres://u:Sekr3t@Pw99/x@127.0.0.1:5499/db"))).toBe("→ postgres://u:***@127.0.0.1:5499/db");
  });

  it("removes a remembered password wherever it appears, however odd", () => {
    rememberUrlSecrets("postgres://u:we ird;pa$$@host/db");
    expect(redactText("auth failed for we ird;pa$$ in postgres://u:we ird;pa$$@host/db")).toBe("auth failed for *** in postgres://u:***@host/db");
    forgetSecrets();
    expect(redactText("we ird;pa$$")).toBe("we ird;pa$$");
  });

  it("removes secrets passed in, and skips ones too short to be safe", () => {
    expect(redactText("token abcd and ab", ["abcd", "ab"])).toBe("token *** and ab");
  });
});

describe("JSON output", () => {
  it("redacts inside strings and stays valid JSON, escaped quotes included", () => {
    const output = memoryOutput();
    output.json({ sql: 'SELECT dblink_connect(\'host=db password="S3cr3tPw" dbname=x\')', url: "postgres://u:S3cr3tPw@h/db" });
    const text = output.stdout.join("\n");
    expect(text).not.toContain("S3cr3tPw");
    expect(JSON.parse(text)).toEqual({ sql: "SELECT dblink_connect('host=db password=\"***\" dbname=x')", url: "postgres://u:***@h/db" });
  });
});
