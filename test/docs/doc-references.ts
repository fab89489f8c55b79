import * as fs from "node:fs";
import * as path from "node:path";

/**
 * What a user-facing document names that must exist: settings keys (`dbpipe:<key>`, and the keys of
 * `pulumi config set`), `dbpipe` commands and their flags, stack outputs, and repository paths. The
 * extraction reads Markdown the way a reader does — commands and paths only in code (fenced blocks
 * and `code spans`), keys anywhere — and {@link checkReferences} lists each reference that the code
 * does not have, with its line.
 */

/** A reference found in a document, with its 1-based line. */
export interface Reference {
  /** What kind of thing it names. */
  kind: "key" | "command" | "flag" | "output" | "path";
  /** What it names: `networkPath`, `env new`, `tunnel --stack`, `credentialSecretArns.app`, `docs/settings.md`. */
  name: string;
  /** Its line in the document. */
  line: number;
}

/** What exists, to check references against. */
export interface KnownThings {
  /** Settings keys without namespace (`networkPath`), and full keys of other namespaces (`aws:region`). */
  keys: ReadonlySet<string>;
  /** Each command, as typed (`up`, `env new`), with its long flags (`--stack`). */
  commands: ReadonlyMap<string, ReadonlySet<string>>;
  /** Stack outputs by name, with their values (nested names are looked up in them). */
  outputs: Readonly<Record<string, unknown>>;
  /** Whether a repository path exists. */
  pathExists(relative: string): boolean;
}

/** A piece of code in a document: a fenced block's line or an inline code span. */
interface CodePiece {
  text: string;
  line: number;
  /** Whether it is a line of a fenced block (else an inline span). */
  fenced: boolean;
}

