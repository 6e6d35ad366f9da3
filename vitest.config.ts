import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores on CI: keep file-level parallelism modest so timing-sensitive child processes stay responsive.
    maxWorkers: 2,
  },
});
