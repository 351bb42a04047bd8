import { pathToFileURL } from "node:url";
import type { PrismaClient } from "@/generated/prisma/client";

// The development data: one admin to log in as, and a few users to list, page and edit.
export const SEED_USERS = [
  { name: "Ada Admin", email: "admin@example.com", role: "admin" },
  { name: "Alice Example", email: "alice@example.com", role: "user" },
  { name: "Bob Example", email: "bob@example.com", role: "user" },
  { name: "Carol Example", email: "carol@example.com", role: "user" },
  { name: "Dave Example", email: "dave@example.com", role: "user" },
] as const;

/** Inserts the seed users that are missing; running it twice changes nothing. */
export async function seed(db: PrismaClient): Promise<number> {
  let created = 0;
  for (const user of SEED_USERS) {
    const existing = await db.user.findUnique({ where: { email: user.email } });
    if (!existing) {
      await db.user.create({ data: user });
      created += 1;
    }
  }
  return created;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { getPrisma } = await import("@/lib/prisma");
  const db = getPrisma();
  const created = await seed(db);
  await db.$disconnect();
  console.log(`Seeded ${created} user(s).`);
}
