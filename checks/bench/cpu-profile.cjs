// Preloaded into the API server by `npm run bench -- --profile` (NODE_OPTIONS=--require …):
// Node refuses --cpu-prof in NODE_OPTIONS, so the profiler is started here instead, and the
// profile is written to BENCH_CPU_PROFILE_DIR when the server exits. Open it in Chrome DevTools
// (Performance → Load profile) or VS Code.
const { Session } = require("node:inspector");
const { mkdirSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const dir = process.env.BENCH_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 100 });
  session.post("Profiler.start");
  process.on("exit", () => {
    // An in-process inspector session answers synchronously, so this completes before exit.
    session.post("Profiler.stop", (error, result) => {
      if (error) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `server-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
