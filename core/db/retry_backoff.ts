import { sql } from "./sql.ts";

/**
 * When a failed job or embedding batch is tried again, as an SQL expression over the row's `attempts`
 * column: 2^attempts seconds after now (2 s, 4 s, 8 s …), at most an hour, so a poison row stops costing
 * work without being lost. graphile-worker's default back-off has the same shape (exp(attempts) seconds).
 */
export const RETRY_AT = sql`now() + make_interval(secs => least(3600, power(2, attempts)::int))`;
