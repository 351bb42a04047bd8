import { existsSync } from "node:fs";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@/generated/prisma/client";
import { databaseFile, databaseUrl } from "@/lib/database-url";

// One client per database file for the life of the process. Next's dev server re-evaluates
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

export function createPrismaClient(file: string): PrismaClient {
  return new PrismaClient({ adapter: new ExistingSqliteFile(file) });
}

export function getPrisma(url = databaseUrl()): PrismaClient {
  const file = databaseFile(url);
  let client = clients.get(file);
  if (!client) {
    client = createPrismaClient(file);
    clients.set(file, client);
  }
  return client;
}

export const prisma = getPrisma();
