import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withClient } from "../helpers/database";
import { tempFolder, writeFiles } from "../helpers/project";
import { DynamicProvider, cloneProject, migrationSetUrn, registerMigrationSet } from "../infra/migration-set-harness";
import { historyOf, roundDatabase, runLockAfter } from "./helpers/round-database";
import { reliabilitySeed, seeded } from "./helpers/seeded";
import { crashMigrations, crashSchemaState, version } from "./helpers/workloads";

/**
 * The MigrationSet provider host (the plugin `pulumi up` starts) killed with SIGKILL part-way
 * through an update, as a cancelled deploy or a crashed engine leaves it: the state still holds the
 * outputs from before, nothing is half-applied, and the next `pulumi up` (a new host: Diff, then
 * Update with the same inputs) converges. Seeded kill moments; the seed is printed.
 */

const SEED = reliabilitySeed();
const random = seeded(SEED);
// eslint-disable-next-line no-console -- the seed, to replay a failure
console.info(`crash-provider: seed ${SEED} (replay: RELIABILITY_SEED=${SEED} npx vitest run test/reliability/crash-provider.test.ts)`);

const ROUNDS = 5;
const COUNT = 20;
const URN = migrationSetUrn("prod");
const ID = "prod:dbpipe.schema_migrations";
const PASSWORD = "Rel-Crash-Migr4tor-2b7d";

let clone: string;
/** The host of the next `pulumi up`, after each kill. */
let next: DynamicProvider;
let migrator: string;

beforeAll(async () => {
  migrator = `rel_crash_migrator_${randomBytes(4).toString("hex")}`;
  await withClient(inject("adminUrl"), (c) => c.query(`CREATE ROLE ${migrator} LOGIN PASSWORD '${PASSWORD}'`));
  clone = cloneProject();
  next = await DynamicProvider.start(clone);
}, 300_000);

afterAll(async () => {
  await next?.stop();
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
  if (migrator) await withClient(inject("adminUrl"), (c) => c.query(`DROP ROLE IF EXISTS ${migrator}`));
});

/** The inputs `pulumi preview` sends for the folder as it is now, checked by `host`. */
async function preview(host: DynamicProvider, databaseUrl: string, migrationsDir: string, store: string): Promise<Record<string, unknown>> {
  const registered = await registerMigrationSet("prod", { databaseUrl, migrationsDir, backup: pathToFileURL(store).href });
  const { inputs, failures } = await host.check(URN, {}, registered.inputs);
  expect(failures).toEqual([]);
  return inputs;
}

describe(`the provider host killed during an update of ${COUNT} migrations`, () => {
  for (let round = 1; round <= ROUNDS; round++) {
    // At least three migrations left to go: killed part-way, however slow the machine.
    const afterApplied = random.int(0, COUNT - 4);
    const delayMs = random.int(0, 30);
    const moment = `${delayMs}ms after ${afterApplied} migration(s) applied`;

    it(`round ${round}/${ROUNDS} (seed ${SEED}): killed ${moment}; nothing half-applied, the next pulumi up converges`, { timeout: 120_000 }, async () => {
      const url = await roundDatabase("relmscrash");
      await withClient(url, (c) => c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} OWNER TO ${migrator}`));
      const asMigrator = new URL(url);
      asMigrator.username = migrator;
      asMigrator.password = PASSWORD;
      const project = tempFolder({}, "dbpipe-rel-mscrash-");
      const store = tempFolder({}, "dbpipe-rel-mscrash-store-");
      const migrationsDir = path.join(project, "migrations");
      const all = crashMigrations(COUNT);

      // The resource exists with the first migration applied...
      writeFiles(project, { [`migrations/${version(1)}_step_1.sql`]: all[`migrations/${version(1)}_step_1.sql`] });
      const created = await next.create(URN, await preview(next, asMigrator.toString(), migrationsDir, store));
      expect(created.outputs.head).toBe("0001_step_1");
      const before = created.outputs;

      // ...then the rest are added, and the host running the update is killed part-way.
      writeFiles(project, all);
      const news = await preview(next, asMigrator.toString(), migrationsDir, store);
      const victim = await DynamicProvider.start(clone);
      const update = victim.update(URN, ID, before, news).then(
        () => "finished",
        (error: { details?: string; message: string }) => error.details ?? error.message,
      );
      await waitFor(async () => (await historyOf(url)).length >= 1 + afterApplied || (await settled(update)));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await victim.kill();
      const outcome = await update;
      const context = `seed ${SEED}, round ${round}, killed ${moment}; the update: ${outcome}\nhost stderr:\n${victim.stderr}`;
      expect(outcome, context).not.toBe("finished");

      expect(await runLockAfter(url, 60_000), context).toEqual([]);
      const history = await historyOf(url);
      const schema = await crashSchemaState(url);
      expect(schema.partial, context).toEqual([]);
      expect(history.map((h) => h.version), context).toEqual(schema.complete);
      expect(history.every((h) => h.success), context).toBe(true);

      // The next pulumi up: the state still has the outputs from before the killed update.
      expect((await next.diff(URN, ID, before, news)).changes, context).toBe("some");
      const after = await next.update(URN, ID, before, news);
      const rest = Array.from({ length: COUNT }, (_, i) => version(i + 1)).filter((v) => !schema.complete.includes(v));
      expect(after.lastApplied, context).toEqual(rest);
      expect(after.head).toBe(`${version(COUNT)}_step_${COUNT}`);
      expect(Object.keys(after.applied as object)).toHaveLength(COUNT);
      expect((await next.diff(URN, ID, after, news)).changes).toBe("none");
      const final = await crashSchemaState(url);
      expect(final.partial).toEqual([]);
      expect(final.complete).toHaveLength(COUNT);
    });
  }
});

async function settled(promise: Promise<string>): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);
}

async function waitFor(condition: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still not so after ${limitMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
