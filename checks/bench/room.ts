import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { closeAgents, send } from "./room-http.ts";
import { type LoadResult, type LoadSettings, statusBody } from "./room-load.ts";
import {
  type FeedFigures,
  type Latency,
  type PaintFigures,
  type SiegeFigures,
  measureFeed,
  measurePaint,
  probeLatency,
  siege,
} from "./room-probe.ts";
import { pinServers, pinning } from "./pinned-load.ts";
import {
  type RunningRoom,
  type Stall,
  mainThreadTimes,
  memoryMb,
  readStalls,
  startRoom,
  stopRoom,
} from "./room-process.ts";
import { round } from "./stats.ts";

// `npm run bench -- --only room`: a real room (the process npm run room runs) with thousands of
// learners joined from a hundred local addresses, each reporting a status every 10 seconds, then
// bursts; meanwhile a plain GET's latency, the dashboard's feed and its first paint in Chromium,
// the room's memory; then a restart, and a siege of silent connections. The learners run in a
// process of their own (room-load.ts), so that the probe measures the room and not its load.

interface RoomBenchSettings {
  root: string;
  learners: number;
  seconds: number;
  /**
   * The room's main thread alone on core 0, everything else on core 1, as the API's half-load is
   * measured. Off by default: on a machine others load too, a pinned room waits for its one core
   * while the other is free (the "waited for a core" column shows it), as no trainer's room does.
   */
  pinned?: boolean;
  log: (line: string) => void;
}

interface RoomPhase {
  phase: string;
  offeredPerSecond: number | null;
  statuses: LoadResult | null;
  get: Latency;
  /** The room's main thread during the phase: how long it ran, and waited for its core (ms). */
  roomRunMs: number | null;
  roomWaitMs: number | null;
  /** When the phase began and ended (epoch ms), to place the room's event-loop stalls in it. */
  window: [number, number];
  /** The room's resident memory at the end of the phase, and its peak so far (MB). */
  memory: { rss: number; peak: number } | null;
  /** Its event loop stopped over 20 ms: how often, the longest, and the share of it waiting for a core. */
  stalls?: { count: number; longestMs: number; waitingShare: number | null };
}

export interface RoomReport {
  learners: number;
  joinSeconds: number;
  phases: RoomPhase[];
  feed: FeedFigures;
  paint: PaintFigures | string;
  memory: { rss: number; peak: number } | null;
  /** Where the room ran: its main thread alone on a core, or free (and why). */
  placement: string;
  stateFileMb: number;
  restart: { stopMs: number; startMs: number; emptyStartMs: number };
  siege: SiegeFigures;
}

const run = promisify(execFile);

/** Where the room's main thread runs (alone), and everything else (pinned-load.ts), or nowhere in particular. */
let pins: ReturnType<typeof pinning> = { unavailable: "not asked to" };

/** This checkout, whose learners (room-load.ts) load the room, whichever checkout's room it is. */
const benchRoot = path.resolve(import.meta.dirname, "..", "..");

async function load(settings: LoadSettings): Promise<LoadResult> {
  const script = path.join(import.meta.dirname, "room-load.ts");
  const node = [process.execPath, "--import", "tsx", script, JSON.stringify(settings)];
  const [command, ...args] = "loadCpu" in pins ? ["taskset", "-c", String(pins.loadCpu), ...node] : node;
  const { stdout } = await run(command!, args, { cwd: benchRoot, maxBuffer: 2 ** 20 });
  return JSON.parse(stdout) as LoadResult;
}

/** A phase of statuses, with the GET probe running through it, and the room's main thread's time. */
async function phase(
  room: RunningRoom,
  name: string,
  statuses: () => Promise<LoadResult | null>,
  offered?: number,
): Promise<RoomPhase> {
  const before = mainThreadTimes(room.child.pid!);
  const began = Date.now();
  const probe = probeLatency(room.origin);
  const result = await statuses();
  const get = await probe.stop();
  const after = mainThreadTimes(room.child.pid!);
  const spent = (key: "runMs" | "waitMs") => (before && after ? round(after[key] - before[key], 0) : null);
  return {
    phase: name,
    offeredPerSecond: offered ?? null,
    statuses: result,
    get,
    roomRunMs: spent("runMs"),
    roomWaitMs: spent("waitMs"),
    window: [began, Date.now()],
    memory: memoryMb(room.child.pid!),
  };
}

/** The room's main thread alone on one core; its helper threads, the learners, the probe and Chromium on the other. */
function pinRoom(room: RunningRoom): void {
  if ("loadCpu" in pins) pinServers([room.child.pid!], pins, "split");
}

function workbook(root: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "workbook-room-bench-"));
  symlinkSync(path.join(root, "lessons"), path.join(dir, "lessons"), "junction");
  return dir;
}

