import { createHash } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Diagnostic, Project, Snapshot } from "typescript7/unstable/async";

// A type-checker that stays up between checks, for the checks a learner repeats (watch mode
// re-checks on every save). Starting TypeScript 7 for one check costs 0.15 to 0.8 s, most of it
// reading and parsing the same files again; kept running (tsgo's API server), it re-checks a
// saved file in a few tens of milliseconds. It reports what `tsc` reports for the same tsconfig,
// in the same order: syntax errors alone when there are any, else option, global and semantic
// errors, for every file of the program outside node_modules.

interface ApiDiagnostic {
  file: string;
  line: number;
  column: number;
  code: string;
  message: string;
}

/** The files of a program whose errors count: the project's own, as `tsc` with skipLibCheck checks them. */
const isOwn = (file: string) => !file.includes("/node_modules/") && !/\.d\.[cm]?ts$/.test(file);
/** The files a learner writes: re-checked on every check. The rest is re-checked when it changes. */
const isLessonFile = (root: string, file: string) => file.startsWith(`${toPosix(root)}/lessons/`);

type FileErrors = { syntactic: Diagnostic[]; semantic: Diagnostic[] };

interface OpenProject {
  /** Every own file's errors, from the check that last looked at it. */
  errors: Map<string, FileErrors>;
  /** The folders of the tsconfig's files and what was in them: a file added there joins the program. */
  listings: Map<string, string>;
  /** A file outside the lessons changed while another project was checked: check every file next time. */
  outdated: boolean;
  /** The program's global errors, as of the last check that asked for them. */
  global: Diagnostic[];
}

export class ResidentTypeChecker {
  readonly #root: string;
  readonly #projects = new Map<string, OpenProject>();
  /** Each own file's content hash, as the server last read it. */
  readonly #hashes = new Map<string, string>();
  #server: Promise<Server> | undefined;
  #snapshot: Snapshot | undefined;
  /** One check at a time: a snapshot is the server's whole view. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  readonly #tsgo: string | undefined;

  /** `tsgo`: the TypeScript 7 executable, when not the one installed (tests). */
  constructor(root: string, { tsgo }: { tsgo?: string } = {}) {
    this.#root = root;
    this.#tsgo = tsgo;
  }

  /** Whether it has checked the program of `config` before: the next check costs only what changed. */
  knows(config: string): boolean {
    return this.#projects.has(config);
  }

