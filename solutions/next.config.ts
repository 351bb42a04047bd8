import path from "node:path";
import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Tests and benchmarks build into their own folder so they never race a developer's build.
  distDir: process.env.NEXT_DIST_DIR ?? ".next",
  // The app lives in solutions/ but its packages are installed one level up.
  turbopack: { root: path.join(import.meta.dirname, "..") },
  outputFileTracingRoot: path.join(import.meta.dirname, ".."),
  // better-sqlite3 is a native addon: load it from node_modules instead of bundling it.
  serverExternalPackages: ["better-sqlite3", "@prisma/adapter-better-sqlite3"],
  poweredByHeader: false,
  // The proxy (proxy.ts) sees the URL as the client sent it, not one rebuilt from the parsed
  // query, where a `__proto__` parameter is lost.
  skipProxyUrlNormalize: true,
};

export default nextConfig;
