import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Answer, closeAgents, learnerAddress, send } from "./room-http.ts";
import { round } from "./stats.ts";

// The learners of the room bench, in a process of their own so that the bench's latency probe is
// never delayed by them: `join` joins N learners and writes their ids and secrets to a file;
// `open` sends statuses at a constant rate whatever happened to the ones before (open loop, each
// learner in turn); `closed` keeps `concurrency` statuses in flight, as fast as the room answers.
// Prints one line of JSON: what was sent and how it went.

export interface LoadSettings {
  mode: "join" | "open" | "closed";
  origin: string;
  joinCode?: string;
  learners: number;
  /** Where the joined learners are written (join) and read from (open, closed). */
  file: string;
  rate?: number;
  concurrency?: number;
  seconds?: number;
}

export interface LoadResult {
  sent: number;
  accepted: number;
  /** Answers other than the expected one, or no answer, by status ("error" for none). */
  unexpected: Record<string, number>;
  seconds: number;
  acceptedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

interface Member {
  id: string;
  secret: string;
  from: string;
}

const lessons = Array.from({ length: 10 }, (_, i) => `lesson-${i + 1}`);

/** The n-th status the bench sends of `learners`: each round of the room moves everyone on a lesson. */
export function statusBody(n: number, learners = 1): string {
  const total = 8 + (n % 5);
  return JSON.stringify({
    event: "check",
    lesson: lessons[Math.floor(n / learners) % lessons.length],
    status: "started",
    solvedByCopy: false,
    passing: n % total,
    total,
    tests: "checked",
    hintsUsed: n % 3,
    failingTest: `suite › case ${n % 7} of a test name about as long as a real one`,
    minutes: n % 40,
    startedAt: "2026-11-30T09:00:00.000Z",
    passedAt: null,
    lastChecked: "2026-11-30T10:00:00.000Z",
    at: "2026-11-30T10:00:00.000Z",
  });
}

/** Counts answers, and times them. */
function tally() {
  const ms: number[] = [];
  const unexpected: Record<string, number> = {};
  let accepted = 0;
  const started = performance.now();
  return {
    count(answer: Answer | undefined, expected: number) {
      if (answer?.status === expected) {
        accepted++;
        ms.push(answer.ms);
      } else {
        const key = answer ? String(answer.status) : "error";
        unexpected[key] = (unexpected[key] ?? 0) + 1;
      }
    },
    result(): LoadResult {
      const seconds = (performance.now() - started) / 1000;
      ms.sort((a, b) => a - b);
      const at = (q: number) => round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0, 2);
      const failed = Object.values(unexpected).reduce((a, b) => a + b, 0);
      return {
        sent: accepted + failed,
        accepted,
        unexpected,
        seconds: round(seconds, 2),
        acceptedPerSecond: round(accepted / seconds, 0),
        p50Ms: at(0.5),
        p99Ms: at(0.99),
      };
    },
  };
}

const attempt = (promise: Promise<Answer>) => promise.catch(() => undefined);

async function join(settings: LoadSettings): Promise<LoadResult> {
  const counts = tally();
  const members: Member[] = [];
  const one = async (i: number) => {
    const from = learnerAddress(i);
    const answer = await attempt(
      send(`${settings.origin}/join/${settings.joinCode}`, {
        method: "POST",
        body: JSON.stringify({ name: `Learner ${String(i + 1).padStart(5, "0")}` }),
        from,
      }),
    );
    counts.count(answer, 201);
    if (answer?.status === 201) members[i] = { ...(JSON.parse(answer.body) as Member), from };
  };
  for (let i = 0; i < settings.learners; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, settings.learners - i) }, (_, k) => one(i + k)));
  writeFileSync(settings.file, JSON.stringify(members.filter(Boolean)));
  return counts.result();
}

function postStatus(settings: LoadSettings, member: Member, n: number): Promise<Answer | undefined> {
  return attempt(
    send(`${settings.origin}/learners/${member.id}/status`, {
      method: "POST",
      body: statusBody(n, settings.learners),
      headers: { Authorization: `Bearer ${member.secret}` },
      from: member.from,
    }),
  );
}

async function openLoop(settings: LoadSettings, members: Member[]): Promise<LoadResult> {
  const counts = tally();
  const total = Math.round(settings.rate! * settings.seconds!);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / settings.rate!;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(postStatus(settings, members[n % members.length]!, n).then((answer) => counts.count(answer, 204)));
  }
  await Promise.all(inFlight);
  return counts.result();
}

async function closedLoop(settings: LoadSettings, members: Member[]): Promise<LoadResult> {
  const counts = tally();
  const until = performance.now() + settings.seconds! * 1000;
  let n = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const i = n++;
      counts.count(await postStatus(settings, members[i % members.length]!, i), 204);
    }
  };
  await Promise.all(Array.from({ length: settings.concurrency! }, worker));
  return counts.result();
}

async function run(settings: LoadSettings): Promise<LoadResult> {
  if (settings.mode === "join") return join(settings);
  const joined = JSON.parse(readFileSync(settings.file, "utf8")) as Member[];
  // Learners in a stride across addresses, so that requests in flight together come from many.
  const members = joined.map((_, i) => joined[(i * 7919) % joined.length]!);
  return settings.mode === "open" ? openLoop(settings, members) : closedLoop(settings, members);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await run(JSON.parse(process.argv[2] ?? "{}") as LoadSettings);
  closeAgents();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
