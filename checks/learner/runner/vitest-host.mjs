// Runs vitest for the workbook CLI in a plain Node process, driven over IPC by run-tests.ts.
//
// Why a separate process in plain JavaScript: the CLI runs under tsx, and importing vitest through
// tsx's loader hooks takes several times longer than in plain Node. Why the config is loaded here
// and flattened into one inline project: vitest would otherwise load vitest.config.ts twice (once
// for the root, once more for the `extends: true` project), and an inline config is the one
// place extra plugins can be added - `npm run verify` adds one that serves the committed stubs.
// The CLI supervises this process: it kills and restarts it when learner code overruns the time
// limit or the memory limit, so nothing here has to survive learner code.
//
// argv: <root> <target: "stub" | "reference"> <pool: "threads" | "forks" | ""> <progress file>
// in:  { type: "run", id, files: string[], invalidate?: string[], pristine?: Record<path, content> }
// out: { type: "ready" } | { type: "test-start", id, file, name } | { type: "progress", id }
//      | { type: "result", id, modules, unhandledErrors, logs, logsCut, runMs }
//      | { type: "fatal", message, stack }

import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import workerThreads from "node:worker_threads";

const [root, target, pool, progressFile] = process.argv.slice(2);
// Read by test-progress.mjs in the test workers, which inherit this environment.
if (progressFile) process.env.WORKBOOK_PROGRESS_FILE = progressFile;
// Plain text diffs and messages: the CLI does its own coloring.
process.env.NO_COLOR = "1";
delete process.env.FORCE_COLOR;

/** The heap a test worker may use, in MiB: past it the worker dies and the CLI says why. */
const heapLimitMb = 1024;
const reportDir = `${progressFile || path.join(tmpdir(), `workbook-${process.pid}`)}.reports`;
// Console output kept per run: what a terminal can show, not what a runaway loop can print.
const maxLogEntries = 200;
const maxLogBytes = 64 * 1024;

const pristine = new Map();
const logs = [];
const logsCut = { lines: 0, bytes: 0 };
let logBytes = 0;
let currentRun;
let outOfMemory = false;
let vitest;
const queue = [];
let busy = false;

process.on("disconnect", () => process.exit(0));
process.on("exit", () => rmSync(reportDir, { recursive: true, force: true }));
process.on("message", (message) => {
  queue.push(message);
  void drain();
});

noteOutOfMemory();
try {
  vitest = await createHost();
  send({ type: "ready" });
  void drain();
} catch (error) {
  send({ type: "fatal", message: String(error?.message ?? error), stack: error?.stack });
  process.exit(1);
}

async function createHost() {
  const [{ createVitest }, { loadConfigFromFile, mergeConfig, normalizePath }] = await Promise.all([
    import("vitest/node"),
    import("vite"),
  ]);
  // The target is vitest's mode: vitest.config.ts picks the lesson project that fits it.
  const loaded = await loadConfigFromFile(
    { command: "serve", mode: target },
    path.join(root, "vitest.config.ts"),
    root,
    "silent",
  );
  if (!loaded) throw new Error("vitest.config.ts was not found");
  const config = flattenProject(loaded.config, mergeConfig);
  config.plugins = [...(config.plugins ?? []), pristinePlugin(normalizePath)];
  const progressSetup = fileURLToPath(new URL("./test-progress.mjs", import.meta.url));
  config.test = { ...config.test, setupFiles: [progressSetup, ...[config.test?.setupFiles ?? []].flat()] };
  // A worker thread takes its heap limit from this process (started with the same limit); a
  // forked worker needs it passed on.
  // A forked worker out of memory leaves vitest only "Worker forks emitted error": Node's report
  // on the fatal error, written before the worker dies, says why.
  if (pool !== "threads") {
    mkdirSync(reportDir, { recursive: true });
    const limits = [`--max-old-space-size=${heapLimitMb}`, "--report-on-fatalerror", `--report-directory=${reportDir}`];
    config.test.execArgv = [...(config.test.execArgv ?? []), ...limits];
  }
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });

  const collector = {
    onUserConsoleLog: collectLog,
    // Progress for the CLI's time limit. A test stuck in a loop never lets vitest report it
    // started (its reports are batched on a timer), so test-progress.mjs also notes it in a file.
    onTestCaseReady: (test) =>
      currentRun !== undefined &&
      send({ type: "test-start", id: currentRun, file: test.module.moduleId, name: test.fullName }),
    onTestCaseResult: () => currentRun !== undefined && send({ type: "progress", id: currentRun }),
  };
  return createVitest(
    "test",
    {
      config: false,
      root,
      mode: target,
      watch: false,
      includeTaskLocation: true,
      reporters: [collector],
      ...(pool && { pool }),
    },
    config,
    { stdout: silent, stderr: silent },
  );
}

// A test thread out of memory reaches vitest only as "Worker exited unexpectedly", which then
// stops this process: say first, on stderr, what happened, so the CLI can tell the learner.
function noteOutOfMemory() {
  const { Worker } = workerThreads;
  workerThreads.Worker = class extends Worker {
    constructor(...args) {
      super(...args);
      this.on("error", (error) => {
        if (error?.code !== "ERR_WORKER_OUT_OF_MEMORY") return;
        process.stderr.write("workbook: a test worker ran out of memory (JavaScript heap out of memory)\n");
      });
    }
  };
  syncBuiltinESMExports();
}

function forkOutOfMemory() {
  let reports = [];
  try {
    reports = readdirSync(reportDir).filter((name) => name.endsWith(".json"));
  } catch {
    return false;
  }
  for (const name of reports) rmSync(path.join(reportDir, name), { force: true });
  return reports.length > 0;
}

