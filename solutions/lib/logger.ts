import { config } from "@/lib/config";
import { getRequestContext } from "@/lib/request-context";

// Structured logging: one JSON object per line, so log tools can search by field. Every entry
// carries the request it belongs to, and secrets are redacted before anything is written.

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogData = Record<string, unknown>;
export type LogSink = (level: LogLevel, line: string) => void;

const REDACTED = "[REDACTED]";
const SECRET_KEY = /authorization|token|secret|password|cookie|api[-_]?key/i;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const MAX_DEPTH = 8;

function serializeError(error: Error, depth: number): LogData {
  return {
    name: error.name,
    message: redact(error.message, depth + 1),
    stack: error.stack,
    ...(error.cause !== undefined && { cause: redact(error.cause, depth + 1) }),
  };
}

/** A copy of `value` that is safe to log: secret-looking keys and bearer tokens are masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.replace(BEARER, `$1 ${REDACTED}`);
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[Truncated]";
  if (value instanceof Error) return serializeError(value, depth);
  if (value instanceof Headers) return redact(Object.fromEntries(value), depth);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: LogData = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
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
    const entry = {
      level,
      timestamp: now().toISOString(),
      ...(context && { requestId: context.requestId, userId: context.userId ?? null }),
      ...(redact(data) as LogData),
    };
    sink(level, JSON.stringify(entry));
  };
  return {
    debug: (data) => log("debug", data),
    info: (data) => log("info", data),
    warn: (data) => log("warn", data),
    error: (data) => log("error", data),
  };
}

export const logger = createLogger({ level: () => config().LOG_LEVEL });
