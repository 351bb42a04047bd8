import { existsSync } from "node:fs";
import path from "node:path";

// Loads solutions/.env.local the way Next does for the server, so the scripts and the server
// sign and check tokens with the same AUTH_SECRET. Variables already set win.
export function loadLocalEnv(dir = "solutions"): void {
  const file = path.join(dir, ".env.local");
  if (existsSync(file)) process.loadEnvFile(file);
}
