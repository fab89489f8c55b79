import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { withClient } from "../helpers/database";
import { tempFolder } from "../helpers/project";
import { readManifest } from "../../src/infra/migration-set-manifest";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "../infra/migration-set-harness";
import { historyOf, roundDatabase, runLockHolders } from "./helpers/round-database";
import { RACE_VERSIONS, raceMigrations } from "./helpers/workloads";

/**
 * Four MigrationSet updates at once on one database, each through its own dynamic-provider host
 * (the plugin `pulumi up` starts, driven over gRPC as the engine drives it): four stacks, or four
 * CI jobs, deploying the same migrations. The run lock lets one apply them; the others wait, find
 * nothing pending, and every update returns the same, complete outputs. Twenty rounds, a fresh
 * database each.
 */

const ROUNDS = 20;
const HOSTS = 4;
const URN = migrationSetUrn("prod");
const PASSWORD = "Rel-Migr4tor-5e1f";

let clone: string;
let hosts: DynamicProvider[] = [];
let inputs: Record<string, unknown>;
let migrator: string;

beforeAll(async () => {
  const project = tempFolder(raceMigrations(), "dbpipe-rel-ms-");
  const store = tempFolder({}, "dbpipe-rel-ms-store-");
  migrator = `rel_migrator_${randomBytes(4).toString("hex")}`;
  await withClient(inject("adminUrl"), (c) => c.query(`CREATE ROLE ${migrator} LOGIN PASSWORD '${PASSWORD}'`));
  // The URL is each round's; the registration only needs one of the right shape.
  const registered = await registerMigrationSet("prod", { databaseUrl: `postgres://${migrator}:${PASSWORD}@127.0.0.1/placeholder`, migrationsDir: path.join(project, "migrations"), backup: pathToFileURL(store).href });
  inputs = registered.inputs;
  clone = cloneProject();
  hosts = await Promise.all(Array.from({ length: HOSTS }, () => DynamicProvider.start(clone)));
}, 300_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
  if (migrator) await withClient(inject("adminUrl"), (c) => c.query(`DROP ROLE IF EXISTS ${migrator}`));
});

/** A fresh database owned by the migrator, and the MigrationSet's inputs pointing at it (as the migrator). */
async function roundInputs(): Promise<{ url: string; news: Record<string, unknown> }> {
  const url = await roundDatabase("relms");
  await withClient(url, (c) => c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} OWNER TO ${migrator}`));
  const asMigrator = new URL(url);
  asMigrator.username = migrator;
  asMigrator.password = PASSWORD;
  const { inputs: news, failures } = await hosts[0].check(URN, {}, { ...inputs, databaseUrl: asMigrator.toString() });
  expect(failures).toEqual([]);
  return { url, news };
}

describe(`${HOSTS} MigrationSet updates at once, each through its own provider host`, () => {
  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}/${ROUNDS}: one applies every migration once, every update succeeds with the same outputs`, { timeout: 120_000 }, async () => {
      const { url, news } = await roundInputs();
      const id = "prod:dbpipe.schema_migrations";
      const outputs = await Promise.all(hosts.map((h) => h.update(URN, id, news, news)));
      const stderr = hosts.map((h, i) => `host ${i + 1}:\n${h.stderr}`).join("\n");

      const lastApplied = outputs.map((o) => o.lastApplied as string[]);
      expect(lastApplied.filter((l) => l.length > 0), stderr).toEqual([RACE_VERSIONS]);
      expect(lastApplied.filter((l) => l.length === 0)).toHaveLength(HOSTS - 1);
      for (const o of outputs) {
        expect(o.head).toBe("0010_create_t10");
        expect(Object.keys(o.applied as object)).toEqual(Object.keys(readManifest(news.manifest) ?? {}));
      }
      // The history and the data agree: every migration once, all by one session.
      expect((await historyOf(url)).map((h) => [h.version, h.success])).toEqual(RACE_VERSIONS.map((v) => [v, true]));
      const log = await withClient(url, async (c) => (await c.query<{ version: string; pid: number }>("SELECT version, pid FROM applied_log ORDER BY version")).rows);
      expect(log.map((l) => l.version)).toEqual(RACE_VERSIONS);
      expect(new Set(log.map((l) => l.pid)).size).toBe(1);
      expect(await runLockHolders(url)).toEqual([]);
      // And the next preview of each finds nothing to do.
      for (const [i, h] of hosts.entries()) expect((await h.diff(URN, id, outputs[i], news)).changes).toBe("none");
    });
  }
});
