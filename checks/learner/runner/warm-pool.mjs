// @ts-check
// vitest's thread pool for a learner's checks, with its workers started ahead of need. vitest's
// own pool starts a fresh worker thread for each test file when a run begins, and in it imports
// its runtime and every dependency of the tests (Next.js, Prisma, zod, jose): most of a re-run's
// time. This pool does the same, one fresh thread per test file, thrown away after it, but the
// threads for the next run are started as soon as a run's result is out (the learner is reading
// it, not saving) and import all of that beforehand, so that a save finds them ready. Nothing a
// run did is ever seen by another: each file still runs in a thread of its own, in which the
// lesson's files, the tests and the reference modules are evaluated afresh.

/** @import { PoolOptions, PoolRunnerInitializer, PoolWorker, WorkerRequest } from "vitest/node" */
/** @import { WarmWorkerData, WarmWorkerNote } from "./host-protocol.ts" */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isatty } from "node:tty";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { Worker } from "node:worker_threads";

const entry = new URL("./warm-worker.mjs", import.meta.url);

/**
 * The environment and Node options vitest 4.1's pool gives a test worker, as it computes them
 * when a run starts, for a project in vitest's run (not watch) mode with no `env`, `execArgv`
 * or .env files of its own: the process's environment once Vite has added its own (a mode other
 * than production) and vitest its own. A thread's are fixed when it starts, so a thread started
 * on a wrong guess is not used: the guess can cost the head start, never a wrong run.
 * @param {string} root
 * @param {string} mode
 * @returns {Pick<PoolOptions, "env" | "execArgv">}
 */
export function expectedWorkerOptions(root, mode) {
  const vitestRoot = path.dirname(createRequire(path.join(root, "package.json")).resolve("vitest/package.json"));
  const vite = { NODE_ENV: "development", MODE: mode, DEV: "1", PROD: "", BASE_URL: "/" };
  const byVite = Object.fromEntries(Object.entries(vite).map(([name, value]) => [name, process.env[name] ?? value]));
  /** @type {Record<string, string | undefined>} */
  const env = {
    ...process.env,
    ...byVite,
    TEST: "true",
    VITEST: "true",
    NODE_ENV: byVite.NODE_ENV || "test",
    VITEST_MODE: "RUN",
    FORCE_TTY: isatty(1) ? "true" : "",
  };
  const profiling = process.execArgv.filter((arg) => /^--(cpu-prof|heap-prof|diagnostic-dir)/.test(arg));
  const execArgv = [
    ...profiling,
    "--experimental-import-meta-resolve",
    "--require",
    path.join(vitestRoot, "suppress-warnings.cjs"),
    // Vite's server conditions in development, which vitest passes on.
    ...["--conditions", "node", "--conditions", "development"],
  ];
  // Next.js's types narrow NODE_ENV, which a process's environment does not.
  return { env: /** @type {PoolOptions["env"]} */ (env), execArgv };
}

/**
 * @typedef {object} WarmPoolOptions
 * @property {number} heapLimitMb the heap a test worker may use
 * @property {() => void} onOutOfMemory told when a test worker runs out of it
 * @property {string} [importsFile] where the dependencies runs imported are kept between sessions
 * @property {string} root the project: only its own dependencies and Node's are ever imported ahead
 * @property {Pick<PoolOptions, "env" | "execArgv">} [early] start a thread now, for the first run
 */

/**
 * @param {WarmPoolOptions} options
 * @returns {PoolRunnerInitializer & Pick<Spares, "warm" | "takeCounts" | "expect">}
 */
export function warmPool(options) {
  const spares = new Spares(options);
  return {
    name: "workbook-warm",
    createPoolWorker: (poolOptions) => new WarmPoolWorker(poolOptions, spares),
    warm: () => spares.warm(),
    expect: (/** @type {number} */ threads) => spares.expect(threads),
    takeCounts: () => spares.takeCounts(),
  };
}

/** @typedef {{ worker: Worker, options: Pick<PoolOptions, "env" | "execArgv">, warm: boolean }} Spare */

