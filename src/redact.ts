/**
 * Passwords never reach output, logs or errors. Every connection URL that dbpipe prints goes
 * through {@link redactUrl}; every message that may quote a URL or a libpq keyword string
 * (an error from `pg`, from pg_dump, from the user's own config) goes through {@link redactText}.
 */

const URL_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]*):([^@\s]*)@/gi;
const KEYWORD_PASSWORD = /\b(password|passwd|pwd)\s*=\s*('(?:[^'\\]|\\.)*'|"[^"]*"|[^\s;&]+)/gi;
const QUERY_PASSWORD = /([?&](?:password|sslpassword)=)[^&\s]*/gi;

/** Returns `url` with its password replaced by `***` (and a `password=` query parameter too). */
export function redactUrl(url: string): string {
  return redactText(url);
}

/** Removes passwords from free text: URL userinfo, `password=...` keywords and query parameters. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(URL_WITH_PASSWORD, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
    .replace(QUERY_PASSWORD, "$1***")
    .replace(KEYWORD_PASSWORD, "$1=***");
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("***");
  }
  return out;
}

/** Returns true when `text` looks like a connection URL or a libpq keyword string with a password. */
export function containsPassword(text: string): boolean {
  URL_WITH_PASSWORD.lastIndex = 0;
  KEYWORD_PASSWORD.lastIndex = 0;
  return URL_WITH_PASSWORD.test(text) || KEYWORD_PASSWORD.test(text);
}
