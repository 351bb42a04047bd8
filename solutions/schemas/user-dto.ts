import type { Role } from "@/schemas/user";

// What a user looks like on the wire. Ids are BigInt in the database and JSON.stringify cannot
// serialize BigInt, so every response maps through here (never a global BigInt.prototype.toJSON).

export type UserRecord = { id: bigint; name: string; email: string; role: string };
export type UserDto = { id: number; name: string; email: string; role: Role };

export function toUserDto(user: UserRecord): UserDto {
  return { id: Number(user.id), name: user.name, email: user.email, role: user.role as Role };
}
