import { formatTable, judge, type TargetResult } from "./report.ts";
import type { RoomReport } from "./room.ts";
import { median, round } from "./stats.ts";

// The room section of npm run bench: its tables, and its targets judged.

const phaseColumns = [
  "phase",
  "statuses/s offered",
  "accepted/s",
  "status p99 ms",
  "not accepted",
  "GET p50 ms",
  "GET p99 ms",
  "GET max ms",
  "room busy %",
  "room CPU ms per 1,000 statuses",
  "room waited for a core ms",
  "room stalls > 20 ms",
  "longest ms",
  "of it waiting for a core %",
  "room MB after (peak so far)",
];

function phaseTable(report: RoomReport, seconds: number): string {
  return formatTable(
    phaseColumns,
    report.phases.map((p) => [
      p.phase,
      p.offeredPerSecond ?? "–",
      p.statuses?.acceptedPerSecond ?? "–",
      p.statuses?.p99Ms ?? "–",
      p.statuses ? Object.values(p.statuses.unexpected).reduce((a, b) => a + b, 0) : "–",
      p.get.p50Ms,
      p.get.p99Ms,
      p.get.maxMs,
      p.roomRunMs === null ? "–" : round((p.roomRunMs / (seconds * 1000)) * 100, 0),
      p.roomRunMs === null || !p.statuses ? "–" : round((p.roomRunMs / p.statuses.accepted) * 1000, 0),
      p.roomWaitMs ?? "–",
      p.stalls?.count ?? "–",
      p.stalls?.count ? p.stalls.longestMs : "–",
      p.stalls?.waitingShare ?? "–",
      p.memory ? `${p.memory.rss} (${p.memory.peak})` : "–",
    ]),
  );
}

function dashboardLine({ feed, paint, learners }: RoomReport): string {
  const painted =
    typeof paint === "string"
      ? `skipped: ${paint}`
      : `the screen complete in ${paint.screenMs.join(", ")} ms, ` +
        `every row in the page in ${paint.allRowsMs.join(", ")} ms`;
  return (
    `Dashboard: snapshot ${feed.snapshotKb} KB (first byte ${feed.firstByteMs} ms, whole ${feed.snapshotMs} ms); ` +
    `then changes only: ${feed.messagesPerSecond} messages and ${feed.changesKbPerSecond} KB a second ` +
    `while ${learners / 10} statuses/s arrive; first complete paint in Chromium: ${painted}`
  );
}

export function roomLines(report: RoomReport, seconds: number): string[] {
  const { memory, restart, siege } = report;
  const learners = report.learners.toLocaleString("en");
  const memoryText = memory ? `${memory.peak} MB at its peak, ${memory.rss} MB after the load` : "not measured";
  return [
    `Room with ${learners} learners (joined in ${report.joinSeconds} s from ${Math.ceil(report.learners / 20)} ` +
      `addresses); ${seconds} s per phase; a plain GET 50 times a second throughout`,
    phaseTable(report, seconds),
    dashboardLine(report),
    `Placement: ${report.placement}`,
    `Memory: ${memoryText} (Linux only); state file ${report.stateFileMb} MB`,
    `Restart: stopped (file written) in ${restart.stopMs} ms; started with ${learners} learners in ` +
      `${restart.startMs} ms, an empty room in ${restart.emptyStartMs} ms ` +
      `(×${round(restart.startMs / restart.emptyStartMs, 2)})`,
    `Siege of ${siege.connections.toLocaleString("en")} silent connections from one address ` +
      `(${siege.refusedAtOnceShare} % closed at once): a learner's status answered in ${siege.learnerMs} ms, ` +
      `a dashboard's snapshot in ${siege.dashboardMs} ms; ` +
      `all closed after ${siege.allClosedSeconds ?? "more than 35"} s`,
  ];
}

export function roomTargets(report: RoomReport): TargetResult[] {
  const row = (name: string) => report.phases.find((p) => p.phase.startsWith(name));
  const paint = typeof report.paint === "string" ? null : median(report.paint.screenMs);
  return [
    judge(
      "room: statuses accepted per second, saturated",
      row("saturated")?.statuses?.acceptedPerSecond ?? null,
      "at least",
      2000,
      "/s",
    ),
    judge("room: GET p99 while statuses arrive, steady", row("steady")?.get.p99Ms ?? null, "below", 50, "ms"),
    judge("room: GET p99 while statuses arrive, bursts", row("bursts")?.get.p99Ms ?? null, "below", 50, "ms"),
    judge(
      "room: a new dashboard's first complete paint (median of 3)",
      paint,
      "below",
      1000,
      "ms",
      typeof report.paint === "string" ? report.paint : undefined,
    ),
    judge(
      "room: changes per second, as a share of a snapshot",
      round((report.feed.changesKbPerSecond / report.feed.snapshotKb) * 100, 1),
      "below",
      100,
      "%",
    ),
    // The scenario's load is steady reports plus bursts; the saturated phase after it, three times
    // the capacity asked for, allocates faster than the collector returns memory: its peak is shown.
    judge(
      "room: memory at its peak, through the bursts",
      row("bursts")?.memory?.peak ?? null,
      "below",
      300,
      "MB",
      report.memory ? undefined : "Linux only",
    ),
    judge(`room: restart with ${report.learners} learners`, report.restart.startMs, "below", 1000, "ms"),
    judge("room under siege: a learner answered", report.siege.learnerMs, "below", 2000, "ms"),
    judge("room under siege: a dashboard answered", report.siege.dashboardMs, "below", 2000, "ms"),
    judge("room under siege: all silent connections closed", report.siege.allClosedSeconds, "at most", 35, "s"),
  ];
}
