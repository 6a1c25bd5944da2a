/**
 * Migration 0024 on a database that already holds a catalogue. Until 0024 a product carried one
 * normalised value, its category; 0024 makes that value the first of many fields. Databases in use
 * upgrade in place, so this builds one with migrations 0001–0023 only, writes what an import, the
 * embedding worker, the suggester and a reviewer write there, migrates, and checks that the value became
 * the field `category`, that no row or column of the old schema was lost or changed, and that the new
 * catalogue tables start empty and refuse what they must refuse. On PGlite and, with TEST_DATABASE_URL,
 * on PostgreSQL.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { Database, Queryable } from "./database.ts";
import { listMigrations, migrate, migrationChecksum } from "./migrate.ts";
import { sql, vectorLiteral } from "./sql.ts";
import { searchKey, textKey } from "../text_key.ts";
import { openEmptyTestDatabase } from "../../testing/testing.ts";

const MIGRATION = "0024_catalogue_fields.sql";
const MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2";

/**
 * Applies every migration before `first` and records each as migrate() records it (name and checksum,
 * in the script's own transaction), so that migrate() later takes them for its own and applies only the
 * rest. The scripts are run in place rather than from a copied folder, so the test writes no files.
 */
async function migrateBefore(db: Database, first: string): Promise<string[]> {
  const earlier = listMigrations().filter((migration) => migration.name < first);
  await db.executeScript(`CREATE TABLE schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    checksum text
  );`);
  // Names match /^\d{4}_[a-z0-9_]+\.sql$/ and checksums are hex, as migrate() relies on too.
  for (const migration of earlier) {
    await db.executeScript(`BEGIN;
      INSERT INTO schema_migrations (name, checksum)
      VALUES ('${migration.name}', '${migrationChecksum(migration.script)}');
      ${migration.script}
      ;
      COMMIT;`);
  }
  return earlier.map((migration) => migration.name);
}

/** A distinct vector per product, so that a swapped or rewritten vector shows. */
function vectorOf(seed: number): string {
  return vectorLiteral(
    Array.from({ length: 384 }, (_, i) => Math.round(Math.sin(seed * 31 + i) * 1e4) / 1e4),
  );
}

// The rows a user has today, written the way the importer, the worker, the suggester and a reviewer write
// them: a file with a label column (one seeded row), a row decided by a person against a suggestion, an
// undecided suggested row, and a row still waiting for its vector.
const FILE_ROWS = [
  { title: "HP 60 Black Ink Cartridge (CC640WN)", brand: "HP", category: "Printer Ink" },
  { title: "Logitech M325 Wireless Mouse - Dark Silver", brand: "Logitech", category: "" },
  { title: "Cafe\u0301 cre\u0300me milk frother", brand: "Aerolatte", category: "" },
  { title: "Garden\u00a0hose 20 m", brand: "Gardena", category: "" },
];