function collectLog(log) {
  const content = String(log.content ?? "");
  const bytes = Buffer.byteLength(content);
  const lines = content.split("\n").length - (content.endsWith("\n") ? 1 : 0);
  if (logs.length >= maxLogEntries || logBytes >= maxLogBytes) {
    logsCut.lines += lines;
    logsCut.bytes += bytes;
    return;
  }
  const room = maxLogBytes - logBytes;
  if (bytes <= room) {
    logs.push({ content, type: log.type });
    logBytes += bytes;
    return;
  }
  const kept = Buffer.from(content)
    .subarray(0, room)
    .toString()
    .replace(/\uFFFD$/, "");
  const keptLines = kept.split("\n").length;
  logs.push({ content: kept, type: log.type });
  logBytes = maxLogBytes;
  logsCut.bytes += bytes - Buffer.byteLength(kept);
  logsCut.lines += Math.max(0, lines - keptLines);
}

// The lesson project as one inline config: the root config merged with the project that runs
// lessons/**, as `extends: true` would.
function flattenProject(config, mergeConfig) {
  const { projects, ...rootTest } = config.test ?? {};
  if (!Array.isArray(projects)) return config;
  const lessonProjects = projects.filter(
    (p) => typeof p === "object" && [p.test?.include ?? []].flat().some((g) => String(g).startsWith("lessons")),
  );
  const project = lessonProjects[0];
  if (!project) throw new Error("vitest.config.ts defines no project for lessons/**/*.test.ts");
  const { extends: _extends, ...projectConfig } = project;
  return mergeConfig({ ...config, test: rootTest }, projectConfig);
}

// Serves the committed content of stub files the learner may have edited (npm run verify).
function pristinePlugin(normalizePath) {
  return {
    name: "workbook:pristine-stubs",
    enforce: "pre",
    load(id) {
      return pristine.get(normalizePath(id.replace(/\?.*$/, ""))) ?? null;
    },
  };
}

async function drain() {
  if (busy || !vitest) return;
  busy = true;
  try {
    while (queue.length > 0) {
      const message = queue.shift();
      if (message?.type === "run") await run(message);
    }
  } finally {
    busy = false;
  }
}

async function run({ id, files, invalidate = [], pristine: contents = {} }) {
  try {
    for (const [file, content] of Object.entries(contents)) pristine.set(file, content);
    for (const file of [...invalidate, ...Object.keys(contents)]) vitest.invalidateFile(file);
    logs.length = 0;
    logBytes = 0;
    logsCut.lines = logsCut.bytes = 0;
    currentRun = id;
    outOfMemory = false;
    const project = vitest.projects[0];
    const specifications = files.map((file) => project.createSpecification(file));
    const wanted = new Set(files.map((file) => path.resolve(file)));
    const started = performance.now();
    const result = await vitest.runTestSpecifications(specifications);
    const runMs = Math.round(performance.now() - started);
    if (outOfMemory || forkOutOfMemory())
      throw new Error("a test worker ran out of memory (JavaScript heap out of memory)");
    send({
      type: "result",
      id,
      // A long-lived vitest keeps the modules of earlier runs in its results (watch mode moves
      // on from lesson to lesson): report only the files this run asked for.
      modules: result.testModules.filter((m) => wanted.has(path.resolve(m.moduleId))).map(serializeModule),
      unhandledErrors: result.unhandledErrors.map(serializeError),
      logs,
      logsCut,
      runMs,
    });
  } catch (error) {
    send({ type: "fatal", id, message: String(error?.message ?? error), stack: error?.stack });
  } finally {
    currentRun = undefined;
  }
}

function serializeModule(testModule) {
  const diagnostic = testModule.diagnostic();
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
    // A module's own errors (it failed to load) and its suites' (a beforeAll that threw).
    errors: [...testModule.errors(), ...[...testModule.children.allSuites()].flatMap((suite) => suite.errors())].map(
      serializeError,
    ),
    tests: [...testModule.children.allTests()].map((test) => {
      const result = test.result();
      return {
        name: test.name,
        fullName: test.fullName,
        state: result.state,
        errors: (result.errors ?? []).map(serializeError),
        line: test.location?.line,
        column: test.location?.column,
      };
    }),
  };
}

function serializeError(error) {
  return {
    name: error?.name,
    // vitest's word for an error outside any test: "Unhandled Rejection", "Uncaught Exception".
    type: typeof error?.type === "string" ? error.type : undefined,
    message: String(error?.message ?? error),
    stacks: (error?.stacks ?? parseStack(error?.stack)).map(({ file, line, column, method }) => ({
      file,
      line,
      column,
      method,
    })),
    expected: typeof error?.expected === "string" ? error.expected : undefined,
    actual: typeof error?.actual === "string" ? error.actual : undefined,
    diff: typeof error?.diff === "string" ? error.diff : undefined,
    lesson: typeof error?.lesson === "string" ? error.lesson : undefined,
    what: typeof error?.what === "string" ? error.what : undefined,
    frame: typeof error?.frame === "string" ? error.frame : undefined,
    loc:
      error?.loc && typeof error.loc.line === "number"
        ? { file: error.loc.file ?? error.id, line: error.loc.line, column: error.loc.column }
        : undefined,
  };
}

// vitest parses the stacks of errors in tests; an error outside any test has only its text.
function parseStack(stack) {
  if (typeof stack !== "string") return [];
  const frames = [];
  for (const match of stack.matchAll(
    /^\s+at (?:(.*?) \()?(?:file:\/\/)?(\/[^():]+|[A-Za-z]:[\\/][^():]+):(\d+):(\d+)\)?$/gm,
  )) {
    frames.push({ method: match[1] ?? "", file: match[2], line: Number(match[3]), column: Number(match[4]) });
  }
  return frames;
}

function send(message) {
  if (process.connected) process.send(message);
}
