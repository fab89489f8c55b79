import { describe, expect, it } from "vitest";
import { HOLD_CHARS, HOLD_MS, type OutputStream, streamOutput } from "../../src/cli/output";
import { forgetSecrets, rememberUrlSecrets } from "../../src/redact";

const ESC = String.fromCharCode(27);
const CLEAR = `\r${ESC}[2K`;

/** A stream that records what is written to it. */
function stream(isTTY: boolean, columns?: number): OutputStream & { text: string } {
  const s = { isTTY, columns, text: "", write: (chunk: string) => (s.text += chunk) };
  return s;
}

describe("colour, per stream", () => {
  it("colours stderr on a terminal while stdout goes to a file, and the other way round", () => {
    const out = stream(false);
    const err = stream(true);
    const output = streamOutput(out, err, {});
    output.line(output.style.red("table"));
    output.error(`${output.errorStyle.red("error:")} failed`);
    expect(out.text).toBe("table\n");
    expect(err.text).toBe(`${ESC}[31merror:${ESC}[39m failed\n`);

    const out2 = stream(true);
    const err2 = stream(false);
    const output2 = streamOutput(out2, err2, {});
    output2.line(output2.style.green("✓"));
    // Text styled for stdout never carries colour codes into a stream that is not coloured.
    output2.error(`${output2.style.red("error:")} failed`);
    expect(out2.text).toBe(`${ESC}[32m✓${ESC}[39m\n`);
    expect(err2.text).toBe("error: failed\n");
  });

  it("colours neither stream with NO_COLOR, nor off a terminal; FORCE_COLOR colours both", () => {
    for (const [env, tty, coloured] of [
      [{ NO_COLOR: "1" }, true, false],
      [{}, false, false],
      [{ TERM: "dumb" }, true, false],
      [{ FORCE_COLOR: "1" }, false, true],
    ] as const) {
      const out = stream(tty);
      const err = stream(tty);
      const output = streamOutput(out, err, env);
      output.line(output.style.red("a"));
      output.error(output.errorStyle.red("b"));
      expect(out.text.includes(ESC), JSON.stringify(env)).toBe(coloured);
      expect(err.text.includes(ESC), JSON.stringify(env)).toBe(coloured);
    }
  });
});

describe("progress", () => {
  it("shows the running step on a terminal and replaces it with the next line or error", () => {
    const out = stream(true, 100);
    const err = stream(true);
    const output = streamOutput(out, err, { NO_COLOR: "1" });
    output.progress("  → 0001 create…");
    output.line("  ✓ 0001 create 5ms");
    output.progress("  → 0002 broken…");
    output.error("error: failed");
    expect(out.text).toBe(`${CLEAR}  → 0001 create…${CLEAR}  ✓ 0001 create 5ms\n${CLEAR}  → 0002 broken…${CLEAR}`);
    expect(err.text).toBe("error: failed\n");
  });

  it("shows nothing off a terminal, so logs only get the results", () => {
    const out = stream(false);
    const output = streamOutput(out, stream(false), {});
    output.progress("  → 0001 create…");
    output.line("  ✓ 0001 create 5ms");
    output.flush();
    expect(out.text).toBe("  ✓ 0001 create 5ms\n");
  });

  it("fits a long step on one terminal line, so that it can be erased", () => {
    const out = stream(true, 20);
    const output = streamOutput(out, stream(true), {});
    output.progress(`  ${ESC}[36m→${ESC}[39m 0001 a_very_long_migration_name…`);
    expect(out.text).toBe(`${CLEAR}  → 0001 a_very_lo…`);
  });

  it("shows a transfer's progress on stderr, never stdout, and replaces it with the next line", () => {
    const out = stream(true, 100);
    const err = stream(true, 100);
    const output = streamOutput(out, err, { NO_COLOR: "1" });
    output.transferProgress("  dumping 12.0 MiB, 4.0 MiB/s");
    output.line("  ✓ dev-20261201T101500.000Z 40.0 MiB in 3s");
    expect(out.text).toBe("  ✓ dev-20261201T101500.000Z 40.0 MiB in 3s\n");
    expect(err.text).toBe(`${CLEAR}  dumping 12.0 MiB, 4.0 MiB/s${CLEAR}`);
  });

  it("shows no transfer progress when stderr is not a terminal", () => {
    const out = stream(true, 100);
    const err = stream(false);
    const output = streamOutput(out, err, {});
    output.transferProgress("  dumping 12.0 MiB");
    expect(out.text).toBe("");
    expect(err.text).toBe("");
  });

  it("redacts what it shows", () => {
    const out = stream(true, 200);
    const output = streamOutput(out, stream(true), {});
    output.progress("connecting to postgres://u:hunter2@db/x…");
    expect(out.text).toBe(`${CLEAR}connecting to postgres://u:***@db/x…`);
  });
});

