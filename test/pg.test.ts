import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");

/** Loads pg through `loadPg` in a new Node process (the compiled module: `npm test` builds first) and reports what it left behind. */
function loadInNewProcess(before = ""): { undici: boolean; navigator: string; client: string } {
  const script = `${before}
const { loadPg } = require(${JSON.stringify(path.join(root, "dist/pg.js"))});
const pg = loadPg();
process.stdout.write(JSON.stringify({
  undici: process.moduleLoadList.some((m) => m.includes("undici")),
  navigator: typeof globalThis.navigator === "object" ? globalThis.navigator.userAgent : typeof globalThis.navigator,
  client: typeof pg.Client,
}));`;
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
}

describe("loadPg", () => {
  it("loads pg without Node's fetch implementation and leaves no navigator behind", () => {
    const major = Number(process.versions.node.split(".")[0]);
    const result = loadInNewProcess();
    expect(result.client).toBe("function");
    // Node 21 and later define navigator themselves; on Node 20 pg would construct a fetch Response to ask whether it runs in a Cloudflare Worker.
    expect(result.navigator).toBe(major >= 21 ? `Node.js/${major}` : "undefined");
    if (major < 21) expect(result.undici).toBe(false);
  });

  it("leaves a navigator the program defined as it was", () => {
    const result = loadInNewProcess(`globalThis.navigator = { userAgent: "test-agent" };`);
    expect(result).toMatchObject({ client: "function", navigator: "test-agent" });
  });
});
