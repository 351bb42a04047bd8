import { afterEach, describe, expect, it, vi } from "vitest";
import { runWithRequestContext, setContextUser } from "@/lib/request-context";
import { createLogger, LOG_LEVELS, logger, redact, type LogLevel, type LoggerOptions } from "./logger";

const NOW = "2026-11-26T09:30:00.000Z";

// A logger that writes into an array instead of the console, with a clock that never moves.
function capture(options: Omit<LoggerOptions, "sink" | "now"> = {}) {
  const calls: { level: LogLevel; line: string }[] = [];
  const log = createLogger({
    now: () => new Date(NOW),
    sink: (level, line) => calls.push({ level, line }),
    ...options,
  });
  const entries = () => calls.map(({ line }) => parseLine(line));
  return { log, calls, entries };
}

/** A log line as an object, failing the test with the line itself when it is not JSON. */
function parseLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return expect.fail(`every log line must be one JSON object, but the sink got: ${line}`);
  }
}

function inRequest<T>(fn: () => T, requestId = "req-123"): T {
  const request = new Request("http://localhost/api/users", { headers: { "x-request-id": requestId } });
  return runWithRequestContext(request, fn);
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("createLogger", () => {
  it("writes one line of JSON through the sink for each call", () => {
    const { log, calls } = capture();
    log.info({ msg: "first" });
    log.info({ msg: "second\nline" });
    expect(calls, "one sink call per log call").toHaveLength(2);
    for (const { line } of calls) {
      expect(line, "a log line must not contain a raw line break").not.toContain("\n");
      expect(() => JSON.parse(line), `each line must be JSON: ${line}`).not.toThrow();
    }
  });

  it("puts the level and the clock's ISO timestamp first, then the data", () => {
    const { log, entries } = capture();
    log.info({ msg: "user created", count: 3 });
    const [entry] = entries();
    expect(entry).toEqual({ level: "info", timestamp: NOW, msg: "user created", count: 3 });
    expect(Object.keys(entry ?? {}).slice(0, 2), "level and timestamp lead the line").toEqual(["level", "timestamp"]);
  });

  it.each(LOG_LEVELS)("hands %s entries to the sink with their level", (level) => {
    const { log, calls, entries } = capture({ level: "debug" });
    log[level]({ msg: "x" });
    expect(calls[0]?.level, "the first argument of the sink").toBe(level);
    expect(entries()[0]?.level, "the level field of the line").toBe(level);
  });

  it.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
    ["silent", []],
  ] as const)("at level %s writes only %j", (level, written) => {
    const { log, entries } = capture({ level });
    for (const each of LOG_LEVELS) log[each]({ msg: each });
    expect(
      entries().map((entry) => entry.level),
      `levels written by a logger at level "${level}"`,
    ).toEqual(written);
  });

  it("writes info and above when no level is given", () => {
    const { log, entries } = capture();
    for (const each of LOG_LEVELS) log[each]({ msg: each });
    expect(entries().map((entry) => entry.level)).toEqual(["info", "warn", "error"]);
  });

  it("asks a level function on every call, so a change of LOG_LEVEL applies at once", () => {
    let level: LogLevel | "silent" = "error";
    const { log, entries } = capture({ level: () => level });
    log.info({ msg: "dropped" });
    level = "debug";
    log.debug({ msg: "kept" });
    level = "silent";
    log.error({ msg: "dropped too" });
    expect(entries().map((entry) => entry.msg)).toEqual(["kept"]);
  });

  it("stamps entries with the current time when no clock is given", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2030-01-02T03:04:05.678Z"));
    const lines: string[] = [];
    createLogger({ sink: (_level, line) => lines.push(line) }).info({});
    expect(parseLine(lines[0] ?? "{}").timestamp).toBe("2030-01-02T03:04:05.678Z");
  });

  it("writes error lines to console.error and the others to console.log when no sink is given", () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const log = createLogger({ now: () => new Date(NOW), level: "debug" });
    log.debug({ msg: "d" });
    log.info({ msg: "i" });
    log.warn({ msg: "w" });
    log.error({ msg: "e" });
    expect(
      out.mock.calls.map(([line]) => parseLine(String(line)).msg),
      "lines on console.log",
    ).toEqual(["d", "i", "w"]);
    expect(
      err.mock.calls.map(([line]) => parseLine(String(line)).msg),
      "lines on console.error",
    ).toEqual(["e"]);
  });

  it("keeps the default logger quiet when LOG_LEVEL is silent", () => {
    vi.stubEnv("LOG_LEVEL", "silent");
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    logger.error({ msg: "not shown" });
    logger.info({ msg: "not shown" });
    expect(out.mock.calls.length + err.mock.calls.length, "the default logger must follow LOG_LEVEL").toBe(0);
  });
});

