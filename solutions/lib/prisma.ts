import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "@/generated/prisma/client";
import { databaseFile, databaseUrl } from "@/lib/database-url";

// One client per database file for the life of the process. Next's dev server re-evaluates
// modules on every edit, so the clients are kept on globalThis to avoid leaking connections.
const clients = ((globalThis as { __prismaClients?: Map<string, PrismaClient> }).__prismaClients ??= new Map());

export function createPrismaClient(file: string): PrismaClient {
  // fileMustExist: a missing database is a set-up mistake, not a reason to create an empty one.
  const adapter = new PrismaBetterSqlite3({ url: file, fileMustExist: file !== ":memory:", timeout: 5_000 });
  return new PrismaClient({ adapter });
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