describe("a report of many lines", () => {
  it("writes them in one piece as given, and still redacts and strips colour per line when any line needs it", () => {
    const plain = Array.from({ length: 1000 }, (_, i) => `  0001_a.sql:${i + 1}:1 drop-table: DROP TABLE t${i} deletes the table`);
    const out = stream(false);
    const output = streamOutput(out, stream(false), {});
    output.lines(plain);
    output.flush();
    expect(out.text).toBe(`${plain.join("\n")}\n`);

    // One line of thousands holding a URL with its password, one coloured on a stream that takes no colour.
    const mixed = [...plain, "  see postgres://app:s3cret-pw@db.internal:5432/app", `  ${output.style.red("x")} ${ESC}[1mbold${ESC}[22m`, "  PASSWORD 'hunter22' in SQL"];
    const out2 = stream(false);
    const output2 = streamOutput(out2, stream(false), {});
    output2.lines(mixed);
    output2.flush();
    const written = out2.text.split("\n");
    expect(written.slice(0, 1000)).toEqual(plain);
    expect(written.slice(1000)).toEqual(["  see postgres://app:***@db.internal:5432/app", "  x bold", "  PASSWORD '***' in SQL", ""]);
    expect(out2.text).not.toContain("s3cret-pw");
    expect(out2.text).not.toContain("hunter22");
    expect(out2.text).not.toContain(ESC);
  });

  it("removes a password the run remembered from a report with no other sign of one", () => {
    rememberUrlSecrets("postgres://app:Tr0ub4dor-x@db.internal/app");
    try {
      const out = stream(false);
      const output = streamOutput(out, stream(false), {});
      output.lines(["  one", "  the value Tr0ub4dor-x came back", "  two"]);
      output.flush();
      expect(out.text).toBe("  one\n  the value *** came back\n  two\n");
    } finally {
      forgetSecrets();
    }
  });
});

describe("stdout off a terminal", () => {
  /** A stream that records each write apart. */
  function writes(isTTY: boolean): OutputStream & { chunks: string[] } {
    const s = { isTTY, chunks: [] as string[], write: (chunk: string) => s.chunks.push(chunk) };
    return s;
  }

  it("writes a run's lines together, in their order, each of them before anything goes to stderr", () => {
    const out = writes(false);
    const err = writes(false);
    const output = streamOutput(out, err, {});
    for (let i = 1; i <= 1000; i++) output.line(`  ✓ ${String(i).padStart(4, "0")} m 2ms`);
    // 1,000 lines were not 1,000 writes.
    expect(out.chunks.length).toBeLessThan(3);
    output.error("error: 1001 failed");
    // A log of both streams (2>&1) still reads every applied migration before the error.
    const all = out.chunks.join("").split("\n");
    expect(all).toHaveLength(1001);
    expect(all[999]).toBe("  ✓ 1000 m 2ms");
    expect(err.chunks).toEqual(["error: 1001 failed\n"]);
    output.line("done");
    output.flush();
    expect(out.chunks.at(-1)).toBe("done\n");
  });

  it("writes a held line by itself a moment later, so a log shows a migration as it ends", async () => {
    const out = writes(false);
    const output = streamOutput(out, writes(false), {});
    output.line("  ✓ 0001 create 5ms");
    expect(out.chunks).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS + 50));
    expect(out.chunks).toEqual(["  ✓ 0001 create 5ms\n"]);
  });

  it("writes at once once a report fills what it may hold, and at once on a terminal", () => {
    const out = writes(false);
    const output = streamOutput(out, writes(false), {});
    output.line("x".repeat(HOLD_CHARS));
    expect(out.chunks).toHaveLength(1);

    const tty = writes(true);
    streamOutput(tty, writes(true), { NO_COLOR: "1" }).line("  ✓ 0001 create 5ms");
    expect(tty.chunks).toEqual(["  ✓ 0001 create 5ms\n"]);
  });
});
