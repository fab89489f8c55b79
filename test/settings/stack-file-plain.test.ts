import { describe, expect, it } from "vitest";
import { stackFileText } from "../../src/settings/env-new";
import { plainStackConfig, yamlStackConfig } from "../../src/settings/stack-file";
import { TIERS } from "../../src/settings/tiers";

/**
 * Stack files written the way `dbpipe env new` writes them are read without the YAML reader
 * (`plainStackConfig`): wherever that reading gives a result, it must be the YAML reader's, value
 * for value and line for line; anything else goes to the YAML reader.
 */

/** Both readings of `text`: the plain one (undefined when it passes), and the YAML reader's (its result, or the error it throws). */
function readings(text: string) {
  let yaml: unknown;
  try {
    yaml = yamlStackConfig(text, "s", "Pulumi.s.yaml");
  } catch (error) {
    yaml = error;
  }
  return { plain: plainStackConfig(text, "s", "Pulumi.s.yaml"), yaml };
}

/** Every file `env new` writes, and each with one commented-out setting taken in (a list, a duration, a quoted "0"...). */
function writtenFiles(): string[] {
  const out: string[] = [];
  for (const tier of TIERS) {
    for (const server of ["rds", "external"] as const) {
      for (const region of [undefined, "eu-west-1"]) {
        const text = stackFileText(`x${tier}`, tier, region, { server });
        out.push(text);
        const lines = text.split("\n");
        lines.forEach((line, i) => {
          if (/^ {2}# [a-z]+:[A-Za-z]+: /.test(line)) out.push([...lines.slice(0, i), line.replace("# ", ""), ...lines.slice(i + 1)].join("\n"));
        });
      }
    }
  }
  return out;
}

describe("reading a plain stack file without the YAML reader", () => {
  it("reads every stack file env new writes as the YAML reader does", () => {
    const files = writtenFiles();
    let plain = 0;
    for (const text of files) {
      const { plain: fast, yaml } = readings(text);
      if (fast === undefined) continue;
      plain++;
      expect(fast, text).toEqual(yaml);
    }
    // The files as written are all read the plain way, and many of those with a line taken in (not the lists, durations, quoted values with spaces).
    expect(plain).toBeGreaterThan(files.length / 3);
    for (const tier of TIERS) expect(readings(stackFileText("a", tier, undefined)).plain).toBeDefined();
  });

  it("reads what a person writes by hand as the YAML reader does, or leaves it to the YAML reader", () => {
    const values = [
      "dev", "prod", "db.t4g.micro", "eu-west-1", "migrations/sql", "_x", "yes", "no", "on", "off", "y", "n", "Yes",
      "true", "True", "TRUE", "false", "False", "FALSE", "tRUE", "null", "Null", "NULL", "~", "",
      "0", "7", "30", "007", "-1", "+1", "1.5", ".5", "1e3", "0x1F", "0o17", ".inf", ".NaN", "30s", "5min",
      '"15"', '"0"', '""', "'x'", "''", "'it''s'", '"a\\tb"', '"a b"', "[a, b]", "{a: 1}", "&a x", "*a", "!!str 5", "|", ">",
      "a#b", "a # b", "a:b", "http://x", "@x", "`x`", "%x", "x,y", "é",
    ];
    let plain = 0;
    for (const value of values) {
      for (const text of [
        `config:\n  dbpipe:tier: ${value}\n`,
        `# c\nconfig:\n  # c\n  tier: ${value} # c\n  aws:region: eu-west-1\n`,
        `config:\n    dbpipe:tier: ${value}   \n\n    dbpipe:server: rds`,
      ]) {
        const { plain: fast, yaml } = readings(text);
        if (fast === undefined) continue;
        plain++;
        expect(fast, JSON.stringify(text)).toEqual(yaml);
      }
    }
    expect(plain).toBeGreaterThan(50);
  });

  it("leaves every other shape to the YAML reader, and reads an empty file or an empty config as it does", () => {
    for (const text of [
      "config:\n  dbpipe:tier: dev\n  dbpipe:tier: prod\n",
      "config:\n  dbpipe:tier: dev\n   dbpipe:server: rds\n",
      "config:\n\tdbpipe:tier: dev\n",
      "config:\r\n  dbpipe:tier: dev\r\n",
      "\uFEFFconfig:\n  dbpipe:tier: dev\n",
      "---\nconfig:\n  dbpipe:tier: dev\n",
      "config:\n  dbpipe:ruleSeverity:\n    drop-table: off\n",
      "config:\n  dbpipe:password:\n    secure: v1:abc\n",
      "encryptionsalt: v1:abc=\nconfig:\n  dbpipe:tier: dev\n",
      "conifg:\n  dbpipe:tier: dev\n",
      "config:\nconfig:\n",
      "  dbpipe:tier: dev\n",
      "config: dev\n",
    ]) {
      expect(readings(text).plain, JSON.stringify(text)).toBeUndefined();
    }
    for (const text of ["", "\n", "# only a comment\n", "config:\n", "config:   # none yet\n\n"]) {
      const { plain: fast, yaml } = readings(text);
      expect(fast, JSON.stringify(text)).toBeDefined();
      expect(fast).toEqual(yaml);
    }
  });
});
