import { NextResponse } from "next/server";
import { parseBody, parseParams } from "@/lib/body";
import { withErrorHandler } from "@/lib/errors";
import { guard } from "@/lib/guard";
import { userService } from "@/services/user-service";
import { idParamsSchema, updateUserSchema } from "@/schemas/user";
import { toUserDto } from "@/schemas/user-dto";
import { notImplemented } from "../not-implemented";

// The route at /api/users/[id]. Since Next 15, `params` is a Promise: await it (through
// parseParams) before reading the id.

type Context = { params: Promise<{ id: string }> };

// Read one user (admin, or the user themselves).
// TODO, in this order:
//   1. const actor = await guard(request): no roles here, the service decides "admin or self".
//   2. const { id } = await parseParams(params, idParamsSchema): a BigInt, or a 400.
//   3. await userService.getUser(id, actor).
//   4. 200 with { user: toUserDto(user) }.
export const GET = withErrorHandler<Context>(async (request, { params }) =>
  notImplemented("lesson-9", "GET /api/users/[id]"),
);

// Update a user: admins may change any field, users only their own name and email.
// TODO, in this order:
//   1. const actor = await guard(request).
//   2. the id from parseParams(params, idParamsSchema).
//   3. await parseBody(request, updateUserSchema).
//   4. await userService.updateUser(id, input, actor): it enforces who may change what.
//   5. 200 with { user: toUserDto(user) }.
export const PATCH = withErrorHandler<Context>(async (request, { params }) =>
  notImplemented("lesson-9", "PATCH /api/users/[id]"),
);

// Delete a user (admin only; the last admin stays).
// TODO, in this order:
//   1. await guard(request, ["admin"]).
//   2. the id from parseParams(params, idParamsSchema).
//   3. await userService.deleteUser(id).
//   4. 204 with no body at all (not even `null` or `{}`).
export const DELETE = withErrorHandler<Context>(async (request, { params }) =>
  notImplemented("lesson-9", "DELETE /api/users/[id]"),
);
