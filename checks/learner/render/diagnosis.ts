import type { ChalkInstance } from "chalk";
import type { CheckResult } from "../check/check-result.ts";
import { visible } from "./text.ts";

// The line a check adds under its first failure when that failure is the way a known mistake
// fails (learner/diagnosis/diagnose.ts decides): what the learner most likely did, and where to
// look. It says "looks like": a diagnosis is a strong hint from how the tests failed, not a proof.

export function diagnosisLines(result: Pick<CheckResult, "diagnosis">, c: ChalkInstance): string[] {
  if (!result.diagnosis) return [];
  return [`  ${c.magenta.bold("This looks like a known mistake:")} ${visible(result.diagnosis.note)}`];
}
