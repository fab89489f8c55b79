import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { FailureError } from "../src/errors";
import { FolderNotMadeError, makeFolder } from "../src/make-folder";
import { tempFolder } from "./helpers/project";

const REPO = path.resolve(__dirname, "..");

/** `makeFolder(folder, options)` in a child process, killed after 20 s: Node's recursive mkdir never returns on /proc. */
function makeFolderElsewhere(folder: string, options: { asNobody?: boolean } = {}): { stdout: string; stderr: string; signal: NodeJS.Signals | null } {
  const script = `
    const { makeFolder } = require("./src/make-folder");
    try { makeFolder(${JSON.stringify(folder)}); console.log("made"); } catch (e) { console.log(e.constructor.name + ": " + e.message); }`;
  const nobody = options.asNobody && process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const run = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: REPO, encoding: "utf8", timeout: 20_000, ...nobody });
  return { stdout: run.stdout.trim(), stderr: run.stderr, signal: run.signal };
}

/** The error `makeFolder` throws for `folder`. */
function refusal(folder: string, options?: Parameters<typeof makeFolder>[1]): FolderNotMadeError {
  try {
    makeFolder(folder, options);
  } catch (error) {
    if (error instanceof FolderNotMadeError) return error;
    throw error;
  }
  throw new Error(`made ${folder}`);
}

describe("makeFolder", () => {
  it("makes the folder and the missing ones above it, each with the mode; one that exists is left as it is", () => {
    const root = tempFolder();
    const folder = path.join(root, "a", "b", "c");
    makeFolder(folder, { mode: 0o700 });
    for (const made of ["a", "a/b", "a/b/c"]) {
      const stat = fs.statSync(path.join(root, made));
      expect(stat.isDirectory()).toBe(true);
      expect(stat.mode & 0o077).toBe(0);
    }
    fs.writeFileSync(path.join(folder, "kept"), "x");
    makeFolder(folder);
    makeFolder(`${folder}/`);
    expect(fs.readdirSync(folder)).toEqual(["kept"]);
  });

  it("a file where the folder, or a folder above it, should be: says which", () => {
    const file = path.join(tempFolder(), "afile");
    fs.writeFileSync(file, "not a folder");
    const atFile = refusal(file);
    expect(atFile).toBeInstanceOf(FailureError);
    expect(atFile.message).toBe(`the folder ${file} cannot be created: it is a file, not a folder (EEXIST)`);
    expect(refusal(path.join(file, "sub", "deeper"), { what: "the backup folder" }).message).toBe(
      `the backup folder ${file}/sub/deeper cannot be created: ${file} is a file, not a folder (ENOTDIR)`,
    );
    expect(fs.readFileSync(file, "utf8")).toBe("not a folder");
  });

  it("a symbolic link to nothing on the way: says where it points", () => {
    const root = tempFolder();
    fs.symlinkSync(path.join(root, "gone"), path.join(root, "link"));
    const error = refusal(path.join(root, "link", "sub"));
    expect(error.message).toBe(`the folder ${root}/link/sub cannot be created: ${root}/link is a symbolic link to ${root}/gone, which does not exist (EEXIST)`);
    expect(error.failedAt).toBe(`${root}/link`);
  });

  it("a folder this user may not write in: names the folder it could not make, and where", () => {
    const parent = tempFolder();
    fs.chmodSync(parent, 0o555);
    // As root every folder is writable: the check runs as nobody then.
    const run = makeFolderElsewhere(path.join(parent, "a", "b"), { asNobody: true });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(`FolderNotMadeError: the folder ${parent}/a/b cannot be created: permission denied: this user may not create ${parent}/a in ${parent} (EACCES)`);
  });

  it.runIf(fs.existsSync("/proc/self"))("a folder under /proc, which takes no new folders: fails at once, where fs.mkdirSync({ recursive: true }) never returns", () => {
    for (const [folder, failedAt] of [
      ["/proc/forbidden", "/proc/forbidden"],
      ["/proc/forbidden/a/b", "/proc/forbidden"],
    ]) {
      const run = makeFolderElsewhere(folder);
      expect(run.signal).toBeNull();
      expect(run.stderr).toBe("");
      expect(run.stdout).toBe(
        `FolderNotMadeError: the folder ${folder} cannot be created: /proc takes no new folders (a virtual file system such as /proc or /sys): mkdir ${failedAt} says "no such file or directory" although /proc exists (ENOENT)`,
      );
    }
  });
});
