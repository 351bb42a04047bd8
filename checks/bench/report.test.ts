import { describe, expect, it } from "vitest";
import { formatTable, judge } from "./report";
import { median } from "./stats";

describe("judge", () => {
  it.each([
    ["at least", 85, 85, "PASS"],
    ["at least", 84.9, 85, "MISS"],
    ["at most", 1.4, 1.4, "PASS"],
    ["at most", 1.41, 1.4, "MISS"],
    ["below", 24.9, 25, "PASS"],
    ["below", 25, 25, "MISS"],
  ] as const)("%s: %d against %d is %s", (comparison, measured, limit, verdict) => {
    expect(judge("t", measured, comparison, limit, "ms").verdict).toBe(verdict);
  });

  it.each([[null], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    "calls a figure of %s SKIPPED, never PASS",
    (measured) => {
      expect(judge("t", measured, "below", 25, "ms").verdict).toBe("SKIPPED");
    },
  );
});

describe("median", () => {
  it.each([
    [[3], 3],
    [[5, 1, 3], 3],
    [[4, 1, 3, 2], 2.5],
  ])("of %j is %d", (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it("refuses an empty list", () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe("formatTable", () => {
  it("pads columns to the widest cell and right-aligns numbers", () => {
    expect(
      formatTable(
        ["name", "n"],
        [
          ["a", 1],
          ["bbb", 22],
        ],
      ).split("\n"),
    ).toEqual(["name   n", "────  ──", "a      1", "bbb   22"]);
  });
});
