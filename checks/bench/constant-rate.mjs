// An open-loop load generator at a constant rate, in the manner of wrk2: request i is due at
// start + i / rate whatever happened to the requests before it, and its latency is counted from
// when it was due, not from when a free connection let it go. A closed-loop generator (each
// connection waits for its answer before sending again), or one that sends each second's quota
// in a burst as autocannon's rate mode does, hides a slow server's queue ("coordinated
// omission") or builds one that the server never had.
//
// Plain JavaScript run by node, so that it starts in milliseconds and can be pinned to a core of
// its own (see pinned-load.ts). Usage: node constant-rate.mjs '<json>', with the JSON holding
//   origin, paths (rotated through), method, headers, rate (per second), durationSeconds,
//   warmupSeconds (sent at the same rate and not counted), connections (the most in flight).
// Prints one JSON object: latency percentiles (ms), how late the generator itself sent
// (its own health: a late generator measures itself), status counts and errors.
// With "rate": "saturate" it runs closed-loop instead (each connection sends again as soon as
// it is answered) and prints the throughput: how fast the server goes, to offer a share of it.
import http from "node:http";

const options = JSON.parse(process.argv[2] ?? "{}");
const { origin, paths, method = "GET", headers = {}, rate, durationSeconds, warmupSeconds = 0, connections } = options;
const saturate = rate === "saturate";
if (
  !origin ||
  !Array.isArray(paths) ||
  paths.length === 0 ||
  !(saturate || rate > 0) ||
  !(durationSeconds > 0) ||
  !(connections > 0)
) {
  console.error('usage: node constant-rate.mjs \'{"origin","paths","rate","durationSeconds","connections"}\'');
  process.exit(2);
}

const url = new URL(origin);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });

/** One request; calls back with the status, or 0 when it failed. */
function request(path, done) {
  const outgoing = http.request({ agent, host: url.hostname, port: url.port, method, path, headers }, (response) => {
    response.on("data", () => {});
    response.on("end", () => done(response.statusCode));
  });
  outgoing.setTimeout(10_000, () => outgoing.destroy(new Error("timed out after 10 s")));
  outgoing.on("error", () => done(0));
  outgoing.end();
}

if (saturate) closedLoop();
else openLoop();

/** Each connection sends again as soon as it is answered; prints how many answers a second came back. */
function closedLoop() {
  const statuses = {};
  let errors = 0;
  let answered = 0;
  let next = 0;
  const begin = performance.now();
  const from = begin + warmupSeconds * 1000;
  const until = from + durationSeconds * 1000;
  let running = connections;
  const loop = () => {
    if (performance.now() >= until) {
      running -= 1;
      if (running === 0) {
        console.log(JSON.stringify({ requestsPerSecond: answered / durationSeconds, answered, errors, statuses }));
        agent.destroy();
      }
      return;
    }
    request(paths[next++ % paths.length], (status) => {
      if (performance.now() >= from) {
        if (status === 0) errors += 1;
        else {
          answered += 1;
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }
      loop();
    });
  };
  for (let i = 0; i < connections; i += 1) loop();
}

/** Request i is due at start + i / rate; prints the latencies, counted from when each was due. */
function openLoop() {
  const intervalMs = 1000 / rate;
  const warmup = Math.round(warmupSeconds * rate);
  const total = warmup + Math.round(durationSeconds * rate);
  const latencies = new Float64Array(total - warmup);
  const lateness = new Float64Array(total - warmup);
  const statuses = {};
  let errors = 0;
  let sent = 0;
  let done = 0;
  let start = 0;

  function send(i) {
    const due = start + i * intervalMs;
    const counted = i >= warmup;
    if (counted) lateness[i - warmup] = performance.now() - due;
    request(paths[i % paths.length], (status) => {
      if (counted && status === 0) {
        errors += 1;
        latencies[i - warmup] = Number.NaN;
      } else if (counted) {
        latencies[i - warmup] = performance.now() - due;
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      finish();
    });
  }

  function finish() {
    done += 1;
    if (done !== total) return;
    const elapsedSeconds = (performance.now() - start) / 1000;
    console.log(JSON.stringify(openLoopReport({ latencies, lateness, errors, statuses, elapsedSeconds })));
    agent.destroy();
  }

  // Timers fire late by up to a millisecond or so; every request already due is sent on each tick,
  // and the lateness is recorded, so a late tick shows in the figures rather than hiding in them.
  function tick() {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) send(sent++);
    if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
  }

  start = performance.now();
  tick();
}

/** What an open-loop run prints: its counted requests' latency percentiles, how late they were sent. */
function openLoopReport({ latencies, lateness, errors, statuses, elapsedSeconds }) {
  const measured = Array.from(latencies).filter((ms) => !Number.isNaN(ms));
  measured.sort((a, b) => a - b);
  const late = Array.from(lateness).sort((a, b) => a - b);
  return {
    offeredPerSecond: rate,
    requests: latencies.length,
    answered: measured.length,
    errors,
    statuses,
    elapsedSeconds: round(elapsedSeconds),
    latencyMs: {
      p50: round(percentile(measured, 50)),
      p90: round(percentile(measured, 90)),
      p99: round(percentile(measured, 99)),
      p999: round(percentile(measured, 99.9)),
      max: round(measured.at(-1) ?? null),
    },
    generatorLateMs: {
      p50: round(percentile(late, 50)),
      p99: round(percentile(late, 99)),
      max: round(late.at(-1) ?? null),
    },
  };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function round(ms) {
  return ms === null ? null : Math.round(ms * 100) / 100;
}
