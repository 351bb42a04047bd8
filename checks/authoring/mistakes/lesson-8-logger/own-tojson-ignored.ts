// Mistake: objects with their own toJSON (Date, URL) are copied field by field and come out as {}.

import { config } from "@/lib/config";
import { getRequestContext } from "@/lib/request-context";

// Structured logging: one JSON object per line, so log tools can search by field. Every entry
// carries the request it belongs to, and secrets are redacted before anything is written.

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogData = Record<string, unknown>;
export type LogSink = (level: LogLevel, line: string) => void;

const REDACTED = "[REDACTED]";
const CIRCULAR = "[Circular]";
const TRUNCATED = "[Truncated]";
const SECRET_KEY = /authorization|token|secret|password|cookie|api[-_]?key/i;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const MAX_DEPTH = 8;

/** A copy of `value` that is safe to log: secret-looking keys and bearer tokens are masked. */
export function redact(value: unknown): unknown {
  return redactValue(value, []);
}

// `ancestors` holds the objects on the path from the top down to `value`. Meeting one of them
// again is a cycle, cut at once: a depth limit alone would still copy an object that points to
// itself from several keys exponentially many times. The depth limit cuts chains that are merely
// very deep, so neither can hang the process or overflow the stack.
function redactValue(value: unknown, ancestors: object[]): unknown {
  if (typeof value === "string") return value.replace(BEARER, `$1 ${REDACTED}`);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (ancestors.includes(value)) return CIRCULAR;
  if (ancestors.length >= MAX_DEPTH) return TRUNCATED;
  const path = [...ancestors, value];
  const inner = (item: unknown) => redactValue(item, path);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: inner(value.message),
      // The stack starts with the message, so it is masked too.
      stack: inner(value.stack),
      ...(value.cause !== undefined && { cause: inner(value.cause) }),
    };
  }
  if (value instanceof Headers) return inner(Object.fromEntries(value));
  // Date, URL and the like have no own fields to copy; log them as JSON.stringify would.
  if (Array.isArray(value)) return value.map(inner);
  const out: LogData = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : inner(item);
  }
  return out;
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

export function createLogger(options: LoggerOptions = {}): Logger {
  const { sink = defaultSink, now = () => new Date() } = options;
  const minLevel = () => {
    const level = typeof options.level === "function" ? options.level() : options.level;
    return level ?? "info";
  };
  const log = (level: LogLevel, data: LogData) => {
    const min = minLevel();
    if (min === "silent" || LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(min)) return;
    const context = getRequestContext();
    const own = {
      level,
      timestamp: now().toISOString(),
      ...(context && { requestId: context.requestId, userId: context.userId ?? null }),
    };
    let line: string;
    try {
      // `own` goes first to lead the line and again last to win: a field in `data` cannot
      // overwrite the level, the timestamp or the ids of the request.
      line = JSON.stringify({ ...own, ...(redact(data) as LogData), ...own });
    } catch (error) {
      // A getter or toJSON that throws must not turn a log call into a failed request.
      const reason = error instanceof Error ? redact(error.message) : typeof error;
      line = JSON.stringify({ ...own, msg: "log entry could not be serialized", reason });
    }
    sink(level, line);
  };
  return {
    debug: (data) => log("debug", data),
    info: (data) => log("info", data),
    warn: (data) => log("warn", data),
    error: (data) => log("error", data),
  };
}

export const logger = createLogger({ level: () => config().LOG_LEVEL });
