import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policies/**/*.test.ts"],
    // One embedded PostgreSQL for the whole run; each test file creates its own databases in it.
    globalSetup: ["test/helpers/global-postgres.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