/**
 * The threads started ahead, and what they import. They are started one at a time, each once
 * the one before has imported everything: a save then finds the first one ready rather than
 * all of them half-way, and a run is never slowed by more than one thread importing beside it.
 */
class Spares {
  /** Dependencies earlier runs (and sessions) imported, in the order they were first seen. */
  #imported;
  #knownImports;
  /** @type {Spare[]} */
  #spares = [];
  /** How many threads the next run will want: as many as the last run used. */
  #wanted = 0;
  /** @type {Pick<PoolOptions, "env" | "execArgv"> | undefined} */
  #last;
  #usedThisRun = 0;
  /** This run's test files: how many found their thread started ahead, how many had to start one. */
  #counts = { ready: 0, started: 0 };
  #options;

  /** @param {WarmPoolOptions} options */
  constructor(options) {
    this.#options = options;
    this.#imported = new Set(readImports(options.importsFile, options.root));
    this.#knownImports = this.#imported.size;
    if (options.early) {
      this.#last = options.early;
      this.#wanted = 1;
      this.#topUp();
    }
  }

  /**
   * A started thread for a test file (one still importing is further along than a new one).
   * @param {Pick<PoolOptions, "env" | "execArgv">} options
   */
  take(options) {
    this.#usedThisRun += 1;
    this.#last = options;
    // A thread's environment and Node options are fixed when it starts: one started with others
    // can never serve this project's files, and is stopped.
    const alike = (/** @type {Pick<PoolOptions, "env" | "execArgv">} */ spare) =>
      isDeepStrictEqual(spare.env, options.env) && isDeepStrictEqual(spare.execArgv, options.execArgv);
    for (const spare of this.#spares.filter((one) => !alike(one.options))) {
      this.#spares.splice(this.#spares.indexOf(spare), 1);
      void spare.worker.terminate();
    }
    const spare = this.#spares.shift();
    this.#wanted = Math.max(0, this.#wanted - 1);
    this.#counts[spare ? "ready" : "started"] += 1;
    return spare?.worker ?? this.#spawn(options);
  }

  /** @param {string[]} ids dependencies a test file imported */
  imported(ids) {
    for (const id of ids) this.#imported.add(id);
  }