describe("request context", () => {
  it("adds the requestId and userId of the request being served", () => {
    const { log, entries } = capture();
    inRequest(() => {
      setContextUser("42");
      log.info({ msg: "inside" });
    });
    expect(entries()[0]).toEqual({ level: "info", timestamp: NOW, requestId: "req-123", userId: "42", msg: "inside" });
  });

  it("sets userId to null in a request before anyone is authenticated", () => {
    const { log, entries } = capture();
    inRequest(() => log.info({}));
    expect(entries()[0]).toEqual({ level: "info", timestamp: NOW, requestId: "req-123", userId: null });
  });

  it("leaves requestId and userId out of entries written outside a request", () => {
    const { log, entries } = capture();
    inRequest(() => setContextUser("42"));
    log.info({ msg: "outside" });
    expect(entries()[0], "no request, no request fields").toStrictEqual({
      level: "info",
      timestamp: NOW,
      msg: "outside",
    });
  });

  it("does not let the data overwrite level, timestamp or the request's ids", () => {
    const { log, entries } = capture();
    inRequest(() => {
      setContextUser("42");
      log.error({ level: "debug", timestamp: "yesterday", requestId: "forged", userId: "1", msg: "m" });
    });
    expect(entries()[0]).toEqual({ level: "error", timestamp: NOW, requestId: "req-123", userId: "42", msg: "m" });
  });
});

describe("redaction in the log line", () => {
  it("masks secrets in the line it writes", () => {
    const { log, calls } = capture();
    log.info({ msg: "calling with Bearer abc.def", headers: { Authorization: "Bearer abc.def" }, password: "hunter2" });
    const line = calls[0]?.line ?? "";
    expect(line, "the token must not reach the log").not.toContain("abc.def");
    expect(line, "the password must not reach the log").not.toContain("hunter2");
    expect(parseLine(line)).toMatchObject({
      msg: "calling with Bearer [REDACTED]",
      headers: { Authorization: "[REDACTED]" },
      password: "[REDACTED]",
    });
  });

  it("logs an Error with its name, message and stack", () => {
    const { log, entries } = capture();
    const error = new TypeError("database unreachable");
    log.error({ msg: "unhandled error", err: error });
    expect(entries()[0]?.err).toEqual({ name: "TypeError", message: "database unreachable", stack: error.stack });
  });

  it("logs a BigInt as a string instead of throwing", () => {
    const { log, entries } = capture();
    expect(() => log.info({ userId: 42n })).not.toThrow();
    expect(entries()[0]?.userId).toBe("42");
  });

  it("logs an object that contains itself without throwing", () => {
    const { log, entries } = capture();
    const node: Record<string, unknown> = { name: "root" };
    node.self = node;
    expect(() => log.info({ node })).not.toThrow();
    expect(entries()[0]?.node).toEqual({ name: "root", self: "[Circular]" });
  });

  it("leaves out undefined values, functions and symbols, as JSON does, and writes null for them in arrays", () => {
    const { log, entries } = capture();
    log.info({
      kept: 1,
      nothing: undefined,
      fn: () => 1,
      sym: Symbol("s"),
      list: [undefined, () => 1, Symbol("t"), 2],
    });
    expect(entries()[0]).toStrictEqual({ level: "info", timestamp: NOW, kept: 1, list: [null, null, null, 2] });
  });

  it("writes only level and timestamp when given undefined instead of data", () => {
    const { log, entries } = capture();
    expect(() => log.info(undefined as unknown as Record<string, unknown>)).not.toThrow();
    expect(entries()[0]).toStrictEqual({ level: "info", timestamp: NOW });
  });

  it("writes a placeholder line instead of throwing when reading the data throws", () => {
    const { log, entries } = capture();
    const data = {
      msg: "lost",
      get broken(): string {
        throw new Error("getter failed for Bearer abc.def");
      },
    };
    expect(() => inRequest(() => log.warn(data)), "a log call must never throw").not.toThrow();
    expect(entries()[0]).toEqual({
      level: "warn",
      timestamp: NOW,
      requestId: "req-123",
      userId: null,
      msg: "log entry could not be serialized",
      reason: "getter failed for Bearer [REDACTED]",
    });
  });

  it("names the type of a thrown non-Error in the placeholder line", () => {
    const { log, entries } = capture();
    const data = {
      get broken(): string {
        throw "not an Error";
      },
    };
    log.info(data);
    expect(entries()[0]).toMatchObject({ msg: "log entry could not be serialized", reason: "string" });
  });

  it("does not change the data it was given", () => {
    const { log } = capture();
    const data = { password: "hunter2", headers: { authorization: "Bearer abc" }, note: "Bearer abc" };
    log.info(data);
    expect(data).toEqual({ password: "hunter2", headers: { authorization: "Bearer abc" }, note: "Bearer abc" });
  });
});