async function writeTodaysData(db: Database): Promise<number[]> {
  const columns = ["title", "brand", "category"];
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, dataset_id, writer)
    VALUES ('supplier_feed.csv', 'importing', NULL, 'test-writer') RETURNING id`);
  const importId = created.id;
  const texts = FILE_ROWS.map((row) => `${row.title} ${row.brand}`);
  const products = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label, text_key, search_key)
    SELECT ${importId}, item.row_number, item.data::jsonb, item.text, item.label, item.text_key,
           item.search_key
    FROM unnest(
      ${FILE_ROWS.map((_, index) => index + 1)}::int[],
      ${FILE_ROWS.map((row) => JSON.stringify(row))}::text[],
      ${texts}::text[],
      ${FILE_ROWS.map((row) => row.category || null)}::text[],
      ${texts.map(textKey)}::text[],
      ${texts.map(searchKey)}::text[]
    ) AS item(row_number, data, text, label, text_key, search_key)
    ORDER BY item.row_number
    RETURNING id`);
  const ids = products.map((row) => row.id).sort((a, b) => a - b);
  await db.transaction(async (tx) => {
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${importId} AND seed_label IS NOT NULL`);
    await tx.query(sql`
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${MODEL_ID}, id FROM products WHERE import_id = ${importId}`);
    await tx.query(sql`
      UPDATE imports
      SET status = 'imported', columns = ${JSON.stringify(columns)}::text::jsonb,
          text_columns = ${JSON.stringify(["title", "brand"])}::text::jsonb, label_column = 'category',
          row_count = ${FILE_ROWS.length}, labelled_count = 1, encoding = 'utf-8', header_line = 1,
          rows_sha256 = ${"a".repeat(64)}, dataset_id = ${importId}, updated_at = now()
      WHERE id = ${importId}`);
  });
  // The worker embeds the first three; the fourth stays queued.
  for (const id of ids.slice(0, 3)) {
    await db.transaction(async (tx) => {
      await tx.query(sql`
        INSERT INTO embeddings (product_id, model_id, embedding) VALUES (${id}, ${MODEL_ID}, ${
        vectorOf(id)
      }::vector)`);
      await tx.query(sql`DELETE FROM embedding_queue WHERE product_id = ${id} AND model_id = ${MODEL_ID}`);
    });
  }
  await db.query(sql`INSERT INTO taxonomy_labels (value) VALUES ('Mice'), ('Printer Ink'), ('Kitchen')`);
  await db.query(sql`
    INSERT INTO label_embeddings (value, model_id, embedding) VALUES ('Mice', ${MODEL_ID}, ${
    vectorOf(99)
  }::vector)`);
  await db.query(sql`
    INSERT INTO model_versions (status, embedding_model_id, dimensions, label_count, train_size, holdout_size,
                                feedback_snapshot, accuracy, metrics, ready_at, activated_at,
                                activation_decision, activation_reason)
    VALUES ('active', ${MODEL_ID}, 384, 3, 40, 10, 0, 0.8, ${JSON.stringify({ macro_f1: 0.75 })}::text::jsonb,
            now(), now(), 'activated', 'no version was active')`);
  await db.query(sql`
    INSERT INTO suggestions (product_id, value, confidence, source, model_version, margin, raw_confidence)
    VALUES (${ids[1]}, 'Keyboards', 0.41, 'ensemble', 'v1', 0.05, 0.52),
           (${ids[2]}, 'Kitchen', 0.87, 'ensemble', 'v1', 0.6, 0.9)`);
  // A reviewer corrects the second row's suggestion, as recordDecisions writes it.
  await db.transaction(async (tx) => {
    await tx.query(sql`
      INSERT INTO feedback (product_id, approved, corrected_text, value, suggested_value, suggested_confidence,
                            reviewer, decision_key)
      VALUES (${ids[1]}, false, 'Mice', 'Mice', 'Keyboards', 0.41, 'alice@example.com',
              '6f1c2a4e-8d3b-4f7a-9e21-0c5d7b9a1e33')`);
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source, updated_at) VALUES (${
      ids[1]
    }, 'Mice', 'human', now())
      ON CONFLICT (product_id) DO UPDATE SET value = excluded.value, source = 'human', updated_at = now()`);
  });
  return ids;
}