  /** How many of this run's test files found their thread ready; counted afresh from here. */
  takeCounts() {
    const taken = { ...this.#counts };
    this.#counts = { ready: 0, started: 0 };
    return taken;
  }

  /**
   * The first run, asked for while vitest still starts, will want this many threads: they start
   * at once, not one after the other as between runs, for the run waits for the last of them.
   * @param {number} threads
   */
  expect(threads) {
    this.#wanted = Math.max(this.#wanted, threads);
    while (this.#spares.length < this.#wanted && this.#topUp(true));
  }

  /** Starts, one after the other, as many threads as the last run used: called once a run's result is out. */
  warm() {
    this.#wanted = Math.max(1, this.#usedThisRun);
    this.#usedThisRun = 0;
    if (this.#imported.size > this.#knownImports)
      this.#knownImports = writeImports(this.#options.importsFile, this.#imported);
    this.#topUp();
  }

  /**
   * Starts the next thread wanted, unless one is still importing (and it is not wanted `now`);
   * whether it started one.
   */
  #topUp(now = false) {
    const last = this.#last;
    if (!last || this.#spares.length >= this.#wanted || (!now && this.#spares.some((spare) => !spare.warm)))
      return false;
    const spare = { worker: this.#spawn(last), options: last, warm: false };
    this.#spares.push(spare);
    const onNote = (/** @type {WarmWorkerNote | undefined} */ note) => {
      if (note?.__workbook__ !== "warm") return;
      spare.worker.off("message", onNote);
      spare.warm = true;
      this.#topUp();
    };
    spare.worker.on("message", onNote);
    // A spare that ends before it is given a file (killed, or a dependency it imported crashed
    // Node) is no spare: the run would wait for it forever.
    spare.worker.once("exit", () => this.#drop(spare));
    return true;
  }

  /**
   * A spare that ended on its own: the next one is started in its place.
   * @param {Spare} spare
   */
  #drop(spare) {
    const index = this.#spares.indexOf(spare);
    if (index === -1) return;
    this.#spares.splice(index, 1);
    this.#topUp();
  }

  /** @param {Pick<PoolOptions, "env" | "execArgv">} options */
  #spawn({ env, execArgv }) {
    /** @type {WarmWorkerData} */
    const workerData = { preload: [...this.#imported] };
    const resourceLimits = { maxOldGenerationSizeMb: this.#options.heapLimitMb };
    const worker = new Worker(entry, { env, execArgv, workerData, resourceLimits });
    worker.on("error", (/** @type {NodeJS.ErrnoException} */ error) => {
      if (error?.code === "ERR_WORKER_OUT_OF_MEMORY") this.#options.onOutOfMemory();
    });
    return worker;
  }
}

/**
 * The dependencies an earlier session's runs imported: Node's built-ins and files of the project
 * (its node_modules), nothing else, whatever the file says.
 * @param {string | undefined} file
 * @param {string} root
 * @returns {string[]}
 */
function readImports(file, root) {
  if (!file) return [];
  const inProject = (/** @type {string} */ id) =>
    id.startsWith("node:") ||
    path.resolve(id.startsWith("file:") ? fileURLToPath(id) : id).startsWith(`${path.resolve(root)}${path.sep}`);
  try {
    const ids = JSON.parse(readFileSync(file, "utf8"));
    return Array.isArray(ids) ? ids.filter((id) => typeof id === "string" && inProject(id)) : [];
  } catch {
    return [];
  }
}

/**
 * Written aside and renamed into place: a host starting meanwhile reads all of it or none.
 * @param {string | undefined} file
 * @param {Set<string>} ids
 */
function writeImports(file, ids) {
  if (!file) return ids.size;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(`${file}.${process.pid}`, JSON.stringify([...ids]));
    renameSync(`${file}.${process.pid}`, file);
  } catch {
    // Only the next session's head start is lost.
  }
  return ids.size;
}

/**
 * One test file's thread, as vitest's pool drives it (start, messages, stop).
 * @implements {PoolWorker}
 */
class WarmPoolWorker {
  name = "workbook-warm";
  /** @type {Worker | undefined} */
  #thread;
  #options;
  #pool;
  /** @type {Map<(arg: any) => void, (arg: any) => void>} */
  #listeners = new Map();

  /**
   * @param {PoolOptions} options
   * @param {Pick<Spares, "take" | "imported">} pool
   */
  constructor(options, pool) {
    this.#options = options;
    this.#pool = pool;
  }

  async start() {
    this.#thread ??= this.#pool.take(this.#options);
  }

  async stop() {
    const thread = this.#thread;
    this.#thread = undefined;
    await thread?.terminate();
  }

  /** @param {WorkerRequest} message */
  send(message) {
    this.#worker.postMessage(message);
  }

  /**
   * vitest's messages go to vitest; the thread's own notes (what it imported) stay here.
   * @param {string} event
   * @param {(arg: any) => void} callback
   */
  on(event, callback) {
    if (event !== "message") {
      this.#worker.on(event, callback);
      return;
    }
    const filtered = (/** @type {any} */ message) => {
      const note = /** @type {WarmWorkerNote | undefined} */ (message?.__workbook__ ? message : undefined);
      if (!note) callback(message);
      else if (note.__workbook__ === "imports") this.#pool.imported(note.ids);
    };
    this.#listeners.set(callback, filtered);
    this.#worker.on("message", filtered);
  }

  /**
   * @param {string} event
   * @param {(arg: any) => void} callback
   */
  off(event, callback) {
    const filtered = event === "message" ? this.#listeners.get(callback) : undefined;
    this.#listeners.delete(callback);
    this.#thread?.off(event, filtered ?? callback);
  }

  /** @param {unknown} data */
  deserialize(data) {
    return data;
  }

  get #worker() {
    if (!this.#thread) throw new Error("the test worker was not started");
    return this.#thread;
  }
}
