// Targets and the printed table. A target compares one measured figure with a limit and says
// PASS or MISS; a figure that could not be measured says SKIPPED instead of passing quietly.

type Verdict = "PASS" | "MISS" | "SKIPPED";
type Comparison = "at least" | "at most" | "below";

export type TargetResult = {
  name: string;
  measured: number | null;
  comparison: Comparison;
  limit: number;
  unit: string;
  verdict: Verdict;
  note?: string;
};

export function judge(
  name: string,
  measured: number | null,
  comparison: Comparison,
  limit: number,
  unit: string,
  note?: string,
): TargetResult {
  let verdict: Verdict = "SKIPPED";
  if (measured !== null && Number.isFinite(measured)) {
    const met =
      comparison === "at least" ? measured >= limit : comparison === "at most" ? measured <= limit : measured < limit;
    verdict = met ? "PASS" : "MISS";
  }
  return { name, measured, comparison, limit, unit, verdict, ...(note && { note }) };
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  const numeric = header.map(
    (_, column) => rows.length > 0 && rows.every((row) => typeof row[column] === "number" || row[column] === "–"),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join("  ")
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => "─".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

export function formatTargets(targets: readonly TargetResult[]): string {
  return formatTable(
    ["target", "measured", "limit", "verdict"],
    targets.map((t) => [
      t.name,
      t.measured === null ? "–" : `${t.measured} ${t.unit}`,
      `${t.comparison} ${t.limit} ${t.unit}`,
      t.note ? `${t.verdict} (${t.note})` : t.verdict,
    ]),
  );
}
