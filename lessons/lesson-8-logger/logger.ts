import { config } from "@/lib/config";
import { getRequestContext } from "@/lib/request-context";
import { notImplemented } from "../not-implemented";

// Structured logging: one JSON object per line, so log tools can search by field. Every entry
// carries the request it belongs to, and secrets are redacted before anything is written.

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogData = Record<string, unknown>;
export type LogSink = (level: LogLevel, line: string) => void;

// The markers the tests expect in place of what was left out.
const REDACTED = "[REDACTED]";
const CIRCULAR = "[Circular]";
const TRUNCATED = "[Truncated]";
const MAX_DEPTH = 8;

// TODO: return a deep copy of `value` that is safe to log. Never change `value` itself.
// - Strings: replace every "Bearer <token>" with "Bearer [REDACTED]" (any case, keep the word).
// - BigInt: its decimal string. Other primitives, undefined and functions: as they are.
// - The value of any key that looks secret (authorization, token, secret, password, cookie,
//   api key: apiKey, api_key, X-API-Key…, in any case, anywhere in the key name): REDACTED.
// - Error: { name, message, stack, cause } (cause only when there is one), masked as above.
// - Headers: a plain object of its entries, masked as above.
// - Anything with a toJSON method (Date, URL): what toJSON returns, as JSON.stringify would.
// - Arrays and plain objects: copied, every item masked as above.
// - An object that contains itself somewhere below: CIRCULAR in place of the repeat.
// - Only MAX_DEPTH levels of objects and arrays are copied; anything deeper is TRUNCATED.
// A recursive helper that also receives the objects on the path from the top is one way to go.
export function redact(value: unknown): unknown {
  return notImplemented("lesson-8", "redact");
}

const defaultSink: LogSink = (level, line) => {
  if (level === "error") console.error(line);
  else console.log(line);
};

export type LoggerOptions = {
  level?: LogLevel | "silent" | (() => LogLevel | "silent");
  sink?: LogSink;
  now?: () => Date;
};

export type Logger = Record<LogLevel, (data: LogData) => void>;

// TODO: return { debug, info, warn, error }. Each call below the minimum level writes nothing;
// the minimum is options.level ("info" when absent; "silent" writes nothing at all), and when it
// is a function, call it on every log call so that a change of LOG_LEVEL applies at once.
// Otherwise call sink(level, line) once (defaultSink when none is given) with one line of JSON:
// { level, timestamp: now().toISOString() (new Date() when no clock is given), then, inside a
// request (getRequestContext()), requestId and userId (null until someone is authenticated),
// then the redacted data }. A field of the data must not overwrite level, timestamp or the ids.
// Logging must never throw: if the data cannot be turned into JSON (a getter that throws), write
// { level, timestamp, …ids, msg: "log entry could not be serialized", reason } where reason is
// the thrown Error's message, masked like any string (for anything else thrown: its typeof).
export function createLogger(options: LoggerOptions = {}): Logger {
  return notImplemented("lesson-8", "createLogger");
}

// The reference builds this at import time; here it is built on first use, so that this file
// can be imported before createLogger is written.
let defaultLogger: Logger | undefined;
const useDefault = () => (defaultLogger ??= createLogger({ level: () => config().LOG_LEVEL }));

export const logger: Logger = {
  debug: (data) => useDefault().debug(data),
  info: (data) => useDefault().info(data),
  warn: (data) => useDefault().warn(data),
  error: (data) => useDefault().error(data),
};