/** Splits Markdown into code pieces (fenced lines, inline spans) and prose lines. */
function codeAndProse(markdown: string): { code: CodePiece[]; lines: string[] } {
  const lines = markdown.split("\n");
  const code: CodePiece[] = [];
  let fence: string | undefined;
  lines.forEach((text, i) => {
    const line = i + 1;
    const marker = /^\s*(```+|~~~+)/.exec(text);
    if (marker) {
      if (fence === undefined) fence = marker[1];
      else if (marker[1].startsWith(fence)) fence = undefined;
      return;
    }
    if (fence !== undefined) {
      code.push({ text, line, fenced: true });
      return;
    }
    // Inline spans: a run of backticks, then text, then the same run (``a `b` c`` holds backticks).
    for (const m of text.matchAll(/(`+)(.+?)\1(?!`)/g)) code.push({ text: m[2].trim(), line, fenced: false });
  });
  return { code, lines };
}

/** Command-line segments of a piece of code: split at pipes, `&&`, `;`, `$(` and `)`; comments dropped. */
function segments(text: string): string[] {
  return text
    .replace(/(^|\s)#.*$/, "$1")
    .split(/\|\||&&|\||;|\$\(|\)/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Shell words of a segment, quotes removed. */
function words(segment: string): string[] {
  return (segment.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ""));
}

/** Stack names a document creates (`pulumi stack init X`, `dbpipe env new X`): their `Pulumi.X.yaml` need not exist yet. */
function createdStacks(code: CodePiece[]): Set<string> {
  const stacks = new Set<string>();
  for (const piece of code) {
    for (const segment of segments(piece.text)) {
      const w = words(segment);
      const init = w.indexOf("init");
      if (w[0] === "pulumi" && w[1] === "stack" && init === 2 && w[3]) stacks.add(w[3]);
      const env = w.indexOf("env");
      if (env > 0 && w[env - 1] === "dbpipe" && w[env + 1] === "new" && w[env + 2]) stacks.add(w[env + 2]);
    }
  }
  return stacks;
}

/** Files a document's own commands write (`cat > migrations/0006_x.sql`, `cp ~/ca.crt certs/ca.crt`): they need not exist yet. */
function writtenFiles(code: CodePiece[]): Set<string> {
  const files = new Set<string>();
  for (const piece of code) {
    for (const m of piece.text.matchAll(/(?:^|\s)>>?\s*([^\s<>|&;]+)/g)) files.add(path.normalize(m[1]));
    for (const segment of segments(piece.text)) {
      const w = words(segment).filter((x) => !x.startsWith("-"));
      if ((w[0] === "cp" || w[0] === "mv") && w.length >= 3) files.add(path.normalize(w[w.length - 1]));
    }
  }
  return files;
}

/** A code span that reads as a repository path: `src/infra/`, `Pulumi.prod.yaml`, `policies/config/prod.json`. */
function looksLikePath(text: string): boolean {
  if (!/^\.?[\w.-]+(\/[\w.-]+)*\/?$/.test(text)) return false;
  if (/^\d+(\.\d+){3}\/\d+$/.test(text)) return false; // a CIDR block
  return text.includes("/") || /\.(ts|js|mjs|mts|json|ya?ml|md|sql)$/.test(text);
}

/** Flags of `pulumi stack output` that take a value (the rest are switches). */
const PULUMI_VALUE_FLAGS = new Set(["--stack", "-s", "--cwd", "-C"]);

/** Extracts every reference of `markdown`; `repoDir` tells a folder of the repository from another name with a slash in code blocks. */
export function extractReferences(markdown: string, repoDir: string): Reference[] {
  const { code, lines } = codeAndProse(markdown);
  const refs: Reference[] = [];

  // Keys, anywhere: `dbpipe:networkPath`, not a type token (`dynamic/dbpipe:MigrationSet`,
  // `dbpipe:infra:DatabaseEnvironment`) nor a migration directive (`-- dbpipe:down`).
  lines.forEach((text, i) => {
    for (const m of text.matchAll(/(?<![\w/:-])(?<!-- )dbpipe:([A-Za-z][\w-]*)(?!:\w)/g)) refs.push({ kind: "key", name: m[1], line: i + 1 });
  });

  for (const piece of code) {
    for (const segment of segments(piece.text)) {
      const w = words(segment);
      // `pulumi config set [--secret] <key> …`: a key of this project unless it names its namespace.
      if (w[0] === "pulumi" && w[1] === "config" && w[2] === "set") {
        const key = w.slice(3).find((x) => !x.startsWith("-"));
        if (key !== undefined) refs.push({ kind: "key", name: key.startsWith("dbpipe:") ? key.slice("dbpipe:".length) : key, line: piece.line });
      }
      // `pulumi stack output [flags] <name>`.
      if (w[0] === "pulumi" && w[1] === "stack" && w[2] === "output") {
        for (let j = 3; j < w.length; j++) {
          if (w[j].startsWith("-")) {
            if (PULUMI_VALUE_FLAGS.has(w[j])) j++;
            continue;
          }
          refs.push({ kind: "output", name: w[j], line: piece.line });
          break;
        }
      }
      // `dbpipe <command> [--flag …]`, also as `npm run -s dbpipe -- <command>` and `npx dbpipe <command>`.
      const at = w.indexOf("dbpipe");
      if (at >= 0) {
        let j = at + 1;
        if (w[j] === "--") j++;
        const name = w[j];
        if (name !== undefined && /^[a-z][\w-]*$/.test(name)) {
          const command = name === "env" && w[j + 1] && /^[a-z]+$/.test(w[j + 1]) ? `env ${w[j + 1]}` : name;
          refs.push({ kind: "command", name: command, line: piece.line });
          for (const flag of w.slice(j + 1)) {
            if (/^--[a-z][\w-]*/.test(flag)) refs.push({ kind: "flag", name: `${command} ${flag.replace(/=.*$/, "")}`, line: piece.line });
          }
        }
      }
    }
    if (!piece.fenced && looksLikePath(piece.text)) refs.push({ kind: "path", name: piece.text, line: piece.line });
    // In a fenced block, each word that reads as a file (`policies/config/prod.json`, `(migrations/0007_x.sql)`)
    // or as a folder of the repository (`migrations/`); other slashes there are AWS names (`alias/pulumi-state`).
    if (piece.fenced) {
      for (const word of piece.text.replace(/(^|\s)#\s.*$/, "$1").split(/\s+/)) {
        const bare = word.replace(/^["'(]+|["'),;:.]+$/g, "");
        if (bare.includes("/") && looksLikePath(bare) && (/\.\w+$/.test(bare) || fs.existsSync(path.join(repoDir, bare.split("/")[0])))) {
          refs.push({ kind: "path", name: bare, line: piece.line });
        }
      }
    }
  }

  // Output tables (a header whose first cell is "output"): each code span of the first column.
  let inOutputTable = false;
  lines.forEach((text, i) => {
    const cells = /^\s*\|(.*)\|\s*$/.exec(text)?.[1].split("|").map((c) => c.trim());
    if (!cells) {
      inOutputTable = false;
      return;
    }
    if (/^`?outputs?`?$/i.test(cells[0])) {
      inOutputTable = true;
      return;
    }
    if (inOutputTable && !/^:?-+:?$/.test(cells[0])) {
      for (const m of cells[0].matchAll(/`([^`]+)`/g)) refs.push({ kind: "output", name: m[1], line: i + 1 });
    }
  });

  // What `pulumi stack output` prints, in a console block: `    migrationHead    "0006_add_invoices"`.
  let inOutputListing = false;
  code.forEach((piece) => {
    if (!piece.fenced) return;
    if (/^\$\s/.test(piece.text)) {
      inOutputListing = /^\$\s+pulumi stack output(\s+--?[\w-]+(\s+[^-\s]\S*)?)*\s*$/.test(piece.text);
      return;
    }
    const listed = inOutputListing ? /^\s{2,}([A-Za-z]\w*)\s{2,}\S/.exec(piece.text) : null;
    if (listed) refs.push({ kind: "output", name: listed[1], line: piece.line });
  });

  // Relative links: [settings.md](settings.md).
  lines.forEach((text, i) => {
    for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
      if (!/^[a-z]+:/i.test(m[1])) refs.push({ kind: "path", name: `link:${m[1]}`, line: i + 1 });
    }
  });
  return refs;
}

