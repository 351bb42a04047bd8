import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_DATABASE_URL, databaseFile, databaseKind, databaseUrl, describePostgresUrl } from "@/lib/database-url";

describe("databaseUrl", () => {
  it.each([
    ["unset", {}, DEFAULT_DATABASE_URL],
    ["empty", { DATABASE_URL: "" }, DEFAULT_DATABASE_URL],
    ["only spaces", { DATABASE_URL: "   " }, DEFAULT_DATABASE_URL],
    ["set, with spaces around it", { DATABASE_URL: " file:/data/api.db " }, "file:/data/api.db"],
  ])("is the default or DATABASE_URL when DATABASE_URL is %s", (_, env, expected) => {
    expect(databaseUrl(env as NodeJS.ProcessEnv)).toBe(expected);
  });

  it("reads process.env by default", () => {
    expect(databaseUrl()).toBe(process.env.DATABASE_URL);
  });
});

describe("databaseFile", () => {
  it.each([
    ["the default, relative to the working directory", "file:./prisma/dev.db", path.resolve("prisma", "dev.db")],
    ["a relative path without ./", "file:data/api.db", path.resolve("data", "api.db")],
    ["an absolute path", "file:/srv/data/api.db", path.resolve("/srv/data/api.db")],
    ["a path with query parameters", "file:./dev.db?connection_limit=1", path.resolve("dev.db")],
    ["an in-memory database", "file::memory:", ":memory:"],
  ])("resolves %s", (_, url, expected) => {
    expect(databaseFile(url)).toBe(expected);
  });

  it("resolves DATABASE_URL when given no URL", () => {
    expect(databaseFile()).toBe(path.resolve(process.env.DATABASE_URL!.slice("file:".length)));
  });

  it.each([["postgresql://app@db.internal:5432/users"], ["mysql://root@localhost/users"], ["./prisma/dev.db"]])(
    "rejects %s: only a SQLite file: URL names a file",
    (url) => {
      expect(() => databaseFile(url)).toThrow('DATABASE_URL must be a SQLite "file:" URL');
    },
  );

  it("names only the scheme of a rejected URL, never its password", () => {
    expect(() => databaseFile("postgresql://app:hunter2@db/users")).toThrow(
      new Error('DATABASE_URL must be a SQLite "file:" URL here, got "postgresql:…"'),
    );
  });
});

describe("databaseKind", () => {
  it.each([
    ["file:./prisma/dev.db", "sqlite"],
    ["file::memory:", "sqlite"],
    ["postgresql://postgres@127.0.0.1:25432/workbook", "postgresql"],
    ["postgres://app:secret@db.internal/users", "postgresql"],
  ])("%s is %s", (url, kind) => {
    expect(databaseKind(url)).toBe(kind);
  });

  it.each([["mysql://root:hunter2@localhost/users"], ["./prisma/dev.db"], ["postgresql:/missing-slashes"]])(
    "rejects %s, naming only its scheme",
    (url) => {
      expect(() => databaseKind(url)).toThrow(
        new Error(
          `DATABASE_URL must be a SQLite "file:" URL or a PostgreSQL "postgresql://" URL, got "${url.split(":")[0]}:…"`,
        ),
      );
    },
  );
});

describe("describePostgresUrl", () => {
  it.each([
    ["postgresql://app:hunter2@db.internal:5432/users", 'PostgreSQL database "users" on db.internal:5432'],
    ["postgres://db.internal", 'PostgreSQL database "postgres" on db.internal'],
  ])("names %s by database and host, never its password", (url, expected) => {
    expect(describePostgresUrl(url)).toBe(expected);
  });
});