  /** The errors of the program of `config` (a tsconfig whose `files` are `rootFiles`). */
  check(config: string, rootFiles: string[]): Promise<ApiDiagnostic[]> {
    if (this.#closed) return Promise.reject(new Error("the type-checker was closed"));
    const next = this.#queue.then(() => this.#check(config, rootFiles));
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Stops the server, once the check under way (if any) is answered. */
  close(): void {
    this.#closed = true;
    const server = this.#server;
    this.#server = undefined;
    void this.#queue
      .then(() => server)
      .then((started) => started?.api.close())
      .catch(() => {});
  }

  async #check(config: string, rootFiles: string[]): Promise<ApiDiagnostic[]> {
    if (this.#closed) throw new Error("the type-checker was closed");
    const server = await (this.#server ??= startServer(this.#root, this.#tsgo));
    if (!server.alive()) throw new Error("the type-checker stopped");
    // Kept referenced only while a check waits for it: idle, it never keeps the CLI running.
    server.ref(true);
    try {
      return await this.#checkOn(server.api, config, rootFiles);
    } finally {
      server.ref(false);
    }
  }

  async #checkOn(api: Server["api"], config: string, rootFiles: string[]): Promise<ApiDiagnostic[]> {
    const opened = this.#projects.get(config);
    const { changed, created, deleted, hashes, listings } = this.#changes(rootFiles, opened);
    const snapshot = await api.updateSnapshot({
      ...(!opened && { openProjects: [config] }),
      fileChanges: { changed, created, deleted },
    });
    // The server keeps every snapshot until told: only the latest is ever asked about.
    void Promise.resolve(this.#snapshot?.dispose()).catch(() => {});
    this.#snapshot = snapshot;
    const project = snapshot.getProject(config);
    if (!project) throw new Error(`the type-checker did not open ${config}`);
    const files = (await project.program.getSourceFileNames()).filter(isOwn);
    // As read before the snapshot was asked for: a save meanwhile is seen by the next check.
    for (const [file, hash] of hashes) this.#hashes.set(file, hash);
    for (const file of deleted) this.#hashes.delete(file);
    // The tsconfig files count as the program's: a change to one re-reads the project.
    for (const file of [...files, config, toPosix(path.join(this.#root, "tsconfig.json"))])
      if (!this.#hashes.has(file)) this.#hashes.set(file, hashOf(file));
    // A lesson's files are re-checked every time; the rest only when something outside the
    // lessons changed (the reference files depend on nothing a learner writes).
    const outsideLessons = [...changed, ...created, ...deleted].some((file) => !isLessonFile(this.#root, file));
    for (const other of this.#projects.values()) if (outsideLessons) other.outdated = true;
    const state: OpenProject = opened ?? { errors: new Map(), listings, outdated: true, global: [] };
    this.#projects.set(config, state);
    state.listings = listings;
    const stale = files.filter((file) => state.outdated || isLessonFile(this.#root, file));
    await refresh(project, state.errors, stale, files);
    // The program's global errors (a missing lib's types, say) cost a check of every file, some
    // of Node's and the packages' types included: about a second for lesson 10. Nothing a
    // learner writes in a lesson's module changes them, so they are asked for again only when
    // something else did.
    if (state.outdated) state.global = [...(await project.program.getGlobalDiagnostics())];
    state.outdated = false;
    return report(project, state, files);
  }

  /** What changed on disk since the server last read it, and the lesson's folders as they are now. */
  #changes(rootFiles: string[], opened: OpenProject | undefined) {
    const changed: string[] = [];
    const deleted: string[] = [];
    const hashes = new Map<string, string>();
    for (const [file, hash] of this.#hashes) {
      const now = hashOf(file);
      if (now === "missing") deleted.push(file);
      else if (now !== hash) changed.push(file);
      hashes.set(file, now);
    }
    const listings = listFolders(rootFiles);
    const created: string[] = [];
    for (const [folder, listing] of opened ? listings : []) {
      const before = new Set((opened?.listings.get(folder) ?? "").split("\n"));
      for (const name of listing.split("\n")) if (name && !before.has(name)) created.push(`${folder}/${name}`);
    }
    return { changed, created, deleted, hashes, listings };
  }
}

interface Server {
  api: import("typescript7/unstable/async").API;
  /** False once its process has ended or can no longer be written to. */
  alive(): boolean;
  /** Whether the server's process may keep this one running. */
  ref(keep: boolean): void;
}

async function startServer(root: string, tsgo: string | undefined): Promise<Server> {
  const { API } = await import("typescript7/unstable/async");
  const api = new API({ cwd: root, ...(tsgo && { tsserverPath: tsgo }) });
  await api.updateSnapshot();
  // The server exits when its input closes, as this process exits.
  const child = (api as unknown as { client?: { process?: ChildProcess } }).client?.process;
  const handles = [child, child?.stdin, child?.stdout] as ({ ref(): unknown; unref(): unknown } | null | undefined)[];
  // A server that ended (it crashed, or was closed) fails the next check, which then runs tsc;
  // writing to it must not become an error nobody handles.
  let alive = true;
  const ended = () => {
    alive = false;
  };
  child?.once("exit", ended);
  child?.on("error", ended);
  child?.stdin?.on("error", ended);
  return {
    api,
    alive: () => alive,
    ref(keep) {
      for (const handle of handles) keep ? handle?.ref() : handle?.unref();
    },
  };
}

/** Asks the server for the errors of `stale`, and forgets files no longer in the program. */
async function refresh(project: Project, errors: Map<string, FileErrors>, stale: string[], files: string[]) {
  const present = new Set(files);
  for (const file of errors.keys()) if (!present.has(file)) errors.delete(file);
  for (const file of stale) {
    const [syntactic, semantic] = await Promise.all([
      project.program.getSyntacticDiagnostics(file),
      project.program.getSemanticDiagnostics(file),
    ]);
    errors.set(file, { syntactic: [...syntactic], semantic: [...semantic] });
  }
}

/** As `tsc` reports a program: its syntax errors alone, when there are any; else everything else. */
async function report(project: Project, { errors, global }: OpenProject, files: string[]): Promise<ApiDiagnostic[]> {
  const program = project.program;
  const configErrors = [...(await program.getConfigFileParsingDiagnostics())];
  const syntactic = files.flatMap((file) => errors.get(file)?.syntactic ?? []);
  let found = [...configErrors, ...syntactic];
  if (syntactic.length === 0) {
    found = [...found, ...(await program.getProgramDiagnostics()), ...global];
    if (found.length === configErrors.length)
      found = [...found, ...files.flatMap((file) => errors.get(file)?.semantic ?? [])];
  }
  return toDiagnostics(found);
}

const errorCategory = 1;

/** In `tsc`'s order (file, position, code, message), each once, errors only. */
function toDiagnostics(found: Diagnostic[]): ApiDiagnostic[] {
  const sorted = found
    .filter((d) => d.category === errorCategory)
    .sort(
      (a, b) =>
        compare(a.fileName ?? "", b.fileName ?? "") ||
        a.pos - b.pos ||
        a.end - a.pos - (b.end - b.pos) ||
        a.code - b.code ||
        compare(a.text, b.text),
    );
  const texts = new Map<string, string>();
  const seen = new Set<string>();
  const diagnostics: ApiDiagnostic[] = [];
  for (const d of sorted) {
    const file = d.fileName ?? "";
    if (file && !texts.has(file)) texts.set(file, readText(file));
    const { line, column } = file ? lineAndColumn(texts.get(file)!, d.pos) : { line: 0, column: 0 };
    const one = { file, line, column, code: `TS${d.code}`, message: flatten(d) };
    const key = JSON.stringify(one);
    if (!seen.has(key)) diagnostics.push(one);
    seen.add(key);
  }
  return diagnostics;
}

type MessageChain = { text: string; messageChain?: readonly MessageChain[] | undefined };

/** A message and the chain below it, each link on its own line indented by its depth, as `tsc` prints it. */
export function flatten(diagnostic: MessageChain, depth = 0): string {
  const own = depth === 0 ? diagnostic.text : `\n${"  ".repeat(depth)}${diagnostic.text}`;
  return own + (diagnostic.messageChain ?? []).map((link) => flatten(link, depth + 1)).join("");
}

/** 1-based line and column of an offset in UTF-16 code units, as `tsc` counts them. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}

function listFolders(rootFiles: string[]): Map<string, string> {
  const folders = new Map<string, string>();
  for (const folder of new Set(rootFiles.map((file) => toPosix(path.dirname(file))))) {
    try {
      const names = readdirSync(folder).filter((name) => /\.[cm]?tsx?$/.test(name));
      folders.set(folder, names.sort().join("\n"));
    } catch {
      folders.set(folder, "");
    }
  }
  return folders;
}

function hashOf(file: string): string {
  try {
    return createHash("sha1").update(readFileSync(file)).digest("hex");
  } catch {
    return "missing";
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function toPosix(file: string): string {
  return file.split(path.sep).join("/");
}
