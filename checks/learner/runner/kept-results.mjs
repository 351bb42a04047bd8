// @ts-check
// In watch mode a save changes one file, and a lesson's test files that read nothing of it would
// only give their last results again: lesson 9's three test files each take a third of a second,
// and a save of one route handler concerns two of them. vitest's own watch mode re-runs only the
// test files that import the saved file; this keeps, for each test file, everything it read
// (from the module graph, with each file's content hash) and its last results, and gives those
// results again only while every file it read is byte for byte the same on disk. It never
// trusts the caller's word on what changed: another terminal may have rewritten anything.

/** @import { RawModule } from "./host-protocol.ts" */

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** A file's content hash, or "missing". */
export function contentHash(/** @type {string} */ file) {
  try {
    return createHash("sha1").update(readFileSync(file)).digest("hex");
  } catch {
    return "missing";
  }
}

/** The names in each folder: a file created or deleted there may change what a test reads. */
export function listing(/** @type {Iterable<string>} */ folders) {
  return [...new Set(folders)]
    .sort()
    .map((folder) => {
      try {
        return `${folder}:${readdirSync(folder).sort().join("/")}`;
      } catch {
        return `${folder}:missing`;
      }
    })
    .join("\n");
}

/**
 * @typedef {object} Kept
 * @property {RawModule} module
 * @property {string[]} logs what its tests printed
 * @property {Map<string, string>} inputs every file it read, and its content hash
 */

/**
 * @typedef {object} RunStart
 * @property {number} at Date.now() as the run began
 * @property {Map<string, string>} hashes content hashes of the files known before the run
 * @property {string} listing the test files' folders as the run began
 */

export class KeptResults {
  /** @type {Map<string, Kept>} */
  #kept = new Map();
  /** The test files' folders, as the run that recorded the kept results began. */
  #listing = "";

  /**
   * What a run that may keep results needs to know before it starts: the content of every file
   * earlier runs read (and of the test files' folders), as it is now.
   * @param {string[]} testFiles
   * @param {Iterable<string>} knownFiles
   * @returns {RunStart}
   */
  begin(testFiles, knownFiles) {
    const files = new Set([...knownFiles, ...testFiles]);
    for (const kept of this.#kept.values()) for (const file of kept.inputs.keys()) files.add(file);
    const hashes = new Map([...files].map((file) => [file, contentHash(file)]));
    return { at: Date.now(), hashes, listing: listing(testFiles.map((file) => path.dirname(file))) };
  }

  /**
   * The test files whose kept results still hold at `start`.
   * @param {string[]} testFiles
   * @param {RunStart} start
   */
  unaffected(testFiles, start) {
    if (start.listing !== this.#listing) return new Set();
    const holds = (/** @type {Kept} */ kept) =>
      [...kept.inputs].every(([file, hash]) => hash !== "unknown" && start.hashes.get(file) === hash);
    return new Set(
      testFiles.filter((file) => this.#kept.has(file) && holds(/** @type {Kept} */ (this.#kept.get(file)))),
    );
  }

  /** @param {string} file */
  get(file) {
    return this.#kept.get(file);
  }

  /**
   * Keeps the results of the files a run tested. A file first read during the run (not hashed
   * at its start) counts as read as it is now only if nothing wrote it since shortly before the
   * run began; otherwise its hash is unknown, and the next run tests whatever read it again.
   * @param {RunStart} start
   * @param {RawModule[]} modules
   * @param {(file: string) => string[]} logsOf
   * @param {(file: string) => Iterable<string>} inputsOf
   */
  record(start, modules, logsOf, inputsOf) {
    this.#listing = start.listing;
    for (const module of modules) {
      if (module.errors.length > 0) {
        this.#kept.delete(module.file);
        continue;
      }
      const inputs = new Map();
      for (const file of new Set([module.file, ...inputsOf(module.file)]))
        inputs.set(file, start.hashes.get(file) ?? hashIfOlderThan(file, start.at));
      this.#kept.set(module.file, { module, logs: logsOf(module.file), inputs });
    }
  }

  /** Keeps nothing: the next run tests every file. */
  forget() {
    this.#kept.clear();
    this.#listing = "";
  }
}

/** Written two seconds or more before `at` (file systems that keep whole seconds included): its content now. */
function hashIfOlderThan(/** @type {string} */ file, /** @type {number} */ at) {
  try {
    return statSync(file).mtimeMs < at - 2_000 ? contentHash(file) : "unknown";
  } catch {
    return "missing";
  }
}
