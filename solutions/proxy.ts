import { type NextRequest, NextResponse } from "next/server";
import { apiError, withErrorHandler } from "@/lib/errors";

// Next decodes a dynamic segment such as [id] before any route code runs, and answers a path it
// cannot decode ("/api/users/%E0%A4") with its own plain-text 500. This proxy runs before that
// step and answers such a path the way every route answers bad input: 400 with the envelope,
// a request id and a log line.
const malformedUrl = withErrorHandler(async () => {
  throw apiError("VALIDATION_ERROR", "Malformed URL: invalid percent-encoding");
});

export function proxy(request: NextRequest): Promise<Response> | Response {
  try {
    decodeURIComponent(request.nextUrl.pathname);
    return NextResponse.next();
  } catch {
    return malformedUrl(request, { params: Promise.resolve({}) });
  }
}

// Only a path with a percent sign can be malformed, so no other request pays for the proxy.
export const config = { matcher: "/api/:path(.*%.*)" };
