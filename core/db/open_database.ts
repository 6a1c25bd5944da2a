/** Opens the database the settings name: a PostgreSQL server when a URL is set, else embedded PGlite. */
import type { Config } from "../runtime/config.ts";
import type { Database } from "./database.ts";

/** Opens the configured database; PGlite is loaded only when used, so server workers never pull it in. */
export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir">,
  options: { applicationName?: string; max?: number } = {},
): Promise<Database> {
  if (config.databaseUrl) {
    const { openPostgresDatabase } = await import("./database_postgres.ts");
    return openPostgresDatabase(config.databaseUrl, options);
  }
  const { openPgliteDatabase } = await import("./database_pglite.ts");
  return openPgliteDatabase(config.dataDir);
}
