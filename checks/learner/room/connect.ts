import { type RoomMembership, type RoomReporter, createRoomReporter } from "./client.ts";
import { type RoomSettingsInput, forgetMembership, resolveRoomSettings, saveMembership } from "./settings.ts";

// One call for a command that reports to the room: resolve --room/--name (or what is remembered),
// join if need be, and return the listener to hand every verdict to; undefined outside a room.

export async function connectRoom(
  input: RoomSettingsInput & { fetch?: typeof fetch },
): Promise<RoomReporter | undefined> {
  const membership = await resolveRoomSettings(input);
  if (!membership) return undefined;
  return createRoomReporter(membership, {
    fetch: input.fetch,
    // The room forgot this learner and took them back under a new id: remember it for next time.
    onRejoin: (rejoined: RoomMembership) => {
      try {
        saveMembership(input.root, rejoined, input.now?.() ?? new Date());
      } catch {
        // The next command joins again; the learner's loop is never disturbed for the room's sake.
      }
    },
    // The trainer removed this learner: later commands report nowhere until the learner joins again.
    onRemoved: (removed: RoomMembership) => {
      try {
        forgetMembership(input.root, removed);
      } catch {
        // The next command is told again, and tries again.
      }
    },
  });
}
