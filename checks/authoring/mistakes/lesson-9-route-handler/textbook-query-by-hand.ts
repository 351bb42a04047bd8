// Mistake: the textbook query parse, Number() and BigInt() on the search params instead of the schema:
// nothing is validated, and a bad cursor throws a SyntaxError.

import { NextResponse } from "next/server";
import { parseBody, parseQuery } from "@/lib/body";
import { withErrorHandler } from "@/lib/errors";
import { guard } from "@/lib/guard";
import { userService } from "@/services/user-service";
import { createUserSchema, listUsersQuerySchema } from "@/schemas/user";
import { toUserDto } from "@/schemas/user-dto";

// List users a page at a time, oldest first (admin only).
export const GET = withErrorHandler(async (request) => {
  await guard(request, ["admin"]);
  const search = request.nextUrl.searchParams;
  const cursor = search.get("cursor");
  const query = { limit: Number(search.get("limit") ?? 20), ...(cursor ? { cursor: BigInt(cursor) } : {}) };
  const page = await userService.listUsers(query);
  return NextResponse.json({
    users: page.users.map(toUserDto),
    nextCursor: page.nextCursor === null ? null : Number(page.nextCursor),
  });
});

// Create a user (admin only).
export const POST = withErrorHandler(async (request) => {
  await guard(request, ["admin"]);
  const input = await parseBody(request, createUserSchema);
  const user = await userService.createUser(input);
  return NextResponse.json({ user: toUserDto(user) }, { status: 201 });
});
