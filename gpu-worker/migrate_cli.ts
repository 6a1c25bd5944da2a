/**
 * `npm run migrate`: applies migrations/ to the configured database (DATABASE_URL or POSTGRES_*, else
 * the embedded one) and checks that pgvector is enabled.
 */
import process from "node:process";
import { loadConfig } from "./lib/config.ts";
import { migrate } from "./lib/migrate.ts";
import { openDatabase } from "./lib/open_database.ts";
import { sql } from "./lib/sql.ts";

try {
  const config = loadConfig();
  const db = await openDatabase(config, { applicationName: "csv-sorter-migrate", max: 1 });
  try {
    const applied = await migrate(db);
    const [vector] = await db.query<{ version: string }>(
      sql`SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'`,
    );
    console.log(applied.length > 0 ? `Applied: ${applied.join(", ")}` : "Schema is up to date");
    console.log(`pgvector ${vector.version} is enabled`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
