// Mistake: POST answers 200, not 201 Created.

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
  const query = parseQuery(request, listUsersQuerySchema);
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
  return NextResponse.json({ user: toUserDto(user) });
});
