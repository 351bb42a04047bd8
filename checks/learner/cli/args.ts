import { UserError } from "./user-error.ts";
import type { Env } from "./env.ts";

// Command-line arguments for one command. `npm run check lesson-3 --json` does not pass --json on
// to the script: npm keeps it as its own setting (npm_config_json=true), and for `--through
// lesson-4` keeps `--through` and passes `lesson-4` on. So when npm ran this very script, its
// settings stand in for the flags it swallowed; `npm run check lesson-3 -- --json` works too.

export interface CommandSpec {
  name: string;
  /** The npm script that runs this command, e.g. "start" for watch. */
  script: string;
  usage: string;
  flags: readonly string[];
  options: readonly string[];
  maxPositionals: number;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
  help: boolean;
}

export function parseArgs(spec: CommandSpec, argv: readonly string[], env: Env = {}): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], flags: new Set(), options: new Map(), help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") continue;
    if (arg === "--help" || arg === "-h") {
      parsed.help = true;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      parsed.positionals.push(arg);
      continue;
    }
    const [name, inlineValue] = splitOption(arg);
    if (name === "y" || spec.flags.includes(name)) {
      if (inlineValue !== undefined) throw usageError(spec, `--${name} takes no value`);
      parsed.flags.add(name === "y" ? "yes" : name);
    } else if (spec.options.includes(name)) {
      const value = inlineValue ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw usageError(spec, `--${name} needs a value`);
      parsed.options.set(name, value);
    } else {
      throw usageError(spec, `unknown option ${arg}`);
    }
  }
  if (env.npm_lifecycle_event === spec.script) applyNpmSettings(spec, parsed, env);
  if (parsed.positionals.length > spec.maxPositionals) {
    throw usageError(spec, `unexpected argument "${parsed.positionals[spec.maxPositionals]}"`);
  }
  return parsed;
}

function splitOption(arg: string): [string, string | undefined] {
  const body = arg.replace(/^--?/, "");
  const equals = body.indexOf("=");
  return equals === -1 ? [body, undefined] : [body.slice(0, equals), body.slice(equals + 1)];
}

function applyNpmSettings(spec: CommandSpec, parsed: ParsedArgs, env: Env): void {
  const setting = (name: string) => env[`npm_config_${name.replace(/-/g, "_")}`];
  for (const flag of spec.flags) if (setting(flag) === "true") parsed.flags.add(flag);
  for (const option of spec.options) {
    const value = setting(option);
    if (parsed.options.has(option) || value === undefined || value === "") continue;
    // npm read `--through lesson-4` as a flag and passed lesson-4 on as an argument.
    if (value === "true") {
      const taken = parsed.positionals.pop();
      if (taken === undefined) throw usageError(spec, `--${option} needs a value`);
      parsed.options.set(option, taken);
    } else {
      parsed.options.set(option, value);
    }
  }
}

function usageError(spec: CommandSpec, problem: string): UserError {
  return new UserError(`${problem[0]!.toUpperCase()}${problem.slice(1)}. Usage: ${spec.usage}`);
}
