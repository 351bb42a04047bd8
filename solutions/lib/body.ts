import type { z } from "zod";
import { config } from "@/lib/config";
import { apiError } from "@/lib/errors";

// Reading what a client sent, with limits: a body is read only up to BODY_LIMIT_BYTES (a
// client cannot make us buffer a gigabyte), must be UTF-8 JSON, and is then checked by a schema.

async function readCapped(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch((error: unknown) => {
      // The stream fails when the client goes away mid-upload: their doing, not a server fault.
      throw apiError("VALIDATION_ERROR", "Request body could not be read", { cause: error });
    });
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number) {
  return apiError("PAYLOAD_TOO_LARGE", `Request body must be at most ${limit} bytes`);
}

// The body must say it is JSON: a form or text/plain body is refused rather than parsed anyway,
// so a browser's cross-site form post (which cannot send application/json without a CORS
// preflight) never reaches a handler. Only UTF-8 is read, so another charset is refused too.
function assertJsonContentType(request: Request): void {
  const [type = "", ...params] = (request.headers.get("content-type") ?? "")
    .split(";")
    .map((part) => part.trim().toLowerCase());
  const charset = params
    .find((param) => param.startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/^"|"$/g, "");
  if (type !== "application/json" || (charset !== undefined && charset !== "utf-8" && charset !== "utf8")) {
    throw apiError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
}

// A JSON string may spell half of a surrogate pair ("\ud800"), which is no character at all:
// stored, it comes back as something else, so it is refused like bytes that are not UTF-8.
// The \p{Cs} class of a Unicode regex matches only such lone halves, never a well-formed pair.
const LONE_SURROGATE = /\p{Cs}/u;

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === "string") return LONE_SURROGATE.test(value);
  if (typeof value !== "object" || value === null) return false;
  for (const [key, item] of Object.entries(value)) if (LONE_SURROGATE.test(key) || hasLoneSurrogate(item)) return true;
  return false;
}

/**
 * The request's JSON body; 415 unless it is sent as application/json, 400 when it is missing,
 * malformed or not valid Unicode, 413 when it is too large.
 */
export async function readJson(request: Request, limit = config().BODY_LIMIT_BYTES): Promise<unknown> {
  assertJsonContentType(request);
  const bytes = await readCapped(request, limit);
  if (bytes.byteLength === 0) throw apiError("VALIDATION_ERROR", "Request body is required");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw apiError("VALIDATION_ERROR", "Request body is not valid UTF-8", { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw apiError("VALIDATION_ERROR", "Malformed JSON body", { cause: error });
  }
  if (hasLoneSurrogate(value))
    throw apiError("VALIDATION_ERROR", "Request body holds a string that is not valid Unicode");
  return value;
}

export async function parseBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  return schema.parse(await readJson(request));
}

export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.output<S> {
  const params = new URL(request.url).searchParams;
  const query = new Map<string, string>();
  for (const [key, value] of params) {
    // A repeated parameter is ambiguous: reject it instead of silently picking one.
    if (query.has(key)) {
      throw apiError("VALIDATION_ERROR", "Invalid request", { details: { [key]: ["Given more than once"] } });
    }
    query.set(key, value);
  }
  // fromEntries defines own properties, so a key such as __proto__ is seen (and rejected).
  return schema.parse(Object.fromEntries(query));
}

export async function parseParams<S extends z.ZodType>(params: Promise<unknown>, schema: S): Promise<z.output<S>> {
  return schema.parse(await params);
}
