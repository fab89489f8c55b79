import { withLibpqSslModes } from "./tls";

/**
 * `pg`, for the callers that load it when they first connect (so that commands that never connect
 * do not pay for it). On loading, `pg` asks whether it runs in a Cloudflare Worker: by `navigator.userAgent`
 * where Node has a `navigator` (from Node 21), else by constructing a fetch `Response`, which on
 * Node 20 loads undici, the fetch implementation, for nothing (about 40 ms of CPU, more than `pg`
 * itself). On Node 20 the question is answered as Node 21 would answer it, with a `navigator` that
 * exists only while `pg` loads. Its `Client` connects with libpq's `sslmode=allow` and `prefer`
 * (see {@link withLibpqSslModes}), so every connection dbpipe opens through it reads a URL as libpq does.
 */
export function loadPg(): typeof import("pg") {
  return withLibpqSslModes(requirePg());
}

function requirePg(): typeof import("pg") {
  const global = globalThis as { navigator?: unknown };
  if (global.navigator !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("pg") as typeof import("pg");
  }
  global.navigator = { userAgent: `Node.js/${process.versions.node.split(".")[0]}` };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("pg") as typeof import("pg");
  } finally {
    delete global.navigator;
  }
}
