import { mayNeedRedacting, redactText } from "../redact";

/**
 * Where the CLI writes. Colour is decided per stream: stdout's on stdout being a terminal, stderr's
 * on stderr being one (`dbpipe up > log` still shows red errors on the terminal), and never when
 * `NO_COLOR` is set. Every line is passed through {@link redactText} on its way out, so a password
 * cannot leak through a message.
 */
export interface Output {
  /** Writes a line of human output to stdout. */
  line(text?: string): void;
  /** Writes lines of human output to stdout, each as {@link line} would, in one write (a report of thousands of lines). */
  lines(texts: readonly string[]): void;
  /** Writes a line to stderr (progress and errors, so stdout stays clean for --json). */
  error(text: string): void;
  /** Writes a JSON document to stdout. */
  json(value: unknown): void;
  /**
   * Shows what is running now (`→ 0003 add_index…`) on a terminal, on one line that the next
   * output replaces; does nothing when stdout is not a terminal, so logs only get the results.
   */
  progress(text: string): void;
  /**
   * Shows how far a long transfer has got (`dumping 12.3 MiB, 4.5 MiB/s`) on stderr, when stderr
   * is a terminal, on one line that the next output replaces: stdout keeps only results, so
   * `dbpipe backup > log` or a pipe gets no progress, and a terminal still sees it.
   */
  transferProgress(text: string): void;
  /** Colour helpers for stdout; identity functions when stdout is not coloured. */
  readonly style: Style;
  /** Colour helpers for stderr; identity functions when stderr is not coloured. */
  readonly errorStyle: Style;
  /**
   * Writes what stdout holds back. Off a terminal, lines are written together (at most
   * {@link HOLD_MS} ms late, or once {@link HOLD_CHARS} characters wait): 1,000 migrations applied were
   * 1,000 writes to a pipe. Everything is written before anything goes to stderr, so a log of both
   * keeps their order; the CLI flushes before it exits.
   */
  flush(): void;
}

/** How long a line for stdout off a terminal may wait for the next ones, in ms. */
export const HOLD_MS = 100;
/** How much stdout off a terminal may hold back, in characters. */
export const HOLD_CHARS = 64 * 1024;

/** Colour helpers. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** A stream the CLI writes to: what {@link streamOutput} needs of `process.stdout` and `process.stderr`. */
export interface OutputStream {
  /** True on a terminal. */
  isTTY?: boolean;
  /** The terminal's width, when it is one. */
  columns?: number;
  write(text: string): unknown;
}

/** Whether to colour a stream: a TTY, and neither `NO_COLOR` nor `TERM=dumb`; `FORCE_COLOR` forces it. */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;
const CLEAR_LINE = "\r\u001b[2K";

/**
 * An output on two streams. A stream that is not coloured never gets a colour code, even in text
 * styled for the other stream. Progress lines need a terminal that understands `\r` and erasing.
 */
