import { describe, expect, it } from "vitest";
import { EXIT, exitCodeOf } from "../../src/cli/exit-codes";
import { FailureError, databaseFailure } from "../../src/errors";

/** An error shaped like Node's network errors. */
function systemError(message: string, code: string, syscall: string): Error {
  return Object.assign(new Error(message), { code, syscall });
}

describe("databaseFailure: errors from pg and the network, reported as database failures (exit 3)", () => {
  const target = "postgres://u:***@127.0.0.1:1/db";

  it("names a connection that could not be made", () => {
    const failure = databaseFailure(systemError("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED", "connect"), target);
    expect(failure).toBeInstanceOf(FailureError);
    expect(failure && exitCodeOf(failure)).toBe(EXIT.failure);
    expect(failure?.message).toBe("could not connect to postgres://u:***@127.0.0.1:1/db: connect ECONNREFUSED 127.0.0.1:1");
    expect(databaseFailure(systemError("getaddrinfo ENOTFOUND db.internal", "ENOTFOUND", "getaddrinfo"), target)?.message).toBe(
      "could not connect to postgres://u:***@127.0.0.1:1/db: getaddrinfo ENOTFOUND db.internal",
    );
  });

  it("names a connection that was lost", () => {
    expect(databaseFailure(systemError("read ECONNRESET", "ECONNRESET", "read"), target)?.message).toBe("lost the connection to postgres://u:***@127.0.0.1:1/db: read ECONNRESET");
    expect(databaseFailure(new Error("Connection terminated unexpectedly"), target)?.message).toBe("lost the connection to postgres://u:***@127.0.0.1:1/db: Connection terminated unexpectedly");
  });

  it("gives an SQL error its SQLSTATE, detail and hint", () => {
    const error = Object.assign(new Error('permission denied for schema dbpipe'), { name: "DatabaseError", code: "42501", detail: "d", hint: "h" });
    expect(databaseFailure(error, target)?.message).toBe("the database failed (postgres://u:***@127.0.0.1:1/db): permission denied for schema dbpipe [SQLSTATE 42501]\n  detail: d\n  hint: h");
  });

  it("leaves anything else alone (a bug is still reported as one)", () => {
    expect(databaseFailure(new TypeError("cannot read properties of undefined"), target)).toBeUndefined();
    expect(databaseFailure(Object.assign(new Error("no such file"), { code: "ENOENT" }), target)).toBeUndefined();
    expect(databaseFailure("a string", target)).toBeUndefined();
  });
});