async function phases(settings: RoomBenchSettings, room: RunningRoom, file: string): Promise<RoomPhase[]> {
  const { learners, seconds } = settings;
  const base = { origin: room.origin, learners, file, seconds };
  const steady = learners / 10;
  settings.log(`room: idle, then ${steady} statuses/s (every learner every 10 s), then bursts, ${seconds} s each…`);
  const idle = () => new Promise<null>((resolve) => setTimeout(() => resolve(null), seconds * 1000));
  return [
    await phase(room, "idle", idle),
    await phase(room, "steady: every learner every 10 s", () => load({ ...base, mode: "open", rate: steady }), steady),
    await phase(room, "bursts: 2,000 statuses/s", () => load({ ...base, mode: "open", rate: 2000 }), 2000),
    await phase(room, "saturated: 64 statuses in flight", () => load({ ...base, mode: "closed", concurrency: 64 })),
  ];
}

/** The dashboard while learners keep reporting at the steady rate. */
async function dashboard(settings: RoomBenchSettings, room: RunningRoom, file: string) {
  const steady = load({
    mode: "open",
    origin: room.origin,
    learners: settings.learners,
    file,
    rate: settings.learners / 10,
    seconds: 20,
  });
  const feed = await measureFeed(room.origin, room.key, 5);
  const paint = await measurePaint(`${room.origin}/?key=${room.key}`, settings.learners, 3);
  await steady;
  return { feed, paint };
}

/** Places the room's event-loop stalls in the phases they happened in. */
function placeStalls(phases: RoomPhase[], stalls: Stall[]): void {
  for (const phase of phases) {
    const inside = stalls.filter((stall) => stall.at >= phase.window[0] && stall.at < phase.window[1]);
    const total = inside.reduce((sum, stall) => sum + stall.ms, 0);
    const waited = inside.reduce((sum, stall) => sum + stall.ms * (stall.waitingShare ?? 0), 0);
    phase.stalls = {
      count: inside.length,
      longestMs: Math.max(0, ...inside.map((stall) => stall.ms)),
      waitingShare: total > 0 ? round((waited / total) * 100, 0) : null,
    };
  }
}

async function siegeOf(room: RunningRoom, file: string): Promise<SiegeFigures> {
  const [member] = JSON.parse(readFileSync(file, "utf8")) as { id: string; secret: string; from: string }[];
  const learner = async () => {
    const answer = await send(`${room.origin}/learners/${member!.id}/status`, {
      method: "POST",
      body: statusBody(1),
      headers: { Authorization: `Bearer ${member!.secret}` },
      from: member!.from,
    });
    if (answer.status !== 204) throw new Error(`the room answered a learner's status ${answer.status}: ${answer.body}`);
    return answer.ms;
  };
  const dashboardSnapshot = async () => (await measureFeed(room.origin, room.key, 0)).snapshotMs;
  return siege(room.origin, 3_000, learner, dashboardSnapshot);
}

export async function benchmarkRoom(settings: RoomBenchSettings): Promise<RoomReport> {
  const { root, learners, log } = settings;
  pins = settings.pinned ? pinning() : { unavailable: "not asked to: --pin-room" };
  const dir = workbook(root);
  const file = path.join(dir, "learners.json");
  if ("loadCpu" in pins) execFileSync("taskset", ["-a", "-p", "-c", String(pins.loadCpu), String(process.pid)]);
  const maxLearners = Math.min(learners + 500, 10_000);
  const stallsDir = path.join(dir, "stalls");
  let room = await startRoom(root, dir, maxLearners, stallsDir);
  pinRoom(room);
  try {
    log(`room: ${learners} learners joining from ${Math.ceil(learners / 20)} addresses…`);
    const joined = await load({ mode: "join", origin: room.origin, joinCode: room.joinCode, learners, file });
    const measured = await phases(settings, room, file);
    log("room: the dashboard's feed and its first paint in Chromium…");
    const { feed, paint } = await dashboard(settings, room, file);
    const memory = memoryMb(room.child.pid!);
    log("room: restart, then a siege of 3,000 silent connections…");
    const stopMs = await stopRoom(room);
    placeStalls(measured, readStalls(stallsDir, room.child.pid!));
    const stateFileMb = round(statSync(path.join(dir, ".workbook/room-state.json")).size / 2 ** 20, 1);
    room = await startRoom(root, dir, maxLearners);
    pinRoom(room);
    const emptyDir = workbook(root);
    const empty = await startRoom(root, emptyDir, maxLearners);
    await stopRoom(empty);
    rmSync(emptyDir, { recursive: true, force: true });
    const sieged = await siegeOf(room, file);
    return {
      learners: joined.accepted,
      placement: "loadCpu" in pins ? `main thread alone on core ${pins.serverCpu}` : `unpinned (${pins.unavailable})`,
      joinSeconds: joined.seconds,
      phases: measured,
      feed,
      paint,
      memory,
      stateFileMb,
      restart: { stopMs: round(stopMs, 0), startMs: round(room.startMs, 0), emptyStartMs: round(empty.startMs, 0) },
      siege: sieged,
    };
  } finally {
    if (room.child.exitCode === null) await stopRoom(room);
    closeAgents();
    rmSync(dir, { recursive: true, force: true });
  }
}