// Every table of the schema 0001–0023 leaves, each read whole. sql has no way to splice a table name,
// so there is one statement per table; the list is checked against the database before it is used.
const OLD_TABLES: Record<string, ReturnType<typeof sql>> = {
  api_tokens: sql`SELECT to_jsonb(t)::text AS row FROM api_tokens t`,
  audit_log: sql`SELECT to_jsonb(t)::text AS row FROM audit_log t`,
  embedding_queue: sql`SELECT to_jsonb(t)::text AS row FROM embedding_queue t`,
  embeddings: sql`SELECT to_jsonb(t)::text AS row FROM embeddings t`,
  feedback: sql`SELECT to_jsonb(t)::text AS row FROM feedback t`,
  feedback_withdrawals: sql`SELECT to_jsonb(t)::text AS row FROM feedback_withdrawals t`,
  id_counters: sql`SELECT to_jsonb(t)::text AS row FROM id_counters t`,
  imports: sql`SELECT to_jsonb(t)::text AS row FROM imports t`,
  jobs: sql`SELECT to_jsonb(t)::text AS row FROM jobs t`,
  label_embeddings: sql`SELECT to_jsonb(t)::text AS row FROM label_embeddings t`,
  labelled_embeddings: sql`SELECT to_jsonb(t)::text AS row FROM labelled_embeddings t`,
  model_version_files: sql`SELECT to_jsonb(t)::text AS row FROM model_version_files t`,
  model_versions: sql`SELECT to_jsonb(t)::text AS row FROM model_versions t`,
  neighbour_refresh: sql`SELECT to_jsonb(t)::text AS row FROM neighbour_refresh t`,
  product_labels: sql`SELECT to_jsonb(t)::text AS row FROM product_labels t`,
  products: sql`SELECT to_jsonb(t)::text AS row FROM products t`,
  review_leases: sql`SELECT to_jsonb(t)::text AS row FROM review_leases t`,
  review_queue: sql`SELECT to_jsonb(t)::text AS row FROM review_queue t`,
  schema_migrations: sql`SELECT to_jsonb(t)::text AS row FROM schema_migrations t`,
  sessions: sql`SELECT to_jsonb(t)::text AS row FROM sessions t`,
  settings: sql`SELECT to_jsonb(t)::text AS row FROM settings t`,
  suggestion_refresh: sql`SELECT to_jsonb(t)::text AS row FROM suggestion_refresh t`,
  suggestions: sql`SELECT to_jsonb(t)::text AS row FROM suggestions t`,
  taxonomy_labels: sql`SELECT to_jsonb(t)::text AS row FROM taxonomy_labels t`,
  users: sql`SELECT to_jsonb(t)::text AS row FROM users t`,
  workers: sql`SELECT to_jsonb(t)::text AS row FROM workers t`,
};

type Row = Record<string, unknown>;

async function tableNames(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(sql`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`);
  return rows.map((row) => row.name);
}

async function readTables(db: Queryable): Promise<Record<string, Row[]>> {
  const tables: Record<string, Row[]> = {};
  for (const [name, query] of Object.entries(OLD_TABLES)) {
    tables[name] = (await db.query<{ row: string }>(query)).map((row) => JSON.parse(row.row));
  }
  return tables;
}

/**
 * `rows` cut down to the columns of `like` and sorted: a later migration may add columns, and what must
 * hold is that every value that was there still is.
 */
function comparable(rows: Row[], like: Row[]): string[] {
  const columns = like.length > 0 ? Object.keys(like[0]) : [];
  return rows
    .map((row) =>
      JSON.stringify(
        Object.fromEntries(columns.map((column) => [column, column in row ? row[column] : "(missing)"])),
      )
    )
    .sort();
}

/** Columns and constraints of the old tables, one line each. */
async function oldSchema(db: Queryable): Promise<string[]> {
  const names = Object.keys(OLD_TABLES);
  const columns = await db.query<{ line: string }>(sql`
    SELECT concat_ws(' ', table_name, column_name, data_type, udt_name, is_nullable, column_default) AS line
    FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ANY(${names}::text[])`);
  const constraints = await db.query<{ line: string }>(sql`
    SELECT concat_ws(' ', rel.relname, con.conname, pg_get_constraintdef(con.oid)) AS line
    FROM pg_constraint con
    JOIN pg_class rel ON rel.oid = con.conrelid
    JOIN pg_namespace ns ON ns.oid = rel.relnamespace
    WHERE ns.nspname = current_schema() AND rel.relname = ANY(${names}::text[])`);
  return [...columns, ...constraints].map((row) => row.line).sort();
}

