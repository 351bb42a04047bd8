import { spawn } from "node:child_process";
import path from "node:path";
import { standInFor } from "./signals";

// `npm run api:dev`: `next dev` on the app, reloading on save, with Next's telemetry off. The
// setting is made here rather than in package.json (`NEXT_TELEMETRY_DISABLED=1 next dev`), which
// Windows' cmd.exe, npm's shell there, cannot run; and whatever stops the script stops `next dev`.

const next = path.join("node_modules", "next", "dist", "bin", "next");
standInFor(
  spawn(process.execPath, [next, "dev", "solutions", ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  }),
);
