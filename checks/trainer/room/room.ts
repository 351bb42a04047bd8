import { realpathSync } from "node:fs";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stopSignals, whenParentGoes } from "../../../solutions/scripts/signals.ts";
import { loadLessons } from "../../learner/workbook/lessons.ts";
import { workbookDir } from "../../learner/workbook/workbook-dir.ts";
import { lessonSummaries } from "./room-lessons.ts";
import { createRoomServer } from "./room-server.ts";
import { RoomInUseError, RoomStore, defaultMaxLearners } from "./room-store.ts";

// npm run room [-- --port 4321] [--max-learners 500]: the trainer's live view of the room. Prints
// the join link for learners and the dashboard's address (with the trainer's key) for the trainer.

// WORKBOOK_ROOT points at another workbook, as it does for the CLI.
const root = path.resolve(process.env.WORKBOOK_ROOT ?? path.join(import.meta.dirname, "..", "..", ".."));
const roomStateFile = `${workbookDir}/room-state.json`;

/** The machine's address on the local network, when it has one; learners cannot reach localhost. */
export function lanAddress(interfaces = networkInterfaces()): string | undefined {
  for (const list of Object.values(interfaces)) {
    for (const address of list ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return undefined;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function whole(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(
      `--${name} takes a whole number from ${min} to ${max}, got "${value}". ` +
        `Example: npm run room -- --${name} ${fallback}`,
    );
  return n;
}

function openStore(file: string, maxLearners: number, port: number): RoomStore {
  try {
    return new RoomStore({
      file,
      maxLearners,
      warn: (line) => process.stderr.write(`Warning: ${line}\n`),
      lockDetails: { port },
    });
  } catch (error) {
    if (error instanceof RoomInUseError) fail(error.message);
    throw error;
  }
}

/** What the trainer reads once the room is open: the join line for the projector, the dashboard for them. */
function banner(store: RoomStore, port: number, host: string, joinUrl: string): string {
  const resumed = store.size > 0 ? ` (${store.size} learners kept from before)` : "";
  return [
    `Room open on port ${port}${resumed}.`,
    "",
    "Learners join with (show this on the projector):",
    `  npm start -- --room ${joinUrl} --name "Your Name"`,
    "",
    "Your dashboard (keep this link to yourself; it holds your key):",
    `  http://${host}:${port}/?key=${store.trainerKey}`,
    "",
    host === "localhost"
      ? "No network address found, so only this machine can join: connect to the room's network and restart."
      : "Learners must be on the same network. Stop the room with Ctrl+C; it picks up where it was when restarted.",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  let values: { port?: string; "max-learners"?: string };
  try {
    ({ values } = parseArgs({ options: { port: { type: "string" }, "max-learners": { type: "string" } } }));
  } catch (error) {
    fail(`${(error as Error).message}. Usage: npm run room -- [--port 4321] [--max-learners 500]`);
  }
  // `npm run room --port 5000` (without --) hands the value over as an npm setting.
  const fromNpm = process.env.npm_lifecycle_event === "room" ? process.env.npm_config_port : undefined;
  const port = whole("port", values.port ?? fromNpm, 4321, 1, 65535);
  const maxLearners = whole("max-learners", values["max-learners"], defaultMaxLearners, 1, 10_000);

  const { lessons, problems } = loadLessons(root);
  for (const problem of problems) process.stderr.write(`Warning: skipping ${problem.dir}: ${problem.message}\n`);
  if (lessons.length === 0)
    fail("No lessons found in lessons/, so there is nothing to show. Run npm run room from the workbook's folder.");
  const summaries = lessonSummaries(lessons);

  const store = openStore(path.join(root, roomStateFile), maxLearners, port);
  const host = lanAddress() ?? "localhost";
  const joinUrl = `http://${host}:${port}/join/${store.joinCode}`;
  const room = createRoomServer({
    store,
    lessons: summaries,
    joinUrl,
    warn: (line) => process.stderr.write(`Warning: ${line}\n`),
  });
  room.server.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE") fail(`Port ${port} is already in use: run npm run room -- --port ${port + 1}`);
    if (error.code === "EACCES") fail(`Port ${port} needs special rights: run npm run room -- --port 4321`);
    fail(`The room could not start: ${error.message}`);
  });
  room.server.listen(port, () => process.stdout.write(banner(store, port, host, joinUrl)));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void room.close().then(() => process.exit(0));
  };
  for (const signal of stopSignals) process.on(signal, stop);
  // npm passes SIGTERM to the shell it runs the room in, and sh does not pass it on (signals.ts).
  whenParentGoes(stop);
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) await main();
