import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runCliInProcess } from "../helpers/cli-in-process";
import { freshDatabase, withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";

/**
 * `dbpipe backup`, `backups` and `restore --drill` on a backup folder that holds what is not a
 * backup, or that cannot be a folder: run in this process (the CLI's own `main`, from the sources).
 */

async function databaseWithRows(): Promise<string> {
  const url = await freshDatabase("bkfolder");
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
