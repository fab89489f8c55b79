/**
 * Passwords never reach output, logs or errors. Every connection URL that dbpipe prints goes
 * through {@link redactUrl}; every message that may quote a URL, a libpq keyword string or SQL
 * (an error from `pg`, from pg_dump, from the user's own config, a migration's failing line) goes
 * through {@link redactText}.
 *
 * Patterns only go so far (a password may hold any character), so the passwords of the connection
 * URLs a run knows about are also remembered ({@link rememberUrlSecrets}) and removed verbatim,
 * wherever they appear.
 */

/**
 * `scheme://user:password@host`: the password runs up to the last `@` before the host, so a
 * password holding `@` is hidden whole. It stops at `/`, `?` and `#`, which end a URL's authority.
 */
const URL_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]*):([^\s/?#]*)@/gi;
/** The same with a space in the password, recognised only when a host and a path follow. */
const URL_WITH_SPACED_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]+):([^\n/?#]*?\s[^\n/?#]*)@(?=[\w.-]+(?::\d+)?\/)/gi;
/** `password=...` in a libpq keyword string; an unquoted value leaves closing quotes and brackets alone. */
const KEYWORD_PASSWORD = /\b(password|passwd|pwd)\s*=\s*('(?:[^'\\]|\\.)*'?|"[^"]*"?|[^\s;&'"]+?(?=\)*(?:[\s;&'"]|$)))/gi;
const QUERY_PASSWORD = /([?&](?:password|sslpassword)=)[^&\s]*/gi;
/**
 * `PASSWORD '...'` in SQL (`CREATE ROLE`, `ALTER ROLE`, `[UN]ENCRYPTED PASSWORD`), with a standard,
 * escape (`E'...'`) or dollar-quoted literal; an unterminated literal is hidden to the end.
 */
