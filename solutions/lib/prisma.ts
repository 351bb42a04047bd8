import { existsSync } from "node:fs";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/generated/prisma/client";
import { PrismaClient as PostgresPrismaClient } from "@/generated/prisma-postgresql/client";
import { databaseFile, databaseKind, databaseUrl, type DatabaseKind } from "@/lib/database-url";

// One client per database for the life of the process. Next's dev server re-evaluates
// modules on every edit, so the clients are kept on globalThis to avoid leaking connections.
const clients = ((globalThis as { __prismaClients?: Map<string, PrismaClient> }).__prismaClients ??= new Map());

// A missing database is a set-up mistake, not a reason to create an empty one (fileMustExist).
// Checking before SQLite does turns its "unable to open database file", buried in Prisma's
// invocation message, into one line that names the file and the fix.
class ExistingSqliteFile extends PrismaBetterSqlite3 {
  private readonly file: string;

  constructor(file: string) {
    super({ url: file, fileMustExist: file !== ":memory:", timeout: 5_000 });
    this.file = file;
  }

  override async connect() {
    if (this.file !== ":memory:" && !existsSync(this.file)) {
      throw new Error(`Database file ${this.file} does not exist. Run \`npm run db:reset\` to create it.`);
    }
    return super.connect();
  }
}

// pg and its adapter take about as long to load as the whole SQLite stack, and the embedded API,
// its tests and every lesson check never use them: they are loaded when a PostgreSQL client
// first connects.
class LazyPostgresAdapter implements Pick<PrismaPg, "provider" | "adapterName" | "connect" | "connectToShadowDb"> {
  readonly provider = "postgres";
  readonly adapterName = "@prisma/adapter-pg";
  private adapter: Promise<PrismaPg> | undefined;

  constructor(private readonly config: ConstructorParameters<typeof PrismaPg>[0]) {}

  private load(): Promise<PrismaPg> {
    return (this.adapter ??= import("@prisma/adapter-pg").then(({ PrismaPg }) => new PrismaPg(this.config)));
  }

  async connect() {
    return (await this.load()).connect();
  }

  async connectToShadowDb() {
    return (await this.load()).connectToShadowDb();
  }
}

// Which database a client talks to, for the code that must behave differently on each (the
// repository's transaction gate exists only for SQLite's single connection).
const kinds = ((globalThis as { __prismaKinds?: WeakMap<object, DatabaseKind> }).__prismaKinds ??= new WeakMap());

export function clientKind(client: object): DatabaseKind {
  return kinds.get(client) ?? "sqlite";
}

export function createPrismaClient(file: string): PrismaClient {
  const client = new PrismaClient({ adapter: new ExistingSqliteFile(file) });
  kinds.set(client, "sqlite");
  return client;
}

/**
 * A client for a PostgreSQL server. Prisma generates one client per database provider, both from
 * the same model (prisma/schema.prisma and prisma/postgresql/schema.prisma, kept equal by a
 * test), so the PostgreSQL client has the SQLite client's shape and is typed as it.
 */
export function createPostgresClient(url: string, poolSize = 10): PrismaClient {
  const adapter = new LazyPostgresAdapter({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000 });
  const client = new PostgresPrismaClient({ adapter: adapter as unknown as PrismaPg }) as unknown as PrismaClient;
  kinds.set(client, "postgresql");
  return client;
}

export function getPrisma(url = databaseUrl()): PrismaClient {
  const kind = databaseKind(url);
  const key = kind === "sqlite" ? databaseFile(url) : url;
  let client = clients.get(key);
  if (!client) {
    client = kind === "sqlite" ? createPrismaClient(key) : createPostgresClient(url);
    clients.set(key, client);
  }
  return client;
}

export const prisma = getPrisma();
