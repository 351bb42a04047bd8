import { pathToFileURL } from "node:url";
import type { PrismaClient } from "@/generated/prisma/client";

// The development data: one admin to log in as, and a few users to list, page and edit. None of
// them is Alice, whom the README and the lessons create as their worked example: on a fresh
// database that example answers 201, as shown, not 409.
export const SEED_USERS = [
  { name: "Ada Admin", email: "admin@example.com", role: "admin" },
  { name: "Grace Example", email: "grace@example.com", role: "user" },
  { name: "Henry Example", email: "henry@example.com", role: "user" },
  { name: "Iris Example", email: "iris@example.com", role: "user" },
  { name: "Jack Example", email: "jack@example.com", role: "user" },
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
