import Database from "better-sqlite3";
import { databaseFile, databaseKind, databaseUrl } from "@/lib/database-url";

// The users table read and rewritten on a connection of its own, beside the app's client, so a
// test can see exactly what a request changed and put everything back: on SQLite or PostgreSQL.

export type RawUsers = {
  /** Every row, oldest id first, as text: equal snapshots mean an unchanged table. */
  snapshot(): Promise<string>;
  /** Puts back the rows of an earlier snapshot, ids included, and nothing else. */
  restore(snapshot: string): Promise<void>;
  close(): Promise<void>;
};

const asText = (rows: unknown[][]) =>
  JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? String(v) : v instanceof Date ? v.toISOString() : v));

export async function openRawUsers(url = databaseUrl()): Promise<RawUsers> {
  if (databaseKind(url) === "sqlite") {
    const raw = new Database(databaseFile(url));
    raw.defaultSafeIntegers(true);
    const snapshot = () => asText(raw.prepare(`SELECT * FROM "User" ORDER BY id`).raw().all() as unknown[][]);
    return {
      snapshot: async () => snapshot(),
      async restore(text) {
        const rows = JSON.parse(text) as (string | number)[][];
        raw.transaction(() => {
          raw.prepare(`DELETE FROM "User"`).run();
          if (rows.length === 0) return;
          const insert = raw.prepare(`INSERT INTO "User" VALUES (${rows[0]!.map(() => "?").join(", ")})`);
          for (const row of rows) insert.run(...row.map((v, i) => (i === 0 ? BigInt(v) : v)));
        })();
      },
      close: async () => void raw.close(),
    };
  }
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const snapshot = async () =>
    asText((await client.query({ text: `SELECT * FROM "User" ORDER BY id`, rowMode: "array" })).rows);
  return {
    snapshot,
    async restore(text) {
      const rows = JSON.parse(text) as (string | number)[][];
      await client.query("BEGIN");
      try {
        await client.query(`DELETE FROM "User"`);
        for (const row of rows) {
          await client.query(`INSERT INTO "User" VALUES (${row.map((_, i) => `$${i + 1}`).join(", ")})`, row);
        }
        // Rows put back with their ids leave the id sequence behind them; move it past them.
        await client.query(
          `SELECT setval(pg_get_serial_sequence('"User"', 'id'), GREATEST((SELECT MAX(id) FROM "User"), 1))`,
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    },
    close: () => client.end(),
  };
}