/** Fails unless `run` is refused by the database with SQLSTATE `code`, naming `constraint`. */
async function assertRefused(run: Promise<unknown>, code: string, constraint: string): Promise<void> {
  await assert.rejects(run, (error: { code?: string; message?: string }) => {
    assert.equal(error.code, code, error.message);
    assert.match(error.message ?? "", new RegExp(`"${constraint}"`));
    return true;
  });
}

/**
 * Runs `fn` in a transaction that never commits, so the migrated database stays as the upgrade left it
 * for the tests after this one, whether `fn` is refused as expected or, wrongly, is not.
 */
async function rolledBack(db: Database, fn: (tx: Queryable) => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await fn(tx);
    throw new Error("every statement was accepted");
  });
}

const db = await openEmptyTestDatabase();
after(() => db.close());

const earlier = await migrateBefore(db, MIGRATION);
const ids = await writeTodaysData(db);
const tablesBefore = await tableNames(db);
const rowsBefore = await readTables(db);
const schemaBefore = await oldSchema(db);
const applied = await migrate(db);

test("the database built by 0001–0023 is the schema the snapshot reads, holding today's data", () => {
  assert.equal(earlier.at(-1), "0023_labelled_embeddings.sql");
  assert.deepEqual(tablesBefore, Object.keys(OLD_TABLES).sort(), "every old table is read");
  for (const table of ["products", "product_labels", "suggestions", "feedback", "embeddings"]) {
    assert.ok(rowsBefore[table].length > 0, `${table} holds rows before the upgrade`);
  }
  // The triggers of 0006 and 0023 derive these from the rows above: they are old data too.
  assert.ok(rowsBefore.review_queue.length > 0);
  assert.equal(rowsBefore.labelled_embeddings.length, 2, "the seeded and the decided row vote");
});

test("migrate() applies 0024 and what follows it, and nothing it had applied before", () => {
  assert.deepEqual(applied, listMigrations().map((m) => m.name).filter((name) => name >= MIGRATION));
  assert.equal(applied[0], MIGRATION);
});

test("today's value becomes the first field, a label field named category", async () => {
  const fields = await db.query(sql`
    SELECT name, kind, seed_column, position, match_requested_at, matched_at FROM fields`);
  assert.deepEqual(fields, [{
    name: "category",
    kind: "label",
    seed_column: null,
    position: 0,
    match_requested_at: null,
    matched_at: null,
  }]);
});

test("every row of the old schema is still there with the same values", async () => {
  const rowsAfter = await readTables(db);
  for (const [table, before] of Object.entries(rowsBefore)) {
    let after = rowsAfter[table];
    // The upgrade records itself; the records of the earlier migrations must stay as they were.
    if (table === "schema_migrations") after = after.filter((row) => !applied.includes(row.name as string));
    assert.deepEqual(comparable(after, before), comparable(before, before), `rows of ${table}`);
  }
});

test("the category values read back as they were written", async () => {
  const labels = await db.query(
    sql`SELECT product_id, value, source FROM product_labels ORDER BY product_id`,
  );
  assert.deepEqual(labels, [
    { product_id: ids[0], value: "Printer Ink", source: "seed" },
    { product_id: ids[1], value: "Mice", source: "human" },
  ]);
  const suggestions = await db.query(sql`
    SELECT product_id, value, source, model_version FROM suggestions ORDER BY product_id`);
  assert.deepEqual(suggestions, [
    { product_id: ids[1], value: "Keyboards", source: "ensemble", model_version: "v1" },
    { product_id: ids[2], value: "Kitchen", source: "ensemble", model_version: "v1" },
  ]);
  const feedback = await db.query(sql`
    SELECT product_id, approved, corrected_text, value, suggested_value, reviewer FROM feedback`);
  assert.deepEqual(feedback, [{
    product_id: ids[1],
    approved: false,
    corrected_text: "Mice",
    value: "Mice",
    suggested_value: "Keyboards",
    reviewer: "alice@example.com",
  }]);
  for (const id of ids.slice(0, 3)) {
    const [row] = await db.query<{ same: boolean }>(sql`
      SELECT embedding = ${vectorOf(id)}::vector AS same FROM embeddings
      WHERE product_id = ${id} AND model_id = ${MODEL_ID}`);
    assert.equal(row?.same, true, `the vector of product ${id}`);
  }
  const products = await db.query<{ text: string; text_key: string }>(sql`
    SELECT text, text_key FROM products ORDER BY row_number`);
  assert.deepEqual(
    products,
    FILE_ROWS.map((row) => ({
      text: `${row.title} ${row.brand}`,
      text_key: textKey(`${row.title} ${row.brand}`),
    })),
  );
});

