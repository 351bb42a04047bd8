import path from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;

// `npm run test:scale`: the reference API scaled out, on PostgreSQL and Redis with two
// instances. Not part of `npm test`, which needs no server: solutions/scale/run.ts starts the
// services, runs this, and stops what it started.
export default defineConfig({
  resolve: { alias: [{ find: /^@\//, replacement: `${path.join(root, "solutions")}/` }] },
  test: {
    name: "scale",
    environment: "node",
    include: ["solutions/scale/**/*.test.ts", "solutions/adversarial/generated-requests.test.ts"],
    setupFiles: [path.join(root, "solutions/scale/setup.ts")],
    globalSetup: [path.join(root, "solutions/scale/instances.ts")],
    // One file at a time: the instances are shared, and the machine's cores go to them.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
