// Mistake: NextResponse.json(…, { status: 204 }): a 204 cannot carry a body, so building it throws.

import { NextResponse } from "next/server";
import { parseBody, parseParams } from "@/lib/body";
import { withErrorHandler } from "@/lib/errors";
import { guard } from "@/lib/guard";
import { userService } from "@/services/user-service";
import { idParamsSchema, updateUserSchema } from "@/schemas/user";
import { toUserDto } from "@/schemas/user-dto";

type Context = { params: Promise<{ id: string }> };

// Read one user (admin, or the user themselves).
export const GET = withErrorHandler<Context>(async (request, { params }) => {
  const actor = await guard(request);
  const { id } = await parseParams(params, idParamsSchema);
  const user = await userService.getUser(id, actor);
  return NextResponse.json({ user: toUserDto(user) });
});

// Update a user: admins may change any field, users only their own name and email.
export const PATCH = withErrorHandler<Context>(async (request, { params }) => {
  const actor = await guard(request);
  const { id } = await parseParams(params, idParamsSchema);
  const input = await parseBody(request, updateUserSchema);
  const user = await userService.updateUser(id, input, actor);
  return NextResponse.json({ user: toUserDto(user) });
});

// Delete a user (admin only; the last admin stays).
export const DELETE = withErrorHandler<Context>(async (request, { params }) => {
  await guard(request, ["admin"]);
  const { id } = await parseParams(params, idParamsSchema);
  await userService.deleteUser(id);
  return NextResponse.json({ deleted: true }, { status: 204 });
});
