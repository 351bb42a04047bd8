import { NextResponse } from "next/server";
import { parseBody, parseQuery } from "@/lib/body";
import { withErrorHandler } from "@/lib/errors";
import { guard } from "@/lib/guard";
import { userService } from "@/services/user-service";
import { createUserSchema, listUsersQuerySchema } from "@/schemas/user";
import { toUserDto } from "@/schemas/user-dto";
import { notImplemented } from "../not-implemented";

// The route at /api/users, composed from finished pieces: every imported name above is one
// step. The handler only orders the steps; it never touches Prisma and holds no business rule.

// List users a page at a time, oldest first (admin only).
// TODO, in this order:
//   1. await guard(request, ["admin"]): authenticate, rate-limit, then allow admins only.
//   2. parseQuery(request, listUsersQuerySchema): { limit, cursor? } from the query string.
//   3. await userService.listUsers(query): { users, nextCursor } with BigInt ids.
//   4. 200 with { users: each through toUserDto, nextCursor: a number, or null on the last page }.
export const GET = withErrorHandler(async (request) => notImplemented("lesson-9", "GET /api/users"));

// Create a user (admin only).
// TODO, in this order:
//   1. await guard(request, ["admin"]), before the body is read.
//   2. await parseBody(request, createUserSchema): size-capped JSON, then the schema.
//   3. await userService.createUser(input).
//   4. 201 with { user: toUserDto(user) }.
export const POST = withErrorHandler(async (request) => notImplemented("lesson-9", "POST /api/users"));
