// Mistake: the textbook BigInt fix, a global BigInt.prototype.toJSON patch, and the row itself as the response
// instead of a DTO: every column (createdAt, updatedAt, and any added later) reaches the client.

import { NextResponse } from "next/server";
import { parseBody, parseQuery } from "@/lib/body";
import { withErrorHandler } from "@/lib/errors";
import { guard } from "@/lib/guard";
import { userService } from "@/services/user-service";
import { createUserSchema, listUsersQuerySchema } from "@/schemas/user";
import { toUserDto } from "@/schemas/user-dto";

(BigInt.prototype as unknown as { toJSON: () => number }).toJSON = function (this: bigint) {
  return Number(this);
};

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
  return NextResponse.json({ user }, { status: 201 });
});