export function streamOutput(stdout: OutputStream, stderr: OutputStream, env: NodeJS.ProcessEnv = process.env): Output {
  const colourOut = colourEnabled(stdout, env);
  const colourErr = colourEnabled(stderr, env);
  const interactive = Boolean(stdout.isTTY) && env.TERM !== "dumb";
  const interactiveErr = Boolean(stderr.isTTY) && env.TERM !== "dumb";
  let progressShown = false;
  let transferShown = false;
  // Off a terminal, stdout's lines wait here for the next ones (see Output.flush).
  let held = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (held === "") return;
    const text = held;
    held = "";
    stdout.write(text);
  };
  const writeOut = (text: string) => {
    if (interactive) {
      stdout.write(text);
      return;
    }
    held += text;
    if (held.length >= HOLD_CHARS) flush();
    else if (timer === undefined) {
      timer = setTimeout(flush, HOLD_MS);
      // A line waiting to be written never keeps the process alive: the CLI flushes as it ends.
      timer.unref?.();
    }
  };
  const writeErr = (text: string) => {
    flush();
    stderr.write(text);
  };
  const clearProgress = () => {
    if (progressShown) {
      writeOut(CLEAR_LINE);
      progressShown = false;
    }
    if (transferShown) {
      writeErr(CLEAR_LINE);
      transferShown = false;
    }
  };
  /** `text` cut to the terminal's width: a wrapped line could not be erased with `\r`. */
  const fit = (text: string, stream: OutputStream) => {
    const width = (stream.columns || 80) - 1;
    return text.replace(SGR, "").length > width ? `${text.replace(SGR, "").slice(0, Math.max(0, width - 1))}…` : text;
  };
  /** A line of stdout as written: without colours when stdout takes none. */
  const outLine = (text: string) => `${colourOut ? text : text.replace(SGR, "")}\n`;
  const out = (text: string) => {
    clearProgress();
    writeOut(outLine(text));
  };
  return {
    line: (text = "") => out(redactText(text)),
    lines: (texts) => {
      if (texts.length === 0) return;
      clearProgress();
      const whole = `${texts.join("\n")}\n`;
      // Most reports (thousands of lines) hold nothing to redact or strip: one check on the whole spares one per line.
      if (!mayNeedRedacting(whole) && (colourOut || !whole.includes("\u001b"))) {
        writeOut(whole);
        return;
      }
      let chunk = "";
      for (const text of texts) chunk += outLine(redactText(text));
      writeOut(chunk);
    },
    error: (text) => {
      clearProgress();
      const clean = redactText(text);
      writeErr(`${colourErr ? clean : clean.replace(SGR, "")}\n`);
    },
    json: (value) => out(redactedJson(value)),
    progress: (text) => {
      if (!interactive) return;
      if (transferShown) clearProgress();
      // A line wider than the terminal wraps, and `\r` would then erase only its last part.
      const shown = fit(redactText(text), stdout);
      writeOut(`${CLEAR_LINE}${colourOut ? shown : shown.replace(SGR, "")}`);
      progressShown = true;
    },
    transferProgress: (text) => {
      if (!interactiveErr) return;
      if (progressShown) clearProgress();
      const shown = fit(redactText(text), stderr);
      writeErr(`${CLEAR_LINE}${colourErr ? shown : shown.replace(SGR, "")}`);
      transferShown = true;
    },
    style: makeStyle(colourOut),
    errorStyle: makeStyle(colourErr),
    flush,
  };
}

/** The process's output: stdout and stderr. */
export function processOutput(): Output {
  // `dbpipe status | head`: once the reader is gone, the rest of the output has nowhere to go.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  const output = streamOutput(process.stdout, process.stderr);
  // Whatever way the process ends (process.exit after Ctrl-C too), held lines are written.
  process.on("exit", () => output.flush());
  return output;
}

/**
 * An output that records what was written, for tests and for callers that render elsewhere. With
 * `interactive`, it records progress lines too, as a terminal would show them.
 */
export function memoryOutput(options: { interactive?: boolean } = {}): Output & { stdout: string[]; stderr: string[]; progressLines: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const progressLines: string[] = [];
  return {
    stdout,
    stderr,
    progressLines,
    line: (text = "") => void stdout.push(redactText(text)),
    lines: (texts) => {
      for (const text of texts) stdout.push(redactText(text));
    },
    error: (text) => void stderr.push(redactText(text)),
    json: (value) => void stdout.push(redactedJson(value)),
    progress: (text) => void (options.interactive && progressLines.push(redactText(text))),
    transferProgress: (text) => void (options.interactive && progressLines.push(redactText(text))),
    style: makeStyle(false),
    errorStyle: makeStyle(false),
    flush: () => undefined,
  };
}

/**
 * `value` as indented JSON with every string redacted before it is encoded: redacting the encoded
 * text could cut an escaped quote (`password=\"...`) and leave JSON that does not parse.
 */
function redactedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? redactText(v) : v), 2);
}

/** Writes `message` on `output`'s stderr as every error of the CLI is shown: `error: <message>`. */
export function printError(output: Output, message: string): void {
  output.error(`${output.errorStyle.red("error:")} ${message}`);
}
