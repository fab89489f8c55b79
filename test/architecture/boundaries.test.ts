import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The boundaries of the core, checked on the import graph of `src/` as the TypeScript compiler
 * reads it (`import`, `import type`, `export … from`, `require()` and `import()` alike):
 *
 * - the classifier (`src/sql`) imports nothing from the engine, the settings, the verdict or the
 *   pipeline: what both sides share lives in leaf modules (`src/migration.ts`, `src/risk-level.ts`);
 * - the core (everything but the front ends `src/cli` and `src/infra`) imports no front end, no
 *   `@pulumi/*` package and not the Pulumi program: exit codes belong to the CLI;
 * - no module imports itself through others: no cycle, type-only imports included.
 */

const REPO = path.resolve(__dirname, "../..");
const SRC = path.join(REPO, "src");

/** Every module of `src/`, relative to the repository, with what it imports: other modules (relative paths) and packages. */
export function importGraph(root: string = SRC): Map<string, { modules: string[]; packages: string[] }> {
  const graph = new Map<string, { modules: string[]; packages: string[] }>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) graph.set(full, imports(full));
    }
  };
  walk(root);
  return new Map([...graph].map(([file, edges]) => [rel(file), { modules: edges.modules.map(rel), packages: edges.packages }]));
}

function imports(file: string): { modules: string[]; packages: string[] } {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  const modules: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith(".")) {
      packages.push(fileName);
      continue;
    }
    const target = path.resolve(path.dirname(file), fileName);
    const resolved = [`${target}.ts`, path.join(target, "index.ts"), target].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
    if (resolved?.endsWith(".ts")) modules.push(resolved);
  }
  return { modules, packages };
}

function rel(file: string): string {
  return path.relative(REPO, file).split(path.sep).join("/");
}

/** Each crossing of a rule: `from → to`. */
function crossings(graph: ReturnType<typeof importGraph>, from: (m: string) => boolean, to: (target: string) => boolean): string[] {
  const found: string[] = [];
  for (const [m, edges] of graph) {
    if (!from(m)) continue;
    for (const target of [...edges.modules, ...edges.packages]) if (to(target)) found.push(`${m} → ${target}`);
  }
  return found;
}

/** The import cycles: each strongly connected component of more than one module (or a module importing itself). */
function cycles(graph: ReturnType<typeof importGraph>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.modules ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.modules.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

const under = (folder: string) => (m: string) => m.startsWith(`src/${folder}/`);
const FRONT_ENDS = ["cli", "infra"];
const isCore = (m: string) => m.startsWith("src/") && !FRONT_ENDS.some((f) => under(f)(m));

describe("the core's boundaries", () => {
  const graph = importGraph();

  it("reads the whole of src/", () => {
    // A check that sees nothing passes for nothing: the graph has the modules and edges it should.
    expect(graph.get("src/pipeline/deploy.ts")?.modules).toContain("src/migrate/verbs/up.ts");
    expect(graph.get("src/infra/app-database.ts")?.packages).toContain("@pulumi/pulumi");
  });

  it("keeps the classifier (src/sql) free of the engine, the settings, the verdict and the pipeline", () => {
    expect(crossings(graph, under("sql"), (t) => ["migrate", "settings", "risk", "pipeline", "cli", "infra", "backup"].some((f) => under(f)(t)))).toEqual([]);
  });

  it("keeps the core free of the front ends (src/cli, src/infra, the Pulumi program) and of @pulumi/*", () => {
    expect(crossings(graph, isCore, (t) => FRONT_ENDS.some((f) => under(f)(t)) || t === "index.ts" || t.startsWith("@pulumi/"))).toEqual([]);
  });

  it("has no import cycle, type-only imports included", () => {
    expect(cycles(graph)).toEqual([]);
  });
});
