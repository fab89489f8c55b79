import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { REPO } from "../helpers/cli";
import { runCliInProcess } from "../helpers/cli-in-process";
import { createDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/**
 * `dbpipe backup`, `backups` and `restore --drill` on a backup folder that holds what is not a
 * backup, or that cannot be a folder: run in this process (the CLI's own `main`, from the sources).
 */

/** A new database with a table of 100 rows, dropped when the test ends. */
async function databaseWithRows(): Promise<string> {
  const { url, drop } = await createDatabase("bkfolder");
  onTestFinished(drop);
  await withClient(url, (c) => c.query("CREATE TABLE notes (id int PRIMARY KEY); INSERT INTO notes SELECT generate_series(1, 100)"));
  return url;
}

describe("dbpipe's backup commands on a folder holding files that are not backups", () => {
  it("backup, backups and restore --drill work past a notes.json and a manifest cut short", async () => {
    const project = tempFolder();
    const url = await databaseWithRows();
    const folder = path.join(project, ".dbpipe/dev/backups");
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, "notes.json"), '{"note": "ours"}\n');
    fs.writeFileSync(path.join(folder, "dev-cut.dump"), "a dump");
    fs.writeFileSync(path.join(folder, "dev-cut.json"), '{"id": "dev-cut", "sta');
    const backup = await runCliInProcess(["backup", "--json", "--database-url", url], { cwd: project });
    expect(backup.code).toBe(0);
    const { id } = JSON.parse(backup.stdout);
    const list = await runCliInProcess(["backups", "--json"], { cwd: project });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).backups.map((b: { id: string }) => b.id)).toEqual([id]);
    const drill = await runCliInProcess(["restore", "--drill", "--json", "--database-url", url], { cwd: project });
    expect(drill.code).toBe(0);
    expect(JSON.parse(drill.stdout)).toMatchObject({ id, matches: true });
    expect(fs.readdirSync(folder).sort()).toEqual(["dev-cut.dump", "dev-cut.json", `${id}.dump`, `${id}.json`, "notes.json"].sort());
  });
});

describe("dbpipe backup to a folder that cannot be one", () => {
  it("a file, or a folder under a file: says so, exit 3, not reported as a bug", async () => {
    const project = tempFolder();
    const url = await databaseWithRows();
    const file = path.join(project, "afile");
    fs.writeFileSync(file, "not a folder");
    for (const [store, message] of [
      [file, `error: the backup folder ${file} cannot be written: it is a file, not a folder (EEXIST)`],
      [`${file}/sub`, `error: the backup folder ${file}/sub cannot be written: ${file} is a file, not a folder (ENOTDIR)`],
    ]) {
      const run = await runCliInProcess(["backup", "--store", `file://${store}`, "--database-url", url], { cwd: project });
      expect(run.stderr.trim()).toBe(message);
      expect(run.code).toBe(3);
    }
  });
});

describe("dbpipe backup to a folder the file system will not make", () => {
  it.runIf(fs.existsSync("/proc/self"))("a folder under /proc: says so at once, exit 3 (it hung at 100% CPU)", async () => {
    const project = tempFolder();
    const url = await databaseWithRows();
    // The built CLI in a process of its own, killed after 20 s: the hang was a loop in fs.mkdirSync that no test timeout interrupts.
    const run = spawnSync(process.execPath, [path.join(REPO, "bin/dbpipe.js"), "backup", "--store", "file:///proc/forbidden", "--database-url", url], {
      cwd: project,
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, NO_COLOR: "1", DBPIPE_BACKUP_STORE: "" },
    });
    expect(run.signal).toBeNull();
    expect(run.stderr).toBe(
      'error: the backup folder /proc/forbidden cannot be written: /proc takes no new folders (a virtual file system such as /proc or /sys): mkdir /proc/forbidden says "no such file or directory" although /proc exists (ENOENT)\n',
    );
    expect(run.status).toBe(3);
  });
});

describe("dbpipe backups and restore from a folder that does not exist", () => {
  const missing = "/nonexistent/dbpipe-backups";
  const message = `the backup folder ${missing} (--store) does not exist: check the path (a backup creates the folder it is given; listing and restoring only read one)`;

  it("backups --store: says the folder does not exist, exit 3, in text and JSON (it listed an empty store, exit 0)", async () => {
    const project = tempFolder();
    const env = { DBPIPE_BACKUP_STORE: undefined };
    const text = await runCliInProcess(["backups", "--store", `file://${missing}`], { cwd: project, env });
    expect(text).toEqual({ code: 3, stdout: "", stderr: `error: ${message}\n` });
    const json = await runCliInProcess(["backups", "--json", "--store", `file://${missing}`], { cwd: project, env });
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toEqual({ error: { message }, exitCode: 3 });
    const fromEnv = await runCliInProcess(["backups"], { cwd: project, env: { DBPIPE_BACKUP_STORE: `file://${missing}` } });
    expect(fromEnv).toEqual({ code: 3, stdout: "", stderr: `error: ${message.replace("(--store)", "(DBPIPE_BACKUP_STORE)")}\n` });
  });

  it("restore and restore --drill --store: the same, before anything is restored", async () => {
    const project = tempFolder();
    const url = await databaseWithRows();
    const env = { DBPIPE_BACKUP_STORE: undefined };
    const restore = await runCliInProcess(["restore", "dev-20261201T101500.123Z", "--to", url, "--store", `file://${missing}`], { cwd: project, env });
    expect(restore.code).toBe(3);
    expect(restore.stderr).toBe(`error: ${message}\n`);
    const drill = await runCliInProcess(["restore", "--drill", "--database-url", url, "--store", `file://${missing}`], { cwd: project, env });
    expect(drill.code).toBe(3);
    expect(drill.stderr).toBe(`error: ${message}\n`);
  });

  it("the stack's own folder, before its first backup: no backups yet, exit 0", async () => {
    const project = tempFolder();
    const run = await runCliInProcess(["backups"], { cwd: project, env: { DBPIPE_BACKUP_STORE: undefined } });
    expect(run).toEqual({ code: 0, stdout: `No backups in ${pathToFileURL(path.join(fs.realpathSync(project), ".dbpipe/dev/backups"))} (the local folder). Take one with: dbpipe backup --stack dev\n`, stderr: "" });
  });
});
