import { loadLocalEnv } from "./load-env";

// `npm run -s token -- admin@example.com [--expires 1h]`: prints a bearer token for that user and
// nothing else on stdout, so it can be used inside $(…).

const USAGE = "Usage: npm run -s token -- <email> [--expires 1h]";

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const args = process.argv.slice(2);
const expiresAt = args.indexOf("--expires");
const expiresIn = expiresAt >= 0 ? args.splice(expiresAt, 2)[1] : "1h";
const [email, ...extra] = args;
if (!email || extra.length > 0 || !expiresIn) fail(USAGE);
if (!/^\d+\s*[smhdw]?$|^\d+\s*(sec|min|hour|day|week)s?$/i.test(expiresIn))
  fail(`--expires takes a duration such as 15m, 1h or 7d. ${USAGE}`);

loadLocalEnv();
const { signToken } = await import("@/lib/auth");
const { userRepository } = await import("@/repositories/user-repository");
const user = await userRepository.findByEmail(email.trim().toLowerCase()).catch((error: Error) => {
  // Prisma quotes the failing call over several lines before saying what failed, on the last.
  const reason = error.message.trim().split("\n").at(-1)!.trim().replace(/\.$/, "");
  fail(
    `Could not read the database: ${reason}.` +
      (reason.includes("db:reset") ? "" : " Run `npm run db:reset` to create it."),
  );
});
if (!user) fail(`No user with email "${email}". Seeded users include admin@example.com and grace@example.com.`);
process.stdout.write(`${await signToken(user, { expiresIn })}\n`);
