import { defineConfig } from "vitest/config"

// Tests import the workspace packages' TypeScript sources (the "source" export condition); the
// subprocesses they start (CLI, examples) run the compiled JavaScript, built by test/support/build.ts.
const conditions = ["source", "module", "node", "import", "default"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    globalSetup: ["test/support/build.ts", "test/support/globalSetup.ts"],
    setupFiles: ["test/support/properties.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