const SQL_PASSWORD = /\b((?:(?:UN)?ENCRYPTED\s+)?PASSWORD\s+)(E'(?:[^'\\]|''|\\[\s\S])*(?:'|$)|'(?:[^']|'')*(?:'|$)|\$([A-Za-z_][A-Za-z_0-9]*)?\$[\s\S]*?(?:\$\3\$|$))/gi;

/** What every pattern above needs somewhere in the text: `://`, or `passw` / `pwd` in any case. */
const MAY_HOLD_PASSWORD = /:\/\/|passw|pwd/i;

/**
 * The example connection URL messages show (`expected postgres://USER:PASSWORD@HOST:5432/DATABASE`).
 * It is the one URL {@link redactText} leaves whole: it holds no one's password, and a redacted
 * example (`user:***@host`) would not say what to write.
 */
export const EXAMPLE_URL = "postgres://USER:PASSWORD@HOST:5432/DATABASE";

/** Secrets shorter than this are not replaced verbatim: they would match ordinary words. */
const MIN_SECRET_LENGTH = 4;
const remembered = new Set<string>();

/**
 * False when {@link redactText} (with no `secrets`) would give `text` back unchanged, and so every
 * part of it: nothing is remembered and no pattern can match. One check on a whole report spares
 * the one per line.
 */
export function mayNeedRedacting(text: string): boolean {
  return knownSecrets([]).length > 0 || MAY_HOLD_PASSWORD.test(text);
}

/** The remembered secrets in {@link knownSecrets}' order, while `remembered` is unchanged (every line printed asks). */
let rememberedInOrder: string[] | undefined;

/** The secrets {@link redactText} replaces verbatim: `secrets` and the remembered ones, long enough to replace, longest first. */
function knownSecrets(secrets: readonly string[]): readonly string[] {
  if (secrets.length === 0) return (rememberedInOrder ??= inReplacingOrder(remembered));
  return inReplacingOrder([...secrets, ...remembered]);
}

function inReplacingOrder(secrets: Iterable<string>): string[] {
  return [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Returns `url` with its password replaced by `***` (and a `password=` query parameter too). */
export function redactUrl(url: string): string {
  return redactText(url);
}

/**
 * Removes passwords from free text: URL userinfo, `password=...` keywords and query parameters,
 * `PASSWORD '...'` in SQL, and every secret in `secrets` or remembered by {@link rememberUrlSecrets}.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  if (text.includes(EXAMPLE_URL)) return text.split(EXAMPLE_URL).map((part) => redactText(part, secrets)).join(EXAMPLE_URL);
  let out = text;
  // Known secrets first: a pattern would otherwise cut a password with odd characters in two.
  for (const secret of knownSecrets(secrets)) out = out.split(secret).join("***");
  // Most text (every line of a lint report) holds nothing any pattern below could match.
  if (!MAY_HOLD_PASSWORD.test(out)) return out;
  return redactSql(
    out
      .replace(URL_WITH_SPACED_PASSWORD, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
      .replace(URL_WITH_PASSWORD, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
      .replace(QUERY_PASSWORD, "$1***")
      .replace(KEYWORD_PASSWORD, (_m, key: string, value: string) => `${key}=${value.startsWith("'") ? "'***'" : value.startsWith('"') ? '"***"' : "***"}`),
  );
}

/** Hides the password literals of SQL (`PASSWORD '...'`) and nothing else: for SQL shown in messages. */
export function redactSql(sql: string): string {
  return sql.replace(SQL_PASSWORD, (_m, keyword: string) => `${keyword}'***'`);
}

/** The values of the password literals in SQL (`PASSWORD '...'`), unquoted, to remove wherever else they appear. */
export function sqlPasswords(sql: string): string[] {
  const out: string[] = [];
  for (const m of sql.matchAll(SQL_PASSWORD)) {
    const literal = m[2];
    const inner = literal.startsWith("$") ? literal.replace(/^\$[A-Za-z_0-9]*\$/, "").replace(/\$[A-Za-z_0-9]*\$$/, "") : literal.replace(/^E?'/i, "").replace(/'$/, "");
    if (inner.length > 0) out.push(inner, inner.replace(/''/g, "'"));
  }
  return [...new Set(out)];
}

/**
 * The password of a connection URL in each form it may be printed in: as written, decoded, and
 * encoded again. Works on URLs that do not parse (the password then runs to the last `@`).
 */
export function urlSecrets(url: string): string[] {
  const out = new Set<string>();
  const trimmed = url.trim();
  const toLastAt = /^[a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:(.*)@[^@]*$/is;
  const written = (/^[a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:([^/?#]*)@/is.exec(trimmed) ?? toLastAt.exec(trimmed))?.[1];
  const candidates: string[] = [];
  if (written) candidates.push(written);
  // A password written unencoded with `@` and `/` (`pa@ss/word`) parses as a password, a host and a
  // path; the text up to the last `@` is hidden too.
  const toLast = toLastAt.exec(trimmed)?.[1];
  if (toLast && toLast !== written) candidates.push(toLast);
  try {
    const parsed = new URL(trimmed);
    if (parsed.password) candidates.push(parsed.password);
    // libpq also takes it as a query parameter (`postgres:///db?host=/var/run/postgresql&password=...`).
    const param = parsed.searchParams.get("password");
    if (param) candidates.push(param, encodeURIComponent(param));
  } catch {
    // Not a URL: its password, to the last `@`, is already a candidate.
  }
  for (const raw of candidates) {
    out.add(raw);
    const decoded = safeDecode(raw);
    out.add(decoded);
    out.add(encodeURIComponent(decoded));
  }
  return [...out].filter((s) => s.length > 0);
}

/**
 * Remembers the password of a connection URL (see {@link urlSecrets}), so that every later
 * {@link redactText} in this process removes it, however it is quoted: call it as soon as a URL is
 * known (a flag, an environment variable, the embedded server's generated one).
 */
export function rememberUrlSecrets(url: string | undefined): void {
  if (!url) return;
  for (const secret of urlSecrets(url)) remembered.add(secret);
  rememberedInOrder = undefined;
}

/** Forgets every remembered secret (for tests). */
export function forgetSecrets(): void {
  remembered.clear();
  rememberedInOrder = undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
