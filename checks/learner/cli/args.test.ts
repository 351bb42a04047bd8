import { describe, expect, it } from "vitest";
import { type CommandSpec, parseArgs } from "./args.ts";
import { UserError } from "./user-error.ts";
import type { Env } from "./env.ts";

const solve: CommandSpec = {
  name: "solve",
  script: "solve",
  usage: "npm run solve [lesson] [--through lesson-N] [--yes]",
  flags: ["yes"],
  options: ["through"],
  maxPositionals: 1,
};

function parseError(argv: string[], env: Env = {}): UserError {
  try {
    parseArgs(solve, argv, env);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected parseArgs to fail");
}

describe("parseArgs", () => {
  it.each([
    [["lesson-3"], ["lesson-3"], [], {}],
    [["lesson-3", "--yes"], ["lesson-3"], ["yes"], {}],
    [["-y"], [], ["yes"], {}],
    [["--through", "lesson-4"], [], [], { through: "lesson-4" }],
    [["--through=lesson-4", "--yes"], [], ["yes"], { through: "lesson-4" }],
    [["--", "lesson-2"], ["lesson-2"], [], {}],
  ])("reads %j", (argv, positionals, flags, options) => {
    const parsed = parseArgs(solve, argv);
    expect(parsed.positionals).toEqual(positionals);
    expect([...parsed.flags]).toEqual(flags);
    expect(Object.fromEntries(parsed.options)).toEqual(options);
  });

  it.each([
    [["--force"], "Unknown option --force. Usage: npm run solve [lesson] [--through lesson-N] [--yes]"],
    [["--through"], "--through needs a value. Usage: npm run solve [lesson] [--through lesson-N] [--yes]"],
    [["--yes=no"], "--yes takes no value. Usage: npm run solve [lesson] [--through lesson-N] [--yes]"],
    [
      ["lesson-1", "lesson-2"],
      'Unexpected argument "lesson-2". Usage: npm run solve [lesson] [--through lesson-N] [--yes]',
    ],
  ])("rejects %j with one line and the usage", (argv, message) => {
    const error = parseError(argv);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(2);
  });

  it("treats --help as a request for the usage", () => {
    expect(parseArgs(solve, ["--help"]).help).toBe(true);
  });

  describe("flags npm kept for itself", () => {
    const npm = (settings: Env) => ({ npm_lifecycle_event: "solve", ...settings });

    it("takes --yes from npm_config_yes when npm ran this script", () => {
      expect(parseArgs(solve, ["lesson-3"], npm({ npm_config_yes: "true" })).flags.has("yes")).toBe(true);
    });

    it("takes the value of --through from the argument npm passed on", () => {
      const parsed = parseArgs(solve, ["lesson-4"], npm({ npm_config_through: "true" }));
      expect(parsed.positionals).toEqual([]);
      expect(parsed.options.get("through")).toBe("lesson-4");
    });

    it("ignores npm settings left over from a different script", () => {
      const parsed = parseArgs(solve, ["lesson-3"], { npm_lifecycle_event: "test", npm_config_yes: "true" });
      expect(parsed.flags.has("yes")).toBe(false);
    });

    it("ignores npm's empty default for --yes", () => {
      expect(parseArgs(solve, [], npm({ npm_config_yes: "" })).flags.has("yes")).toBe(false);
    });
  });
});
