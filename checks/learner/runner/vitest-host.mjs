// @ts-check
// Runs vitest for the workbook CLI in a plain Node process, driven over IPC by its supervisor
// (test-host.ts), in the messages host-protocol.ts defines; its one argument is HostSettings as JSON.
//
// Why a separate process in plain JavaScript: the CLI may run under tsx, and importing vitest
// through tsx's loader hooks takes several times longer than in plain Node. Why the config is
// loaded here and flattened into one inline project: vitest would otherwise load vitest.config.ts
// twice (once for the root, once more for the `extends: true` project), and an inline config is
// the one place extra plugins can be added - `npm run verify` adds one that serves the committed
// stubs. The supervisor kills and restarts this process when learner code overruns the time
// limit or the memory limit, so nothing here has to survive learner code.

/** @import { HostMessage, HostSettings, RunRequest, SupervisorMessage } from "./host-protocol.ts" */
/** @import { RawError, RawFrame, RawModule, RawResult } from "./host-protocol.ts" */
/** @import { UserConsoleLog } from "vitest" */
/** @import { Reporter, TestModule, Vitest } from "vitest/node" */
/** @import { TestProjectInlineConfiguration } from "vitest/config" */
/** @import { UserConfig } from "vite" */

import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import workerThreads from "node:worker_threads";
import { KeptResults } from "./kept-results.mjs";
import { stackFrames } from "./stack-frames.mjs";
import { expectedWorkerOptions, warmPool } from "./warm-pool.mjs";

/** @type {HostSettings} */
const settings = JSON.parse(process.argv[2] ?? "{}");
// Read by test-progress.mjs in the test workers, which inherit this environment.
process.env.WORKBOOK_PROGRESS_FILE = settings.progressFile;
// Plain text diffs and messages: the CLI does its own coloring.
process.env.NO_COLOR = "1";
delete process.env.FORCE_COLOR;

// Where a forked worker out of memory leaves Node's report on the fatal error.
const reportDir = `${settings.progressFile}.reports`;
const pristine = new Map();
// The first run's test thread is started now, beside vitest's own start-up, and imports what the
// last session's runs imported.
const warm =
  settings.pool === "warm"
    ? warmPool({
        root: settings.root,
        heapLimitMb: settings.heapLimitMb,
        onOutOfMemory: reportOutOfMemory,
        ...(settings.warmImports && { importsFile: settings.warmImports }),
        early: expectedWorkerOptions(settings.root, settings.target),
      })
    : undefined;
const output = createLogCollector(settings.logLimits);
/** Each test file's last results and what it read, for a save that changes none of it (watch mode). */
const kept = new KeptResults();
/** @type {number | undefined} */
let currentRun;
let outOfMemory = false;
/** @type {RunRequest[]} */
const queue = [];
let busy = false;

process.on("disconnect", () => process.exit(0));
process.on("exit", () => rmSync(reportDir, { recursive: true, force: true }));
process.on("message", (/** @type {SupervisorMessage} */ message) => {
  // The first run's test files, told while vitest still starts (a check, watch mode's first
  // verdict): a thread for each starts meanwhile, where only one would have.
  if (message.type === "expect") warm?.expect(Math.min(message.files, availableParallelism()));
  else queue.push(message);
  void drain();
});

noteOutOfMemory();
/** @type {Vitest} */
let vitest;
try {
  vitest = await createHost();
  send({ type: "ready" });
  void drain();
} catch (error) {
  send({ type: "fatal", message: messageOf(error) });
  process.exit(1);
}

