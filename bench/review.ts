/**
 * `npm run bench:review`: reviewers deciding as fast as the server lets them, through the served app
 * (createSecureApp signed in with an API token per reviewer, `app.request`: authentication, routing,
 * validation, the queries and JSON, no network), on the embedded database (PGlite, in memory) — or,
 * with TEST_DATABASE_URL, on a PostgreSQL server (a fresh database per case, as the test suites make them:
 * `scripts/pg_test_server.sh start` prints one).
 *
 * The catalogue: --catalogue real Walmart-Amazon titles (default 3,000) with their real vectors
 * (bench/catalogue.ts: embedded once, cached), every tenth seed-labelled, the others suggested a value.
 * Each case starts from the same catalogue and runs --reviewers reviewers at once for --seconds: each
 * reads a page of the queue as its own account (leases) and sends every card's decision as the
 * browser does (an approval of the value shown, `expected_feedback_id: null`, a `decision_key`), with up
 * to --in-flight decisions under way per reviewer.
 *
 * Two ways of serving a decision, measured in the same run: "inline" re-scores the 20 nearest waiting rows
 * before answering (the app without a NeighbourRefresher, as decisions were served before), "deferred"
 * answers once stored and re-scores the neighbours right after, in batches (the served app). Reported:
 * decisions stored per second, save latency p50/p95/max, conflicts (409: a card two reviewers got) and
 * silent overwrites (products with more than one stored decision: must be 0).
 *
 * Options: --catalogue N (3000), --reviewers N (5), --seconds N (20), --in-flight N (4), --pace MS (0):
 * with a pace, each lane sends at most one decision per MS milliseconds (a reviewer's time per card), so
 * the server is measured at a given load instead of saturated: 5 reviewers × 1 in flight × 500 ms offer
 * 10 decisions per second, the issue's goal, and the save latency is then the latency a reviewer sees.
 */
import { signedInApp } from "../testing/signed_in_app.ts";
import { parseArgs } from "node:util";
import type { ReviewPage } from "../contract/schemas.ts";
import type { Database } from "../core/db/database.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { migrate } from "../core/db/migrate.ts";
import { sql, vectorLiteral } from "../core/db/sql.ts";
import { TEST_MODEL_ID } from "../testing/testing.ts";
import { openServerTestDatabase, testServerUrl } from "../testing/test_server.ts";
import { NeighbourRefresher } from "../core/review/neighbour_refresh.ts";
import { catalogueRows, createCatalogueImport, embedCached, insertProducts } from "./catalogue.ts";
import { percentile } from "./percentile.ts";

const { values } = parseArgs({
  options: {
    catalogue: { type: "string", default: "3000" },
    reviewers: { type: "string", default: "5" },
    seconds: { type: "string", default: "20" },
    "in-flight": { type: "string", default: "4" },
    pace: { type: "string", default: "0" },
  },
});
const CATALOGUE = Number(values.catalogue);
const REVIEWERS = Number(values.reviewers);
const SECONDS = Number(values.seconds);
const IN_FLIGHT = Number(values["in-flight"]);
const PACE_MS = Number(values.pace);

/** A fresh database holding the catalogue: in memory, or on the server TEST_DATABASE_URL names. */
async function catalogue(vectors: number[][]): Promise<Database> {
  const server = testServerUrl() !== undefined;
  const db = server ? await openServerTestDatabase({ migrated: true }) : await openPgliteDatabase(undefined);
  if (!server) await migrate(db);
  // Row-by-row inserts into the HNSW index crawl on PGlite: built once at the end instead.
  await db.query(sql`DROP INDEX embeddings_embedding_hnsw`);
  const rows = catalogueRows().slice(0, CATALOGUE);
  const importId = await createCatalogueImport(db, "catalogue.csv", rows.length);
  for (let first = 0; first < rows.length; first += 1000) {
    await insertProducts(db, importId, {
      firstRowNumber: first + 1,
      rows: rows.slice(first, first + 1000),
      vectors: vectors.slice(first, first + 1000).map(vectorLiteral),
    });
  }
  await db.query(
    sql`CREATE INDEX embeddings_embedding_hnsw ON embeddings USING hnsw (embedding vector_cosine_ops)`,
  );
  await db.query(sql`ANALYZE`);
  return db;
}

interface Outcome {
  mode: string;
  stored: number;
  conflicts: number;
  errors: number;
  latencies: number[];
  overwrites: number;
  seconds: number;
  refreshBatches: number;
}