describe("redact", () => {
  it("copies plain values unchanged", () => {
    const value = { id: 1, name: "Alice", active: true, manager: null, tags: ["a", "b"], ratio: 0.5 };
    expect(redact(value)).toStrictEqual(value);
  });

  it("returns a copy and never changes its input", () => {
    const input = { user: { password: "hunter2" }, list: [{ token: "t" }] };
    const output = redact(input);
    expect(output, "redact must return a new object").not.toBe(input);
    expect(input, "the input must be left as it was").toEqual({
      user: { password: "hunter2" },
      list: [{ token: "t" }],
    });
  });

  it.each([
    "authorization",
    "Authorization",
    "AUTHORIZATION",
    "proxy-authorization",
    "token",
    "accessToken",
    "refresh_token",
    "secret",
    "clientSecret",
    "password",
    "passwordHash",
    "cookie",
    "Set-Cookie",
    "apiKey",
    "api_key",
    "api-key",
    "X-API-KEY",
  ])("masks the value of the key %j", (key) => {
    expect(redact({ [key]: "s3cr3t" }), `the key "${key}" looks secret`).toEqual({ [key]: "[REDACTED]" });
  });

  it.each(["author", "email", "api", "key", "monkey", "passage", "status"])("keeps the value of the key %j", (key) => {
    expect(redact({ [key]: "visible" }), `the key "${key}" is not a secret`).toEqual({ [key]: "visible" });
  });

  it("masks a secret key whose value is an object or array as a whole", () => {
    expect(redact({ cookie: { session: "abc" }, tokens: ["a", "b"] })).toEqual({
      cookie: "[REDACTED]",
      tokens: "[REDACTED]",
    });
  });

  it("masks secret keys at any depth and inside arrays", () => {
    const value = {
      user: { profile: { password: "p", name: "Alice" } },
      sessions: [
        { token: "t1", id: 1 },
        { token: "t2", id: 2 },
      ],
    };
    expect(redact(value)).toEqual({
      user: { profile: { password: "[REDACTED]", name: "Alice" } },
      sessions: [
        { token: "[REDACTED]", id: 1 },
        { token: "[REDACTED]", id: 2 },
      ],
    });
  });

  it.each([
    ["Bearer abc.def", "Bearer [REDACTED]"],
    ["calling the API with Bearer abc.def failed", "calling the API with Bearer [REDACTED] failed"],
    ["bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.s-_~+/=", "bearer [REDACTED]"],
    ["BEARER xyz", "BEARER [REDACTED]"],
    ["Bearer   spaced", "Bearer [REDACTED]"],
    ["Bearer one, then Bearer two", "Bearer [REDACTED], then Bearer [REDACTED]"],
    ["no credentials here", "no credentials here"],
  ])("masks bearer tokens in the string %j", (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it("masks bearer tokens in strings nested in objects and arrays", () => {
    expect(redact({ msg: "sent Bearer abc", list: ["Bearer x", "plain"] })).toEqual({
      msg: "sent Bearer [REDACTED]",
      list: ["Bearer [REDACTED]", "plain"],
    });
  });

  it("turns BigInt values into decimal strings", () => {
    expect(redact({ id: 9007199254740993n, ids: [1n, 2n] })).toEqual({ id: "9007199254740993", ids: ["1", "2"] });
  });

  it("turns Headers into a plain object and masks the secret ones", () => {
    const headers = new Headers({
      Authorization: "Bearer abc",
      "Content-Type": "application/json",
      Cookie: "sid=1",
      "X-Request-Id": "r1",
    });
    expect(redact({ headers })).toEqual({
      headers: {
        authorization: "[REDACTED]",
        "content-type": "application/json",
        cookie: "[REDACTED]",
        "x-request-id": "r1",
      },
    });
  });

  it("turns an Error into name, message and stack, with no cause when it has none", () => {
    const error = new RangeError("out of range");
    expect(redact(error)).toStrictEqual({ name: "RangeError", message: "out of range", stack: error.stack });
  });

  it("includes the cause of an Error, redacted the same way", () => {
    const root = new Error("connection refused");
    const error = new Error("query failed", { cause: root });
    const plain = new Error("with details", { cause: { apiKey: "k", attempt: 2 } });
    expect(redact(error)).toStrictEqual({
      name: "Error",
      message: "query failed",
      stack: error.stack,
      cause: { name: "Error", message: "connection refused", stack: root.stack },
    });
    expect(redact(plain)).toMatchObject({ cause: { apiKey: "[REDACTED]", attempt: 2 } });
  });

  it("masks a bearer token in an Error's message and in its stack", () => {
    const serialized = redact(new Error("upstream refused Bearer abc.def")) as { message: string; stack: string };
    expect(serialized.message).toBe("upstream refused Bearer [REDACTED]");
    expect(serialized.stack, "the stack repeats the message, so it must be masked too").toContain("Bearer [REDACTED]");
    expect(serialized.stack).not.toContain("abc.def");
  });

  it("logs Dates and URLs as JSON.stringify would", () => {
    expect(redact({ at: new Date(NOW), bad: new Date(Number.NaN), url: new URL("https://example.com/a?b=1") })).toEqual(
      {
        at: NOW,
        bad: null,
        url: "https://example.com/a?b=1",
      },
    );
  });

  // An object that serializes itself (a model class, a library's value type) hands back plain
  // data, secrets and all: what toJSON returns is logged, so it is redacted like any other data.
  it("masks secrets in what an object's own toJSON returns", () => {
    class Session {
      toJSON() {
        return { user: "alice", token: "t0k3n", note: "renewed with Bearer abc.def" };
      }
    }
    expect(redact({ session: new Session() }), "toJSON's result must go through redact too").toEqual({
      session: { user: "alice", token: "[REDACTED]", note: "renewed with Bearer [REDACTED]" },
    });
  });

  it('replaces a reference back to an enclosing object with "[Circular]"', () => {
    const parent: Record<string, unknown> = { name: "parent" };
    parent.children = [{ name: "child", parent }];
    const list: unknown[] = [1];
    list.push(list);
    const error = new Error("loop");
    error.cause = error;
    expect(redact(parent)).toEqual({ name: "parent", children: [{ name: "child", parent: "[Circular]" }] });
    expect(redact(list)).toEqual([1, "[Circular]"]);
    expect(redact(error)).toMatchObject({ message: "loop", cause: "[Circular]" });
  });

  // With a depth limit alone, an object that points to itself from 20 keys is copied 20^8 times.
  it("cuts every cycle at once, even in an object that points to itself from many keys", () => {
    const hub: Record<string, unknown> = {};
    for (let i = 0; i < 20; i++) hub[`k${i}`] = hub;
    const expected = Object.fromEntries(Object.keys(hub).map((key) => [key, "[Circular]"]));
    expect(redact(hub)).toEqual(expected);
  });

  it("copies an object that is referenced twice, but not circularly, in full both times", () => {
    const shared = { id: 1 };
    expect(redact({ a: shared, b: [shared] })).toEqual({ a: { id: 1 }, b: [{ id: 1 }] });
  });

  // nested(3) is { level: 1, child: { level: 2, child: { level: 3 } } }: three levels of objects.
  function nested(levels: number): Record<string, unknown> {
    let value: Record<string, unknown> = { level: levels };
    for (let level = levels - 1; level >= 1; level--) value = { level, child: value };
    return value;
  }

  function deepest(value: unknown): unknown {
    let node = value;
    while (typeof node === "object" && node !== null && "child" in node) node = (node as { child: unknown }).child;
    return node;
  }

  it("copies objects nested 8 levels deep in full", () => {
    expect(redact(nested(8)), "the 8th level must still be copied").toEqual(nested(8));
  });

  it('replaces the 9th level of nesting and below with "[Truncated]"', () => {
    expect(deepest(redact(nested(9))), "what stands in place of the 9th level").toBe("[Truncated]");
  });

  it("handles an object nested 100,000 levels deep without overflowing the stack", () => {
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 100_000; i++) deep = { child: deep };
    expect(() => JSON.stringify(redact(deep))).not.toThrow();
    expect(deepest(redact(deep))).toBe("[Truncated]");
  });
});
