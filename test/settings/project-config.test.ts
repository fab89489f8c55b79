import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { KEYS } from "../../src/settings/keys";
import { projectConfigDeclarations, withKeyTable, withProjectConfigSection } from "../../src/settings/project-config";
import { loadStackSettings } from "../../src/settings/stack-file";
import { refreshStackFile } from "../../src/settings/stack-file-text";
import { type StackSettings, parseStackSettings } from "../../src/settings/stack-settings";
import { PROJECT_DIR, engineConfig, fitsPulumiType, fullKey, readProjectFile } from "../infra/helpers/engine-config";

/**
 * Pulumi.yaml, docs/settings.md and the stack files' comments against the key table (src/settings/keys.ts) and against Pulumi's own rules, and the stack files against both:
 * a key the parser knows but Pulumi.yaml does not declare, a declaration Pulumi would reject, or a
 * default that would make `pulumi up` read a stack differently from the CLI fails here.
 */

const project = readProjectFile();
const STACKS = ["dev", "test", "prod"] as const;

describe("Pulumi.yaml", () => {
  it("is the dbpipe project, run as TypeScript by the nodejs runtime from index.ts", () => {
    expect({ name: project.name, runtime: project.runtime, main: project.main }).toEqual({
      name: "dbpipe",
      runtime: { name: "nodejs", options: { typescript: true, packagemanager: "npm" } },
      main: "index.ts",
    });
    expect(fs.existsSync(path.join(PROJECT_DIR, "index.ts"))).toBe(true);
  });

  it("declares exactly the keys the settings parser reads", () => {
    expect(Object.keys(project.config).sort()).toEqual(KEYS.map((k) => k.name).sort());
  });

  it("declares each key with the type, default and description the key table gives it", () => {
    expect(project.config).toEqual(projectConfigDeclarations());
  });

  it("is what `npm run settings:generate` writes (run it after changing src/settings/keys.ts)", () => {
    const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
    expect(text).toBe(withProjectConfigSection(text));
  });

  it("gives every key a default, so no stack is stopped for a key it does not set", () => {
    // Pulumi: "Stack 'dev' is missing configuration value 'dbpipe:<key>'" for a declared key without one.
    expect(Object.entries(project.config).filter(([, d]) => d.default === undefined).map(([k]) => k)).toEqual([]);
  });

  it("passes Pulumi's own checks of a project file", () => {
    for (const [key, declaration] of Object.entries(project.config)) {
      // Validate(): an array names its items; a typed default fits its type.
      if (declaration.type === "array") expect({ key, items: declaration.items }).toEqual({ key, items: { type: "string" } });
      expect({ key, fits: fitsPulumiType(declaration, declaration.default) }).toEqual({ key, fits: true });
      // The merged default is checked like a stack value: declared secret, it would fail as plain text.
      expect({ key, secret: declaration.secret }).toEqual({ key, secret: undefined });
      expect(["string", "integer", "boolean", "array", undefined]).toContain(declaration.type);
    }
  });
});

describe("docs/settings.md", () => {
  it("holds the key table `npm run settings:generate` writes (run it after changing src/settings/keys.ts)", () => {
    const text = fs.readFileSync(path.join(PROJECT_DIR, "docs/settings.md"), "utf8");
    expect(text).toBe(withKeyTable(text));
    for (const entry of KEYS) expect(text).toContain(`| \`dbpipe:${entry.name}\` |`);
  });
});

describe.each(STACKS)("Pulumi.%s.yaml", (stack) => {
  const file = parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };

  it("sets only declared dbpipe keys, each of its declared type, and an AWS region", () => {
    for (const [key, value] of Object.entries(file.config)) {
      const full = fullKey(project.name, key);
      if (!full.startsWith("dbpipe:")) continue;
      const declaration = project.config[full.slice("dbpipe:".length)];
      expect({ key: full, declared: declaration !== undefined }).toEqual({ key: full, declared: true });
      expect({ key: full, fits: fitsPulumiType(declaration, value) }).toEqual({ key: full, fits: true });
    }
    expect(file.config["aws:region"]).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
  });

  it("has the comments `npm run settings:generate` writes from the key table (run it after changing src/settings/keys.ts)", () => {
    const { before, after } = refreshStackFile(PROJECT_DIR, stack);
    expect(before).toBe(after);
  });

  it("holds no secret: the CLI reads this file and could not decrypt one", () => {
    const secure = Object.entries(file.config).filter(([, v]) => typeof v === "object" && v !== null && "secure" in v);
    expect(secure).toEqual([]);
  });

  it(`says tier ${stack}, and the CLI and pulumi up read it the same way`, () => {
    const cli = loadStackSettings(PROJECT_DIR, stack);
    const { config, secretKeys } = engineConfig(stack);
    const pulumi = parseStackSettings({ stack, source: cli.source, values: config, secretKeys: new Set(secretKeys) });
    expect(cli.tier).toBe(stack);
    expect(pulumi).toEqual(cli);
  });
});

describe("a tier-named stack without a file", () => {
  it("gets the tier's defaults from the CLI and from pulumi up alike", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbpipe-project-"));
    try {
      fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      for (const stack of STACKS) {
        const cli: StackSettings = loadStackSettings(dir, stack);
        const { config } = engineConfig(stack, { projectDir: dir, overrides: stack === "prod" ? { "aws:region": "eu-west-1" } : {} });
        const pulumi = parseStackSettings({ stack, source: cli.source, values: config, secretKeys: new Set() });
        expect(pulumi).toEqual({ ...cli, infra: { ...cli.infra, awsRegion: stack === "prod" ? "eu-west-1" : undefined } });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