/** Runs REVIEWERS reviewers for SECONDS against a fresh catalogue, serving decisions `mode`'s way. */
async function run(mode: "inline" | "deferred", vectors: number[][]): Promise<Outcome> {
  const db = await catalogue(vectors);
  const neighbours = mode === "deferred" ? new NeighbourRefresher(db, { modelId: TEST_MODEL_ID }) : undefined;
  const deps = { db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024, neighbours };
  // One account per reviewer, signed in as the review page would be: leases and decisions are per account.
  const accounts = new Map<string, Awaited<ReturnType<typeof signedInApp>>>();
  for (let i = 1; i <= REVIEWERS; i++) {
    accounts.set(`reviewer-${i}`, await signedInApp(deps, { name: `reviewer-${i}`, role: "reviewer" }));
  }
  const latencies: number[] = [];
  let stored = 0, conflicts = 0, errors = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;

  async function reviewer(name: string): Promise<void> {
    const app = accounts.get(name)!;
    let cursor: string | null = null;
    while (performance.now() < deadline) {
      const url: string = `/products-for-review?limit=20&lease=true${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await (await app.request(url)).json() as ReviewPage;
      cursor = page.next_cursor;
      if (page.items.length === 0) {
        if (cursor === null) return;
        continue;
      }
      const cards = [...page.items];
      const lane = async () => {
        for (let item = cards.shift(); item && performance.now() < deadline; item = cards.shift()) {
          const sent = performance.now();
          const response = await app.request("/submit-feedback", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              product_id: item.product_id,
              approved: item.suggestion !== null,
              corrected_text: item.suggestion === null ? "reviewed" : null,
              ...(item.suggestion === null ? {} : { expected_value: item.suggestion }),
              expected_feedback_id: null,
              decision_key: crypto.randomUUID(),
            }),
          });
          await response.body?.cancel();
          latencies.push(performance.now() - sent);
          if (response.status === 201) stored++;
          else if (response.status === 409) conflicts++;
          else errors++;
          const wait = PACE_MS - (performance.now() - sent);
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    }
  }

  await Promise.all(Array.from({ length: REVIEWERS }, (_, i) => reviewer(`reviewer-${i + 1}`)));
  const seconds = (performance.now() - started) / 1000;
  await neighbours?.close();
  const [{ overwrites }] = await db.query<{ overwrites: number }>(sql`
    SELECT count(*)::int AS overwrites FROM (
      SELECT product_id FROM feedback GROUP BY product_id HAVING count(*) > 1
    ) twice`);
  await db.close();
  latencies.sort((a, b) => a - b);
  return {
    mode,
    stored,
    conflicts,
    errors,
    latencies,
    overwrites,
    seconds,
    refreshBatches: neighbours?.batches ?? stored,
  };
}

const rows = catalogueRows().slice(0, CATALOGUE);
console.error(`embedding ${rows.length} real titles (cached after the first run)…`);
const vectors = await embedCached(rows.map((row) => row.title), "review");
console.log(
  `bench:review: ${CATALOGUE} products, ${REVIEWERS} reviewers × ${IN_FLIGHT} decisions in flight, ` +
    `${SECONDS} s each, ${testServerUrl() ? "PostgreSQL server" : "PGlite in memory"}` +
    (PACE_MS > 0 ? `, one decision per ${PACE_MS} ms per lane at most` : ", as fast as answered"),
);
const outcomes: Outcome[] = [];
for (const mode of ["inline", "deferred"] as const) {
  console.error(`running ${mode}…`);
  outcomes.push(await run(mode, vectors));
}
console.log(
  "mode       decisions/s   p50 ms   p95 ms   max ms   re-score batches   409   errors   overwrites",
);
for (const o of outcomes) {
  console.log(
    `${o.mode.padEnd(10)} ${(o.stored / o.seconds).toFixed(1).padStart(11)} ${
      percentile(o.latencies, 50).toFixed(0).padStart(8)
    } ${percentile(o.latencies, 95).toFixed(0).padStart(8)} ${
      (o.latencies.at(-1) ?? NaN).toFixed(0).padStart(8)
    } ${String(o.refreshBatches).padStart(18)} ${String(o.conflicts).padStart(5)} ${
      String(o.errors).padStart(8)
    } ${String(o.overwrites).padStart(12)}`,
  );
}
const [inline, deferred] = outcomes;
console.log(
  `deferred / inline: ${
    ((deferred.stored / deferred.seconds) / (inline.stored / inline.seconds)).toFixed(1)
  }× ` +
    `decisions per second, p95 save ${
      (percentile(deferred.latencies, 95) / percentile(inline.latencies, 95)).toFixed(2)
    }× as long`,
);