async function createHost() {
  const [{ createVitest }, { loadConfigFromFile, mergeConfig, normalizePath }] = await Promise.all([
    import("vitest/node"),
    import("vite"),
  ]);
  // The target is vitest's mode: vitest.config.ts picks the lesson project that fits it.
  const loaded = await loadConfigFromFile(
    { command: "serve", mode: settings.target },
    path.join(settings.root, "vitest.config.ts"),
    settings.root,
    "silent",
  );
  if (!loaded) throw new Error("vitest.config.ts was not found");
  const config = flattenProject(loaded.config, mergeConfig);
  config.plugins = [...(config.plugins ?? []), pristinePlugin(normalizePath)];
  const progressSetup = fileURLToPath(new URL("./test-progress.mjs", import.meta.url));
  const test = { ...config.test, setupFiles: [progressSetup, ...[config.test?.setupFiles ?? []].flat()] };
  // A worker thread takes its heap limit from this process (started with the limit); a forked
  // worker needs it passed on. A forked worker out of memory leaves vitest only "Worker forks
  // emitted error": Node's report on the fatal error, written before the worker dies, says why.
  // With a runner that reads each failure's stack frames in the worker (learner-runner.mjs says why).
  // A test file per core: vitest keeps one core for itself, which on two cores runs a lesson's
  // files one after the other while this process, between runs, has nothing to do.
  if (warm)
    Object.assign(test, {
      pool: warm,
      runner: fileURLToPath(new URL("./learner-runner.mjs", import.meta.url)),
      maxWorkers: availableParallelism(),
      // The lessons' modules as vite transformed them, kept on disk by their content: a session's
      // first run transforms only what changed since the last session. Only here: verify serves
      // the committed stubs in place of the files on disk, which a cache keyed by the files on
      // disk would not see.
      experimental: { ...test.experimental, fsModuleCache: true },
    });
  if (settings.pool === "forks" || !settings.pool) {
    mkdirSync(reportDir, { recursive: true });
    const limits = [
      `--max-old-space-size=${settings.heapLimitMb}`,
      "--report-on-fatalerror",
      `--report-directory=${reportDir}`,
    ];
    test.execArgv = [...(test.execArgv ?? []), ...limits];
  }
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const options = { config: /** @type {const} */ (false), root: settings.root, mode: settings.target, watch: false };
  const reporters = [progressReporter()];
  return createVitest(
    "test",
    { ...options, reporters, ...(settings.pool && !warm && { pool: settings.pool }) },
    { ...config, test },
    { stdout: silent, stderr: silent },
  );
}

// Progress for the supervisor's time limit, and the console output of the tests. A test stuck in
// a loop never lets vitest report it started (its reports are batched on a timer), so
// test-progress.mjs also notes it in a file.
/** @returns {Reporter} */
function progressReporter() {
  return {
    onUserConsoleLog: (/** @type {UserConsoleLog} */ log) => output.collect(String(log.content ?? ""), printerOf(log)),
    onTestCaseReady(test) {
      if (currentRun !== undefined)
        send({ type: "test-start", id: currentRun, file: test.module.moduleId, name: test.fullName });
    },
    onTestCaseResult() {
      if (currentRun !== undefined) send({ type: "progress", id: currentRun });
    },
  };
}

// A test thread out of memory reaches vitest only as "Worker exited unexpectedly", which then
// stops this process: say first, on stderr, what happened, so the supervisor can tell the learner.
function noteOutOfMemory() {
  const { Worker } = workerThreads;
  workerThreads.Worker = class extends Worker {
    /** @param {ConstructorParameters<typeof Worker>} args */
    constructor(...args) {
      super(...args);
      this.on("error", (/** @type {NodeJS.ErrnoException} */ error) => {
        if (error?.code === "ERR_WORKER_OUT_OF_MEMORY") reportOutOfMemory();
      });
    }
  };
  syncBuiltinESMExports();
}

function reportOutOfMemory() {
  if (outOfMemory) return;
  outOfMemory = true;
  process.stderr.write("workbook: a test worker ran out of memory (JavaScript heap out of memory)\n");
}

function forkOutOfMemory() {
  /** @type {string[]} */
  let reports = [];
  try {
    reports = readdirSync(reportDir).filter((name) => name.endsWith(".json"));
  } catch {
    return false;
  }
  for (const name of reports) rmSync(path.join(reportDir, name), { force: true });
  return reports.length > 0;
}

