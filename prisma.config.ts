import path from "node:path";
import { defineConfig } from "prisma/config";

// The CLI only generates the client here; migrations are applied by prisma/migrate.ts.
export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations"), seed: "tsx prisma/seed.ts" },
  datasource: { url: process.env.DATABASE_URL ?? "file:./prisma/dev.db" },
});