/** Looks up a dotted output name (`credentialSecretArns.app`) in the stack's outputs. */
function outputExists(outputs: Readonly<Record<string, unknown>>, name: string): boolean {
  const [top, ...rest] = name.split(".");
  if (!Object.prototype.hasOwnProperty.call(outputs, top)) return false;
  let value: unknown = outputs[top];
  for (const part of rest) {
    if (value === null || typeof value !== "object" || !Object.prototype.hasOwnProperty.call(value, part)) return false;
    value = (value as Record<string, unknown>)[part];
  }
  return true;
}

/**
 * Checks every reference of the document at `docPath` (relative to `repoDir`) against `known`, and
 * returns one line per reference that names nothing: `docs/pulumi.md:42: dbpipe:tunnelPort is not a settings key`.
 */
export function checkReferences(markdown: string, docPath: string, repoDir: string, known: KnownThings): string[] {
  const { code } = codeAndProse(markdown);
  const stacks = createdStacks(code);
  const written = writtenFiles(code);
  const docDir = path.dirname(docPath);
  const problems: string[] = [];
  const say = (ref: Reference, what: string) => problems.push(`${docPath}:${ref.line}: ${what}`);
  for (const ref of extractReferences(markdown, repoDir)) {
    switch (ref.kind) {
      case "key":
        if (!known.keys.has(ref.name)) say(ref, `${ref.name.includes(":") ? ref.name : `dbpipe:${ref.name}`} is not a settings key`);
        break;
      case "command":
        if (!known.commands.has(ref.name)) say(ref, `\`dbpipe ${ref.name}\` is not a dbpipe command`);
        break;
      case "flag": {
        const [command, flag] = [ref.name.slice(0, ref.name.lastIndexOf(" ")), ref.name.slice(ref.name.lastIndexOf(" ") + 1)];
        const flags = known.commands.get(command);
        if (flags && !flags.has(flag)) say(ref, `\`dbpipe ${command}\` has no ${flag} flag`);
        break;
      }
      case "output":
        if (!outputExists(known.outputs, ref.name)) say(ref, `${ref.name} is not an output of the stack`);
        break;
      case "path": {
        const link = ref.name.startsWith("link:");
        const target = link ? ref.name.slice("link:".length) : ref.name;
        const candidates = link ? [path.join(docDir, target)] : [path.normalize(target), path.join(docDir, target)];
        const stackFile = /^Pulumi\.([\w-]+)\.yaml$/.exec(target)?.[1];
        // Runtime data under .dbpipe/ is git-ignored and made by the first run; it is not in a checkout.
        const runtime = target.startsWith(".dbpipe/");
        const made = (stackFile !== undefined && stacks.has(stackFile)) || candidates.some((c) => written.has(c)) || runtime;
        if (!made && !candidates.some((c) => known.pathExists(c))) say(ref, `${target} does not exist in the repository`);
        break;
      }
    }
  }
  return problems;
}

/** A path checker rooted at `repoDir`. */
export function pathsUnder(repoDir: string): (relative: string) => boolean {
  return (relative) => fs.existsSync(path.join(repoDir, relative));
}

/** The sections of `markdown` whose `## ` heading matches `heading`, each up to the next `## ` heading, as one text with the other lines blanked (line numbers kept). */
export function sectionsOf(markdown: string, heading: RegExp): string {
  let keep = false;
  return markdown
    .split("\n")
    .map((line) => {
      if (/^## /.test(line)) keep = heading.test(line);
      return keep ? line : "";
    })
    .join("\n");
}