test("no column or constraint of the old tables is lost or changed", async () => {
  const after = new Set(await oldSchema(db));
  assert.deepEqual(schemaBefore.filter((line) => !after.has(line)), []);
});

test("the catalogue tables exist and are empty", async () => {
  const [counts] = await db.query(sql`
    SELECT (SELECT count(*)::int FROM catalogue_entries) AS entries,
           (SELECT count(*)::int FROM catalogue_matches) AS matches,
           (SELECT count(*)::int FROM catalogue_decisions) AS decisions`);
  assert.deepEqual(counts, { entries: 0, matches: 0, decisions: 0 });
});

test("a field name that cannot be an export column or a URL segment is refused", async () => {
  await assertRefused(
    rolledBack(db, async (tx) => {
      // A well-formed name goes in, so the refusal below is the name's alone.
      await tx.query(sql`INSERT INTO fields (name, kind, position) VALUES ('brand', 'catalogue', 1)`);
      await tx.query(sql`INSERT INTO fields (name, kind, position) VALUES ('Bad Name', 'catalogue', 2)`);
    }),
    "23514",
    "fields_name_check",
  );
});

test("a decided catalogue match must name its entry; only a suggestion may have none", async () => {
  await assertRefused(
    rolledBack(db, async (tx) => {
      const [field] = await tx.query<{ id: number }>(sql`
        INSERT INTO fields (name, kind, position) VALUES ('brand', 'catalogue', 1) RETURNING id`);
      const [entry] = await tx.query<{ id: number }>(sql`
        INSERT INTO catalogue_entries (field_id, name, name_key, source)
        VALUES (${field.id}, 'HP', ${textKey("HP")}, 'upload') RETURNING id`);
      await tx.query(sql`
        INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, source)
        VALUES (${field.id}, ${ids[0]}, ${entry.id}, 1, 'human'),
               (${field.id}, ${ids[2]}, NULL, 0.2, 'suggested')`);
      await tx.query(sql`
        INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, source)
        VALUES (${field.id}, ${ids[1]}, NULL, 1, 'human')`);
    }),
    "23514",
    "catalogue_matches_check",
  );
});

test("two entries of one field with the same name key are refused; another field may have it", async () => {
  await assertRefused(
    rolledBack(db, async (tx) => {
      const fields = await tx.query<{ id: number }>(sql`
        INSERT INTO fields (name, kind, position) VALUES ('brand', 'catalogue', 1), ('manufacturer', 'catalogue', 2)
        RETURNING id`);
      const [brand, manufacturer] = fields.map((field) => field.id).sort((a, b) => a - b);
      await tx.query(sql`
        INSERT INTO catalogue_entries (field_id, name, name_key, source)
        VALUES (${brand}, 'Hewlett-Packard', ${textKey("Hewlett-Packard")}, 'upload'),
               (${brand}, 'HP', ${textKey("HP")}, 'upload'),
               (${manufacturer}, 'HP', ${textKey("HP")}, 'upload')`);
      await tx.query(sql`
        INSERT INTO catalogue_entries (field_id, name, name_key, source)
        VALUES (${brand}, 'hp ', ${textKey("hp ")}, 'review')`);
    }),
    "23505",
    "catalogue_entries_field_id_name_key_key",
  );
});
