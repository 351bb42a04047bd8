import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

// What every layer may want to know about the request it serves, without passing it down by
// hand: the logger reads requestId and userId from here, the rate limiter adds its headers.

export type RequestContext = {
  requestId: string;
  method: string;
  path: string;
  startedAt: number;
  userId?: string;
  /** Headers that any layer wants on the response, success or error. */
  responseHeaders: Headers;
};

const storage = new AsyncLocalStorage<RequestContext>();

// A client-sent id is kept only when it is short and made of safe characters, so it cannot
// inject into logs or headers.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function requestIdFrom(headers: Headers): string {
  const sent = headers.get("x-request-id");
  return sent && SAFE_REQUEST_ID.test(sent) ? sent : randomUUID();
}

export function runWithRequestContext<T>(request: Request, fn: () => T): T {
  const context: RequestContext = {
    requestId: requestIdFrom(request.headers),
    method: request.method,
    path: new URL(request.url).pathname,
    startedAt: performance.now(),
    responseHeaders: new Headers(),
  };
  return storage.run(context, fn);
}

export function getRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

export function setContextUser(userId: string): void {
  const context = storage.getStore();
  if (context) context.userId = userId;
}

export function addResponseHeaders(headers: Record<string, string>): void {
  const context = storage.getStore();
  if (!context) return;
  for (const [name, value] of Object.entries(headers)) context.responseHeaders.set(name, value);
}
