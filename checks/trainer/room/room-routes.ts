import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./room-http.ts";

// A route: a path pattern and a handler per method. The server finds the route, answers 405
// naming the methods it takes, or 404.

export interface RequestContext {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** The pattern's captured parts of the path. */
  params: string[];
  /** Who is asking, for per-address limits (an IPv4 address, or an IPv6 /64). */
  address: string;
}

type Handler = (context: RequestContext) => void | Promise<void>;

export interface Route {
  path: RegExp;
  methods: Partial<Record<"GET" | "HEAD" | "POST" | "PUT" | "DELETE", Handler>>;
}

export function findHandler(routes: readonly Route[], method: string, pathname: string): [Handler, string[]] {
  for (const route of routes) {
    const match = route.path.exec(pathname);
    if (!match) continue;
    const handler = route.methods[method as keyof Route["methods"]];
    if (!handler) throw new HttpError(405, `Use ${Object.keys(route.methods).join(" or ")} here.`);
    return [handler, match.slice(1)];
  }
  throw new HttpError(404, `Nothing at ${pathname}.`);
}
