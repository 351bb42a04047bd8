import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { describeIssue } from "../../learner/room/protocol.ts";

// The room's HTTP vocabulary: one error type that carries its status, the headers on every
// answer, and bodies read with a size cap. Every answer is small JSON, a fixed file or the feed.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

// Nothing inline, nothing from elsewhere: even a name that slipped past textContent could not run.
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const securityHeaders = {
  "Content-Security-Policy": contentSecurityPolicy,
  "X-Content-Type-Options": "nosniff",
  // A link the trainer opens with the key in it must not pass the key on.
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Frame-Options": "DENY",
};

/** The request's address; one that cannot be read (`GET http://[::1 HTTP/1.1`) is the client's mistake. */
export function requestUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? "/", "http://room.invalid");
  } catch {
    throw new HttpError(400, "The request's address cannot be read.");
  }
}

/** A malformed %-escape is simply a wrong code, not a server error. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return "";
  }
}

export function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new HttpError(400, `Invalid request: ${describeIssue(result.error)}.`);
  return result.data;
}

export function reply(
  response: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...securityHeaders,
    ...headers,
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
}

export function replyJson(response: ServerResponse, status: number, body: unknown): void {
  reply(response, status, "application/json; charset=utf-8", JSON.stringify(body));
}

export function replyEmpty(response: ServerResponse, status = 204, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...securityHeaders, ...headers }).end();
}

/** One cookie's value from the request's Cookie header. */
export function cookie(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return safeDecode(value.join("="));
  }
  return undefined;
}

/** Reads a JSON body of at most `limit` bytes; a bigger one is refused before it is all read. */
export function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const type = request.headers["content-type"] ?? "";
  // JSON only: a page elsewhere cannot post JSON here without the browser asking first.
  if (!/^application\/json\b/i.test(type))
    return Promise.reject(new HttpError(415, "Send the body as application/json."));
  // Made only when needed: an Error records a stack, which costs more than reading a small body.
  const tooBig = () => new HttpError(413, `The body is over ${limit} bytes.`, { Connection: "close" });
  if (Number(request.headers["content-length"] ?? 0) > limit) return Promise.reject(tooBig());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off("data", onData);
        request.pause();
        reject(tooBig());
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.on("error", reject);
    request.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "The body is not valid JSON."));
      }
    });
  });
}
