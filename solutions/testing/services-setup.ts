import { REDIS_INSTALL_HINT, redisServerInstalled, redisSkipLine, servicesRequired } from "./redis-server";

// Runs once before `npm test`'s vitest run: says in one line what is skipped for want of
// redis-server, or, when WORKBOOK_REQUIRE_SERVICES=1 (CI), stops the run because of it.

// Every project of the run inherits this set-up; the first one to run it speaks for all.
const checked = Symbol.for("workbook.services-checked");

export default function checkServices(): void {
  const state = globalThis as { [checked]?: boolean };
  if (state[checked] || redisServerInstalled()) return;
  state[checked] = true;
  if (servicesRequired()) {
    throw new Error(
      `WORKBOOK_REQUIRE_SERVICES=1, but redis-server is not installed. To install it: ${REDIS_INSTALL_HINT}.`,
    );
  }
  console.log(redisSkipLine("the tests that need Redis (lesson 10, the Redis rate limiter and cache)"));
}
