import { NextResponse } from "next/server";
import { withErrorHandler } from "@/lib/errors";
import { guardPublic } from "@/lib/guard";

// Liveness: answers without touching the database, so it is also the benchmarks' baseline.
export const GET = withErrorHandler(async (request) => {
  await guardPublic(request);
  return NextResponse.json({ status: "ok" });
});
