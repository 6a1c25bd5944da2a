/**
 * `npm run migrate`: applies migrations/ to the configured database (DATABASE_URL or POSTGRES_*, else
 * the embedded one) and checks that pgvector is enabled.
 */
import process from "node:process";
import { loadConfig } from "../core/runtime/config.ts";
import { migrate } from "../core/db/migrate.ts";
import { openDatabase } from "../core/db/open_database.ts";
import { sql } from "../core/db/sql.ts";

/** Where the migrations go, for messages: host:port/database (never the password), or the data dir. */
function target(databaseUrl: string | undefined, dataDir: string): string {
  if (!databaseUrl) return `the embedded database in ${dataDir}`;
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "the configured server";
  }
}

try {
  const config = loadConfig();
  console.log(`Migrating ${target(config.databaseUrl, config.dataDir)}`);
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
