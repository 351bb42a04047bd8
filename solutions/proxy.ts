import { type NextRequest, NextResponse } from "next/server";
import { apiError, withErrorHandler } from "@/lib/errors";

// Two kinds of bad input that Next handles before any route code runs, answered here the way
// every route answers bad input: 400 with the envelope, a request id and a log line.
//
// Next decodes a dynamic segment such as [id] first, and answers a path it cannot decode
// ("/api/users/%E0%A4") with its own plain-text 500.
const malformedUrl = withErrorHandler(async () => {
  throw apiError("VALIDATION_ERROR", "Malformed URL: invalid percent-encoding");
});

// Next rebuilds the URL a route sees from a plain object of the query, where a `__proto__`
// parameter is silently lost, so GET /api/users?__proto__=1 would be served as if it were not
// there, while ?constructor=1 (which survives) is refused as an unknown parameter. The proxy
// sees the URL as sent (skipProxyUrlNormalize in next.config.ts).
const prototypeParameter = withErrorHandler(async () => {
  throw apiError("VALIDATION_ERROR", "Invalid request", {
    details: Object.defineProperty({}, "__proto__", { value: ["Unknown field"], enumerable: true }),
  });
});

const noParams = { params: Promise.resolve({}) };

export function proxy(request: NextRequest): Promise<Response> | Response {
  if (request.nextUrl.pathname === "/api/users" && request.nextUrl.searchParams.has("__proto__")) {
    return prototypeParameter(request, noParams);
  }
  try {
    decodeURIComponent(request.nextUrl.pathname);
    return NextResponse.next();
  } catch {
    return malformedUrl(request, noParams);
  }
}

// Only a path with a percent sign can be malformed, and only the list (a GET, without a body)
// reads a query, so no other request pays for the proxy. A request that frames a body
// (Transfer-Encoding, or a Content-Length other than 0) never goes through it: Next would buffer
// a POST's body for the proxy first, and a client that dropped the connection mid-upload would
// then never reach the route that logs it. Content-Length: 0, which some clients send with every
// request, frames nothing to buffer, so it does go through. A GET that frames a body skips the
// proxy and is refused by the route instead (refuseBodyOnGet in lib/guard.ts), so no GET
// reaches the list with a `__proto__` the proxy did not see.
export const config = {
  matcher: [
    "/api/:path(.*%.*)",
    {
      source: "/api/users",
      missing: [
        { type: "header", key: "content-length" },
        { type: "header", key: "transfer-encoding" },
      ],
    },
    {
      source: "/api/users",
      // `value` is a regular expression that must match the whole header: exactly "0".
      has: [{ type: "header", key: "content-length", value: "0" }],
      missing: [{ type: "header", key: "transfer-encoding" }],
    },
  ],
};