/**
 * Keeps console output up to the limits, and counts what it leaves out.
 * @param {HostSettings["logLimits"]} limits
 */
function createLogCollector(limits) {
  /** @type {string[]} */
  const logs = [];
  /** Who printed each entry of logs: a test file, or "" when vitest did not say. */
  /** @type {string[]} */
  const printers = [];
  const cut = { lines: 0, bytes: 0 };
  let bytes = 0;
  const lineCount = (/** @type {string} */ text) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  return {
    /**
     * @param {string} content
     * @param {string} file the test file that printed it, or ""
     */
    collect(content, file) {
      const size = Buffer.byteLength(content);
      if (logs.length >= limits.entries || bytes >= limits.bytes) {
        cut.lines += lineCount(content);
        cut.bytes += size;
        return;
      }
      const room = limits.bytes - bytes;
      printers.push(file);
      if (size <= room) {
        logs.push(content);
        bytes += size;
        return;
      }
      const kept = truncate(content, room);
      logs.push(kept);
      bytes = limits.bytes;
      cut.bytes += size - Buffer.byteLength(kept);
      cut.lines += Math.max(0, lineCount(content) - kept.split("\n").length);
    },
    /** What this run printed (and who printed it), and what was cut; then a clean slate for the next run. */
    take() {
      const taken = { logs: logs.splice(0), logsCut: { ...cut } };
      const by = printers.splice(0);
      bytes = cut.lines = cut.bytes = 0;
      return { ...taken, printers: by };
    },
  };
}

/** The first `room` bytes of `text`, without a character cut in half. */
function truncate(/** @type {string} */ text, /** @type {number} */ room) {
  return Buffer.from(text)
    .subarray(0, room)
    .toString()
    .replace(/\uFFFD$/, "");
}

/**
 * The lesson project as one inline config: the root config merged with the project that runs
 * lessons/**, as `extends: true` would.
 * @param {UserConfig} config
 * @param {typeof import("vite").mergeConfig} mergeConfig
 * @returns {UserConfig}
 */
function flattenProject(config, mergeConfig) {
  const { projects, ...rootTest } = config.test ?? {};
  if (!Array.isArray(projects)) return config;
  const isLessons = (/** @type {unknown} */ glob) => String(glob).startsWith("lessons");
  const inline = /** @type {TestProjectInlineConfiguration[]} */ (
    projects.filter((p) => typeof p === "object" && !(p instanceof Promise))
  );
  const project = inline.find((p) => [p.test?.include ?? []].flat().some(isLessons));
  if (!project) throw new Error("vitest.config.ts defines no project for lessons/**/*.test.ts");
  const { extends: _extends, ...projectConfig } = project;
  return mergeConfig({ ...config, test: rootTest }, projectConfig);
}

/**
 * Serves the committed content of stub files the learner may have edited (npm run verify).
 * @param {(id: string) => string} normalizePath
 */
function pristinePlugin(normalizePath) {
  return {
    name: "workbook:pristine-stubs",
    enforce: /** @type {const} */ ("pre"),
    load(/** @type {string} */ id) {
      return pristine.get(normalizePath(id.replace(/\?.*$/, ""))) ?? null;
    },
    // The files a learner writes are not kept in the fsModuleCache: each save would leave one
    // more transform on disk, for ever, and a lesson's own module costs next to nothing to
    // transform again. The tests and the references change only with the workbook.
    configureVitest(/** @type {import("vitest/node").VitestPluginContext} */ { experimental_defineCacheKeyGenerator }) {
      experimental_defineCacheKeyGenerator(({ id }) => (isLearnerFile(settings.root, id) ? false : undefined));
    },
  };
}

/**
 * @param {string} root
 * @param {string} id
 */
