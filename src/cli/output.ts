import { redactText } from "../redact";

/**
 * Where the CLI writes. Colour only on a terminal and never when `NO_COLOR` is set; every line is
 * passed through {@link redactText} on its way out, so a password cannot leak through a message.
 */
export interface Output {
  /** Writes a line of human output to stdout. */
  line(text?: string): void;
  /** Writes a line to stderr (progress and errors, so stdout stays clean for --json). */
  error(text: string): void;
  /** Writes a JSON document to stdout. */
  json(value: unknown): void;
  /** Colour helpers; identity functions when colour is off. */
  readonly style: Style;
}

/** Colour helpers. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** Whether to colour a stream: a TTY, and neither `NO_COLOR` nor `TERM=dumb`. */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "") return true;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** The process's output: stdout and stderr. */
export function processOutput(): Output {
  const style = makeStyle(colourEnabled(process.stdout));
  return {
    line: (text = "") => void process.stdout.write(`${redactText(text)}\n`),
    error: (text) => void process.stderr.write(`${redactText(text)}\n`),
    json: (value) => void process.stdout.write(`${redactText(JSON.stringify(value, null, 2))}\n`),
    style,
  };
}

/** An output that records what was written, for tests and for callers that render elsewhere. */
export function memoryOutput(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    line: (text = "") => void stdout.push(redactText(text)),
    error: (text) => void stderr.push(redactText(text)),
    json: (value) => void stdout.push(redactText(JSON.stringify(value, null, 2))),
    style: makeStyle(false),
  };
}
