import { existsSync } from "node:fs";
import { request } from "node:http";
import { type Socket, connect } from "node:net";
import { chromium } from "playwright-core";
import { send } from "./room-http.ts";
import { round } from "./stats.ts";

// What the room bench measures from the outside: a plain GET's latency while learners report, the
// dashboard's feed (its snapshot, then its changes) and its first paint in Chromium, and how the
// room fares under a siege of silent connections.

export interface Latency {
  requests: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** GETs a small static file at a constant rate from 127.0.0.1; latency counts from when each was due. */
export function probeLatency(origin: string, perSecond = 50): { stop(): Promise<Latency> } {
  const ms: number[] = [];
  let failed = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  let n = 0;
  const tick = () => {
    const due = started + (n++ * 1000) / perSecond;
    pending.push(
      send(`${origin}/dashboard.css`).then(
        (answer) => {
          if (answer.status === 200) ms.push(performance.now() - due);
          else failed++;
        },
        () => {
          failed++;
        },
      ),
    );
    timer = setTimeout(tick, Math.max(0, started + (n * 1000) / perSecond - performance.now()));
  };
  let timer = setTimeout(tick, 0);
  return {
    async stop() {
      clearTimeout(timer);
      await Promise.all(pending);
      return latencyOf(ms, failed);
    },
  };
}

function latencyOf(ms: number[], failed = 0): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0, 1);
  return { requests: sorted.length, failed, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(sorted.at(-1) ?? 0, 1) };
}

export interface FeedFigures {
  snapshotKb: number;
  firstByteMs: number;
  snapshotMs: number;
  /** Over `seconds` after the snapshot: messages of changes, and their bytes. */
  messagesPerSecond: number;
  changesKbPerSecond: number;
}

/** Opens the dashboard's feed as a browser does, and reads it for `seconds` after its snapshot. */
export function measureFeed(origin: string, key: string, seconds: number): Promise<FeedFigures> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const feed = request(`${origin}/events?key=${key}`, (response) => {
      let firstByteMs = 0;
      let text = "";
      let snapshot: { bytes: number; ms: number } | undefined;
      let changes = { messages: 0, bytes: 0 };
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        firstByteMs ||= performance.now() - started;
        text += chunk;
        const messages = text.split("\n\n");
        text = messages.pop()!;
        for (const message of messages) {
          if (message.startsWith("event: snapshot")) {
            snapshot = { bytes: Buffer.byteLength(message), ms: performance.now() - started };
            setTimeout(() => feed.destroy(), seconds * 1000);
          } else if (snapshot && message.startsWith("event:")) {
            changes = { messages: changes.messages + 1, bytes: changes.bytes + Buffer.byteLength(message) };
          }
        }
      });
      response.on("close", () => {
        if (!snapshot) return reject(new Error("the feed closed before its snapshot"));
        resolve({
          snapshotKb: round(snapshot.bytes / 1024, 0),
          firstByteMs: round(firstByteMs, 1),
          snapshotMs: round(snapshot.ms, 1),
          messagesPerSecond: round(changes.messages / seconds, 1),
          changesKbPerSecond: round(changes.bytes / 1024 / seconds, 1),
        });
      });
    });
    feed.on("error", (error) => (error.message === "socket hang up" ? undefined : reject(error)));
    feed.end();
  });
}

const chromiumPath = process.env.WORKBOOK_CHROMIUM ?? "/usr/bin/chromium";

export interface PaintFigures {
  /** From opening the dashboard's link to the screen complete: every row on it drawn and painted (ms). */
  screenMs: number[];
  /** To every learner's row in the page, those off the screen drawn in the tasks after the first paint (ms). */
  allRowsMs: number[];
}

/**
 * Whether the page shows a room of `learners` and every block of rows on the screen is drawn (a
 * dashboard from before the grid was drawn in blocks: every row).
 */
function screenComplete(learners: number): boolean {
  const summary = document.getElementById("summary")?.textContent ?? "";
  if (!summary.startsWith(`${learners} learners`)) return false;
  const blocks = [...document.querySelectorAll(".block")];
  if (blocks.length === 0) return document.querySelectorAll("table.learners tbody tr").length === learners;
  const onScreen = blocks.filter((block) => block.getBoundingClientRect().top < innerHeight);
  return onScreen.length > 0 && onScreen.every((block) => block.querySelector("tbody tr") !== null);
}

/** A new dashboard in Chromium, `runs` times, each in a new browser context. */
export async function measurePaint(
  dashboardUrl: string,
  learners: number,
  runs: number,
): Promise<PaintFigures | string> {
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath}`;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  const figures: PaintFigures = { screenMs: [], allRowsMs: [] };
  const painted = () =>
    new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(undefined))));
  try {
    for (let run = 0; run < runs; run++) {
      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(dashboardUrl);
      await page.waitForFunction(screenComplete, learners, { polling: "raf", timeout: 60_000 });
      // Painted: two animation frames after.
      await page.evaluate(painted);
      figures.screenMs.push(round(performance.now() - started, 0));
      await page.waitForFunction(
        (count) => document.querySelectorAll("table.learners tbody tr").length === count,
        learners,
        { polling: "raf", timeout: 60_000 },
      );
      figures.allRowsMs.push(round(performance.now() - started, 0));
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return figures;
}

export interface SiegeFigures {
  connections: number;
  refusedAtOnceShare: number;
  learnerMs: number;
  dashboardMs: number;
  allClosedSeconds: number | null;
}

/** Opens `count` silent connections from 127.0.0.2, then times a learner's status and a dashboard's snapshot. */
export async function siege(
  origin: string,
  count: number,
  answerLearner: () => Promise<number>,
  answerDashboard: () => Promise<number>,
): Promise<SiegeFigures> {
  const { port } = new URL(origin);
  const sockets: Socket[] = [];
  let closed = 0;
  const started = performance.now();
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, () => {
      const socket = connect({ host: "127.0.0.1", port: Number(port), localAddress: "127.0.0.2" });
      sockets.push(socket);
      socket.on("error", () => {});
      socket.on("close", () => closed++);
      return new Promise((resolve) => socket.once("connect", resolve).once("close", resolve));
    });
    await Promise.all(batch);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const refusedAtOnce = closed;
  const learnerMs = await answerLearner();
  const dashboardMs = await answerDashboard();
  while (closed < count && performance.now() - started < 35_000)
    await new Promise((resolve) => setTimeout(resolve, 100));
  for (const socket of sockets) socket.destroy();
  return {
    connections: count,
    refusedAtOnceShare: round((refusedAtOnce / count) * 100, 1),
    learnerMs: round(learnerMs, 1),
    dashboardMs: round(dashboardMs, 1),
    allClosedSeconds: closed >= count ? round((performance.now() - started) / 1000, 1) : null,
  };
}
