// @ts-check
// The entry of a warm test worker (warm-pool.mjs): a worker thread that imports vitest's runtime
// and the dependencies earlier runs imported *before* it is given a test file, then runs that
// one file as vitest's own thread worker does, and is thrown away. Each file so runs in a fresh
// thread (fresh globals, fresh environment, no timer or socket left from before) without paying
// for the start-up of one.

/** @import { WarmWorkerData, WarmWorkerNote } from "./host-protocol.ts" */

import { parentPort, workerData } from "node:worker_threads";
import { init, runBaseTests, setupEnvironment } from "vitest/worker";

if (!parentPort) throw new Error("warm-worker.mjs runs in a worker thread");
const port = parentPort;
const { preload } = /** @type {WarmWorkerData} */ (workerData);

// One at a time, in the order they were first imported: as a run would import them, so that
// one dependency's side effects happen before the next, as they would have.
for (const id of preload) {
  try {
    await import(id);
  } catch {
    // A dependency that fails to load fails the run that imports it, with the run's own error.
  }
}
/** @param {WarmWorkerNote} note */
const note = (note) => port.postMessage(note);
note({ __workbook__: "warm" });

init({
  post: (response) => port.postMessage(response),
  on: (callback) => port.on("message", callback),
  off: (callback) => port.off("message", callback),
  teardown: () => port.removeAllListeners("message"),
  runTests: async (state, traces) => {
    try {
      await runBaseTests("run", state, traces);
    } finally {
      note({ __workbook__: "imports", ids: externalIds(state.evaluatedModules) });
    }
  },
  collectTests: (state, traces) => runBaseTests("collect", state, traces),
  setup: setupEnvironment,
});

/**
 * The dependencies the run imported from outside the project's own files (node_modules, Node's
 * built-ins), which the next worker may import ahead of its run.
 * @param {{ idToModuleMap: Map<string, { meta?: unknown }> }} modules vitest's modules of the run
 */
function externalIds(modules) {
  /** @type {string[]} */
  const ids = [];
  for (const module of modules.idToModuleMap.values()) {
    const meta = /** @type {{ externalize?: unknown } | undefined} */ (module.meta);
    if (typeof meta?.externalize === "string") ids.push(meta.externalize);
  }
  return ids;
}
