// Runs vitest for the workbook CLI in a plain Node process, driven over IPC by run-tests.ts.
//
// Why a separate process in plain JavaScript: the CLI runs under tsx, and importing vitest through
// tsx's loader hooks takes several times longer than in plain Node. Why the config is loaded here
// and flattened into one inline project: vitest would otherwise load vitest.config.ts twice (once
// for the root, once more for the `extends: true` project), and an inline config is the one
// place extra plugins can be added - `npm run verify` adds one that serves the committed stubs.
//
// argv: <root> <target: "stub" | "reference"> [pool: "threads" | "forks"]
// in:  { type: "run", id, files: string[], invalidate?: string[], pristine?: Record<path, content> }
// out: { type: "ready" } | { type: "result", id, modules, unhandledErrors, logs } | { type: "fatal", message, stack }

import path from "node:path";
import { Writable } from "node:stream";

const [root, target, pool] = process.argv.slice(2);
if (target === "stub") process.env.WORKBOOK_TARGET = "stub";
else delete process.env.WORKBOOK_TARGET;
// Plain text diffs and messages: the CLI does its own colouring.
process.env.NO_COLOR = "1";
delete process.env.FORCE_COLOR;

const pristine = new Map();
const logs = [];
let vitest;
const queue = [];
let busy = false;

process.on("disconnect", () => process.exit(0));
process.on("message", (message) => {
  queue.push(message);
  void drain();
});

try {
  vitest = await createHost();
  send({ type: "ready" });
  void drain();
} catch (error) {
  send({ type: "fatal", message: String(error?.message ?? error), stack: error?.stack });
  process.exit(1);
}

async function createHost() {
  const [{ createVitest }, { loadConfigFromFile, mergeConfig, normalizePath }] = await Promise.all([import("vitest/node"), import("vite")]);
  const loaded = await loadConfigFromFile({ command: "serve", mode: "test" }, path.join(root, "vitest.config.ts"), root, "silent");
  if (!loaded) throw new Error("vitest.config.ts was not found");
  const config = flattenProject(loaded.config, mergeConfig);
  config.plugins = [...(config.plugins ?? []), pristinePlugin(normalizePath)];
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const collector = { onUserConsoleLog: (log) => logs.push({ content: log.content, type: log.type }) };
  return createVitest(
    "test",
    { config: false, root, watch: false, includeTaskLocation: true, reporters: [collector], ...(pool && { pool }) },
    config,
    { stdout: silent, stderr: silent },
  );
}

// The lesson project as one inline config: the root config merged with the project that runs
// lessons/**, as `extends: true` would.
function flattenProject(config, mergeConfig) {
  const { projects, ...rootTest } = config.test ?? {};
  if (!Array.isArray(projects)) return config;
  const lessonProjects = projects.filter((p) => typeof p === "object" && [p.test?.include ?? []].flat().some((g) => String(g).startsWith("lessons")));
  const project = (target === "reference" && lessonProjects.find((p) => p.test?.name === "lessons")) || lessonProjects[0];
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
    const project = vitest.projects[0];
    const specifications = files.map((file) => project.createSpecification(file));
    const wanted = new Set(files.map((file) => path.resolve(file)));
    const result = await vitest.runTestSpecifications(specifications);
    send({
      type: "result",
      id,
      // A long-lived vitest keeps the modules of earlier runs in its results (watch mode moves
      // on from lesson to lesson): report only the files this run asked for.
      modules: result.testModules.filter((m) => wanted.has(path.resolve(m.moduleId))).map(serializeModule),
      unhandledErrors: result.unhandledErrors.map(serializeError),
      logs: logs.slice(0, 200),
    });
  } catch (error) {
    send({ type: "fatal", id, message: String(error?.message ?? error), stack: error?.stack });
  }
}

function serializeModule(testModule) {
  return {
    file: testModule.moduleId,
    // A module's own errors (it failed to load) and its suites' (a beforeAll that threw).
    errors: [...testModule.errors(), ...[...testModule.children.allSuites()].flatMap((suite) => suite.errors())].map(serializeError),
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
    message: String(error?.message ?? error),
    stacks: (error?.stacks ?? []).map(({ file, line, column, method }) => ({ file, line, column, method })),
    expected: typeof error?.expected === "string" ? error.expected : undefined,
    actual: typeof error?.actual === "string" ? error.actual : undefined,
    diff: typeof error?.diff === "string" ? error.diff : undefined,
    lesson: typeof error?.lesson === "string" ? error.lesson : undefined,
    what: typeof error?.what === "string" ? error.what : undefined,
    frame: typeof error?.frame === "string" ? error.frame : undefined,
    loc: error?.loc && typeof error.loc.line === "number" ? { file: error.loc.file ?? error.id, line: error.loc.line, column: error.loc.column } : undefined,
  };
}

function send(message) {
  if (process.connected) process.send(message);
}