function isLearnerFile(root, id) {
  const relative = path.relative(path.join(root, "lessons"), id.replace(/\?.*$/, ""));
  return !relative.startsWith("..") && !path.isAbsolute(relative) && !/\.test\.[cm]?[jt]s$/.test(relative);
}

async function drain() {
  if (busy || !vitest) return;
  busy = true;
  try {
    for (let request = queue.shift(); request; request = queue.shift()) if (request.type === "run") await run(request);
  } finally {
    busy = false;
  }
}

/** @param {RunRequest} request */
async function run({ id, files, invalidate, pristine: contents, keepUnaffected }) {
  try {
    for (const [file, content] of Object.entries(contents)) pristine.set(file, content);
    for (const file of new Set([...invalidate, ...Object.keys(contents), ...lessonModules()]))
      vitest.invalidateFile(file);
    output.take();
    currentRun = id;
    outOfMemory = false;
    const project = vitest.projects[0];
    if (!project) throw new Error("vitest has no project for the lessons");
    // Every run on the files on disk keeps its results for the next; only a run that asks gives
    // them again. Served content is not on disk, where kept results are checked.
    const start = pristine.size === 0 ? kept.begin(files, projectFiles()) : undefined;
    const unaffected = start && keepUnaffected ? kept.unaffected(files, start) : new Set();
    const toRun = files.filter((file) => !unaffected.has(file));
    const wanted = new Set(toRun.map((file) => path.resolve(file)));
    const started = performance.now();
    const result = toRun.length
      ? await vitest.runTestSpecifications(toRun.map((file) => project.createSpecification(file)))
      : { testModules: [], unhandledErrors: [] };
    const runMs = Math.round(performance.now() - started);
    if (outOfMemory || forkOutOfMemory())
      throw new Error("a test worker ran out of memory (JavaScript heap out of memory)");
    // A long-lived vitest keeps the modules of earlier runs in its results (watch mode moves on
    // from lesson to lesson): only the files this run asked for count.
    const fresh = result.testModules.filter((m) => wanted.has(path.resolve(m.moduleId))).map(serializeModule);
    for (const file of unaffected) for (const log of kept.get(file)?.logs ?? []) output.collect(log, file);
    const { printers, ...printed } = output.take();
    const unhandledErrors = result.unhandledErrors.map(serializeError);
    if (start && unhandledErrors.length === 0 && !printers.includes("")) {
      const logsOf = (/** @type {string} */ file) => printed.logs.filter((_, i) => printers[i] === file);
      kept.record(start, fresh, logsOf, testInputs);
    } else if (start) kept.forget();
    const byFile = new Map(fresh.map((module) => [path.resolve(module.file), module]));
    /** @type {RawResult} */
    const raw = {
      modules: files.flatMap((file) => {
        const module = byFile.get(path.resolve(file)) ?? kept.get(file)?.module;
        return module ? [module] : [];
      }),
      unhandledErrors,
      ...printed,
      runMs,
      ...(warm && { workers: warm.takeCounts() }),
      ...(start && keepUnaffected && { kept: [...unaffected] }),
    };
    send({ type: "result", id, ...raw });
    warm?.warm();
  } catch (error) {
    send({ type: "fatal", id, message: messageOf(error) });
  } finally {
    currentRun = undefined;
  }
}

/** The test file a console entry came from, or "" when vitest did not say. */
function printerOf(/** @type {UserConsoleLog} */ log) {
  const task = log.taskId ? vitest.state.idMap.get(log.taskId) : undefined;
  return task?.file?.filepath ?? "";
}

/** The project's own files in vitest's module graphs: what runs so far have read, outside node_modules. */
function projectFiles() {
  const files = new Set(/** @type {string[]} */ ([]));
  for (const { file } of graphModules()) if (file) files.add(file);
  return files;
}

/** @returns {Generator<import("vite").EnvironmentModuleNode & { file: string }>} */
function* graphModules() {
  const root = `${settings.root.split(path.sep).join("/")}/`;
  for (const project of vitest.projects)
    for (const environment of Object.values(project.vite.environments))
      for (const [file, modules] of environment.moduleGraph.fileToModulesMap)
        if (file.startsWith(root) && !file.includes("/node_modules/"))
          for (const module of modules) yield/** @type {any} */ (module);
}

/**
 * Every project file a test file read in its last run: the modules from which it is reached by
 * following importers (as vitest's own watch mode finds what a save concerns), and whatever the
 * setup files read, which every test file runs.
 * @param {string} testFile
 */
function testInputs(testFile) {
  const roots = new Set([
    path.resolve(testFile),
    ...vitest.projects.flatMap((p) => p.config.setupFiles.map((f) => path.resolve(f))),
  ]);
  const inputs = new Set(/** @type {string[]} */ ([]));
  for (const module of graphModules()) if (reaches(module, roots)) inputs.add(module.file);
  return inputs;
}

/**
 * @param {import("vite").EnvironmentModuleNode} module
 * @param {Set<string>} roots
 */
function reaches(module, roots) {
  const seen = new Set([module]);
  for (const node of seen) {
    if (node.file && roots.has(path.resolve(node.file))) return true;
    for (const importer of node.importers) seen.add(importer);
  }
  return false;
}

/**
 * Every lesson file vitest has transformed so far. vitest keeps what it transformed until told
 * otherwise, and any of them may have changed since: a learner's save, or `npm run reset` or
 * `solve` in another terminal. Transforming a lesson's few files again costs milliseconds; a
 * run that tested an older file than the one on disk would cost the learner's trust.
 */
function lessonModules() {
  const lessons = `${settings.root.split(path.sep).join("/")}/lessons/`;
  return new Set([...projectFiles()].filter((file) => file.startsWith(lessons)));
}

/**
 * @param {TestModule} testModule
 * @returns {RawModule}
 */
function serializeModule(testModule) {
  const diagnostic = testModule.diagnostic();
  const suiteErrors = [...testModule.children.allSuites()].flatMap((suite) => suite.errors());
  return {
    file: testModule.moduleId,
    // Where the time went, for `npm run bench`'s profile: vitest's own phases, in milliseconds.
    phases: {
      environment: Math.round(diagnostic.environmentSetupDuration),
      prepare: Math.round(diagnostic.prepareDuration),
      setup: Math.round(diagnostic.setupDuration),
      import: Math.round(diagnostic.collectDuration),
      tests: Math.round(diagnostic.duration),
    },
    errors: [...testModule.errors(), ...suiteErrors].map(serializeError),
    tests: [...testModule.children.allTests()].map((test) => {
      const result = test.result();
      return {
        name: test.name,
        fullName: test.fullName,
        state: result.state,
        errors: (result.errors ?? []).map(serializeError),
      };
    }),
  };
}

/**
 * Only what the supervisor reads of an error, as plain data that survives IPC.
 * @param {any} error vitest's serialized error, or anything a test threw
 * @returns {RawError}
 */
function serializeError(error) {
  const text = (/** @type {unknown} */ value) => (typeof value === "string" ? value : undefined);
  return {
    name: text(error?.name),
    type: text(error?.type),
    message: String(error?.message ?? error),
    stacks: (error?.stacks ?? stackFrames(error?.stack)).map((/** @type {RawFrame} */ { file, line, column }) => ({
      file,
      line,
      column,
    })),
    expected: text(error?.expected),
    actual: text(error?.actual),
    diff: text(error?.diff),
    lesson: text(error?.lesson),
    what: text(error?.what),
    loc:
      error?.loc && typeof error.loc.line === "number"
        ? { file: error.loc.file ?? error.id, line: error.loc.line, column: error.loc.column }
        : undefined,
  };
}

/** @param {any} error */
function messageOf(error) {
  return String(error?.message ?? error);
}

/** @param {HostMessage} message */
function send(message) {
  if (process.connected) process.send?.(message);
}
