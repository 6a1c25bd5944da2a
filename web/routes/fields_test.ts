/**
 * The field routes against the real database, the real worker and the real embedding model: catalogue
 * fields added and refused, reference lists uploaded (a BOM, a quoted comma, a form, limits), the rows
 * matched by a worker, decided by entry and by a new name, and exported with the field's columns.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import Papa from "papaparse";
import type {
  ApiError,
  CatalogueDecisionSaved,
  CatalogueDecisionWithdrawn,
  CatalogueReviewPage,
  EntriesUploaded,
  EntryList,
  EntryRetired,
  Field,
  FieldList,
  ImportCreated,
} from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { catalogueMatchHandler } from "../../core/catalogue/catalogue_match_job.ts";
import { MAX_REFERENCE_LIST_BYTES } from "./fields.ts";
import { openTestDatabase, startTestWorker, TEST_MODEL_ID, toCsv } from "../../testing/testing.ts";

const db = await openTestDatabase();
const deps = { db, modelId: TEST_MODEL_ID, maxUploadBytes: 100 * 1024 * 1024 };
const ops = await signedInApp(deps);
const reviewer = await signedInApp(deps, { role: "reviewer" });
after(() => db.close());

/** Products whose canonical entry is obvious, one that has none in the list, one cell per colour. */
const products = [
  { title: "Logitech M185 wireless optical mouse, grey", colour: "grey" },
  { title: "Canon PIXMA MG3620 wireless all-in-one inkjet printer", colour: "black" },
  { title: "Samsung Galaxy Tab A 10.1 inch tablet 32GB", colour: "black" },
  { title: "Sony WH-1000XM4 noise cancelling over-ear headphones", colour: "black" },
  { title: "Apple iPad Air 64GB Wi-Fi tablet, space grey", colour: "grey" },
  { title: "Brother HL-L2350DW compact monochrome laser printer", colour: "grey" },
];

/** The reference list: a byte order mark, a quoted comma, an attribute column, a row without a name. */
const referenceList = "\uFEFFName,maker\r\n" +
  '"Logitech M185 Wireless Mouse, Grey",Logitech\r\n' +
  "Canon PIXMA MG3620 Inkjet Printer,Canon\r\n" +
  "Samsung Galaxy Tab A 10.1,Samsung\r\n" +
  "Sony WH-1000XM4 Headphones,Sony\r\n" +
  "Apple iPad Air 64 GB,Apple\r\n" +
  ",Nobody\r\n";

async function json<T>(response: Response | Promise<Response>, status: number): Promise<T> {
  const answer = await response;
  const body = await answer.json();
  assert.equal(answer.status, status, JSON.stringify(body));
  return body as T;
}

async function refused(response: Response | Promise<Response>, status: number, message: RegExp) {
  const body = await json<ApiError>(response, status);
  assert.equal(body.error.status, status);
  assert.match(body.error.message, message);
}

function postJson(path: string, body: unknown, app = ops): Promise<Response> {
  return app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function uploadList(field: string, body: BodyInit, type = "text/csv", app = ops): Promise<Response> {
  return app.request(`/fields/${field}/entries`, {
    method: "POST",
    ...(type ? { headers: { "content-type": type } } : {}),
    body,
  });
}

async function listed(): Promise<Field[]> {
  return (await json<FieldList>(reviewer.request("/fields"), 200)).fields;
}

function review(field: string, query = ""): Promise<CatalogueReviewPage> {
  return json<CatalogueReviewPage>(reviewer.request(`/fields/${field}/review${query}`), 200);
}

const upload = await json<ImportCreated>(
  ops.request("/upload-csv?text_columns=title&file_name=gadgets.csv", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(products),
  }),
  201,
);
const productIds = (await db.query<{ id: number }>(sql`
  SELECT id FROM products WHERE import_id = ${upload.import_id} ORDER BY row_number`)).map((row) => row.id);

test("POST /fields adds a catalogue field after category; duplicates, bad names and label fields are refused", async () => {
  const added = await json<Field>(postJson("/fields", { name: "product", kind: "catalogue" }), 201);
  assert.deepEqual(
    { ...added, id: 0 },
    {
      id: 0,
      name: "product",
      kind: "catalogue",
      seed_column: null,
      position: 1,
      entries: 0,
      unembedded_entries: 0,
      decided: 0,
      suggested: 0,
    },
  );
  const colour = await json<Field>(
    postJson("/fields", { name: "colour", kind: "catalogue", seed_column: " " }),
    201,
  );
  assert.equal(colour.seed_column, null, "a blank seed column is none");
  assert.equal(colour.position, 2);

  await refused(
    postJson("/fields", { name: "product", kind: "catalogue" }),
    409,
    /a field of that name exists/,
  );
  await refused(postJson("/fields", { name: "Product Name", kind: "catalogue" }), 422, /Invalid field: name/);
  await refused(postJson("/fields", { name: "1st", kind: "catalogue" }), 422, /lower-case letters/);
  await refused(postJson("/fields", { name: "size", kind: "label" }), 422, /the label field is "category"/);
  await refused(postJson("/fields", { name: "size", kind: "colour" }), 422, /Invalid field: kind/);
  // Adding a field is for ops; reading them for everyone signed in.
  await refused(postJson("/fields", { name: "size", kind: "catalogue" }, reviewer), 403, /ops/);

  const fields = await listed();
  assert.deepEqual(fields.map((field) => [field.name, field.kind, field.position]), [
    ["category", "label", 0],
    ["product", "catalogue", 1],
    ["colour", "catalogue", 2],
  ]);
  const [entry] = await db.query<{ kind: string; actor: string }>(sql`
    SELECT kind, actor FROM audit_log WHERE kind = 'field.add' ORDER BY id LIMIT 1`);
  assert.deepEqual(entry, { kind: "field.add", actor: ops.name });
});

test("POST /fields/{field}/entries reads a reference list with a BOM and a quoted comma, in one transaction", async () => {
  const requested = async () =>
    (await db.query<{ at: string }>(sql`
      SELECT match_requested_at::text AS at FROM fields WHERE name = 'product'`))[0].at;
  const before = await requested();
  const uploaded = await json<EntriesUploaded>(uploadList("product", referenceList), 201);
  assert.ok((await requested()) > before, "the upload asks for the field to be matched again");
  assert.deepEqual(uploaded, { field: "product", rows: 6, added: 5, existing: 0, skipped: 1 });
  const entries = await db.query<{ name: string; attributes: Record<string, string>; source: string }>(sql`
    SELECT e.name, e.attributes, e.source FROM catalogue_entries e JOIN fields f ON f.id = e.field_id
    WHERE f.name = 'product' ORDER BY e.id`);
  assert.deepEqual(entries[0], {
    name: "Logitech M185 Wireless Mouse, Grey",
    attributes: { maker: "Logitech" },
    source: "upload",
  });
  assert.equal(entries.length, 5);

  // Again as a form, with one name spelled differently and one new: only the new one is added.
  const form = new FormData();
  form.append(
    "file",
    new File(["name\nCANON pixma mg3620 inkjet printer\nBrother HL-L2350DW\n"], "more.csv", {
      type: "text/csv",
    }),
  );
  assert.deepEqual(
    await json<EntriesUploaded>(uploadList("product", form, ""), 201),
    { field: "product", rows: 2, added: 1, existing: 1, skipped: 0 },
  );
  await json<EntriesUploaded>(uploadList("colour", "colour\nBlack\nGrey\nWhite\n"), 201);

  const fields = await listed();
  assert.deepEqual(
    fields.filter((field) => field.kind === "catalogue").map((
      f,
    ) => [f.name, f.entries, f.unembedded_entries]),
    [["product", 6, 6], ["colour", 3, 3]],
  );
});

test("a reference list is refused for a label field, an unknown field, a wrong type, a workbook or past the limit", async () => {
  await refused(uploadList("category", referenceList), 422, /"category" is a label field/);
  await refused(uploadList("nothing", referenceList), 404, /Cannot find the field "nothing"/);
  await refused(uploadList("Bad-Name", referenceList), 422, /Invalid field/);
  await refused(uploadList("product", "{}", "application/json"), 415, /send text\/csv/);
  await refused(
    uploadList("product", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0]), "application/octet-stream"),
    415,
    /zip archive/,
  );
  await refused(uploadList("product", "name\n"), 422, /needs a header row and at least one row/);
  // A binary or compressed file is not read as text: before, a NUL byte reached the database (500).
  await refused(
    uploadList(
      "product",
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
      "text/csv",
    ),
    415,
    /NUL byte; this looks like a binary file/,
  );
  await refused(
    uploadList("product", new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), "text/csv"),
    415,
    /compressed/,
  );
  await refused(
    uploadList("product", "name,maker\nMouse,Logitech\nKeyboard,Logitech,extra\n"),
    422,
    /line 3 has 3 fields, the header \(line 1\) has 2/,
  );
  await refused(uploadList("product", referenceList, "text/csv", reviewer), 403, /ops/);
  const small = await signedInApp({ ...deps, maxUploadBytes: 1024 });
  await refused(
    uploadList("product", `name\n${"Widget\n".repeat(300)}`, "text/csv", small),
    413,
    /reference list: it is larger than the limit of 1024 bytes/,
  );
  // Past 64 MiB whatever the server's upload limit: refused from the declared length, before reading.
  const declared = await ops.request("/fields/product/entries", {
    method: "POST",
    headers: { "content-type": "text/csv", "content-length": String(MAX_REFERENCE_LIST_BYTES + 1024 * 1024) },
    body: "name\nWidget\n",
  });
  await refused(declared, 413, new RegExp(`larger than the limit of ${MAX_REFERENCE_LIST_BYTES} bytes`));
  const [{ entries }] = await db.query<{ entries: number }>(sql`
    SELECT count(*)::int AS entries FROM catalogue_entries`);
  assert.equal(entries, 9, "a refused list adds nothing");
});

test("GET /fields/{field}/review is empty until the field is matched; a label field has no such queue", async () => {
  const page = await review("product");
  assert.deepEqual(page, {
    field: "product",
    waiting: 0,
    waiting_capped: false,
    items: [],
    next_after: null,
  });
  await refused(reviewer.request("/fields/category/review"), 422, /label field/);
  await refused(reviewer.request("/fields/nothing/review"), 404, /Cannot find the field/);
  await refused(reviewer.request("/fields/product/review?limit=0"), 422, /Invalid review query: limit/);
});

/** Runs a worker until every catalogue field is matched (within a minute), then stops it. */
async function matchFields(): Promise<void> {
  const worker = await startTestWorker(db, { jobHandlers: { "catalogue-match": catalogueMatchHandler() } });
  try {
    await worker.idle();
    const deadline = Date.now() + 60_000;
    while (true) {
      const [{ waiting }] = await db.query<{ waiting: number }>(sql`
        SELECT (SELECT count(*)::int FROM fields WHERE kind = 'catalogue'
                  AND (matched_at IS NULL OR matched_at < match_requested_at))
             + (SELECT count(*)::int FROM jobs WHERE kind = 'catalogue-match'
                  AND status IN ('queued', 'running')) AS waiting`);
      if (waiting === 0) break;
      if (Date.now() > deadline) {
        // Which field keeps being asked for again, or never is: the request a run served is its matched_at.
        const state = await db.query(sql`
          SELECT name, match_requested_at::text AS requested, matched_at::text AS matched,
            (SELECT count(*)::int FROM jobs j WHERE j.payload ->> 'field_id' = f.id::text) AS runs
          FROM fields f WHERE kind = 'catalogue' ORDER BY position`);
        assert.fail(`the catalogue fields were not matched within a minute: ${JSON.stringify(state)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    // Stopped: a later run must not rewrite suggestions under the decisions a test makes.
    await worker.stop();
  }
}

test("a worker matches every row: the obvious entries come first, least confident rows first", {
  timeout: 180_000,
}, async () => {
  await matchFields();
  const failed = await db.query<{ last_error: string }>(sql`
    SELECT last_error FROM jobs WHERE kind = 'catalogue-match' AND status <> 'done'`);
  assert.deepEqual(failed, []);
  // Each field once: a run that served its request is not asked for again.
  const runs = await db.query<{ name: string; runs: number }>(sql`
    SELECT f.name, count(j.id)::int AS runs FROM fields f
    LEFT JOIN jobs j ON j.kind = 'catalogue-match' AND j.payload ->> 'field_id' = f.id::text
    WHERE f.kind = 'catalogue' GROUP BY f.name, f.position ORDER BY f.position`);
  assert.deepEqual(runs, [{ name: "product", runs: 1 }, { name: "colour", runs: 1 }]);

  const page = await review("product");
  assert.equal(page.waiting, products.length);
  assert.equal(page.items.length, products.length);
  const confidences = page.items.map((item) => item.suggestion.confidence);
  assert.deepEqual(confidences, [...confidences].sort((a, b) => a - b), "least confident first");
  const suggested = new Map(page.items.map((item) => [item.product_id, item]));
  // With each entry its attributes: the reference list's other columns (none for the second list's).
  const expected: [number, string, Record<string, string>][] = [
    [0, "Logitech M185 Wireless Mouse, Grey", { maker: "Logitech" }],
    [1, "Canon PIXMA MG3620 Inkjet Printer", { maker: "Canon" }],
    [2, "Samsung Galaxy Tab A 10.1", { maker: "Samsung" }],
    [3, "Sony WH-1000XM4 Headphones", { maker: "Sony" }],
    [4, "Apple iPad Air 64 GB", { maker: "Apple" }],
    [5, "Brother HL-L2350DW", {}],
  ];
  const makers = new Map(expected.map(([, name, attributes]) => [name, attributes]));
  for (const [at, name, attributes] of expected) {
    const card = suggested.get(productIds[at])!;
    assert.equal(card.suggestion.name, name, products[at].title);
    assert.deepEqual(card.suggestion.attributes, attributes, name);
    for (const alternative of card.alternatives) {
      assert.deepEqual(alternative.attributes, makers.get(alternative.name), alternative.name);
    }
    assert.equal(card.text, products[at].title);
    assert.ok(card.alternatives.every((alt) => alt.entry_id !== card.suggestion.entry_id));
  }
  const fields = await listed();
  assert.deepEqual(
    fields.filter((field) => field.kind === "catalogue").map((
      f,
    ) => [f.name, f.unembedded_entries, f.suggested]),
    [["product", 0, products.length], ["colour", 0, products.length]],
  );

  // Pages follow next_after and add up to the queue.
  const first = await review("product", "?limit=4");
  assert.ok(first.next_after);
  const second = await review("product", `?limit=4&after=${first.next_after}`);
  assert.equal(second.next_after, null);
  assert.deepEqual(
    [...first.items, ...second.items].map((item) => item.product_id),
    page.items.map((item) => item.product_id),
  );
});

test("POST /fields/{field}/decisions decides by entry or by a new name; the row leaves the queue", async () => {
  const page = await review("product");
  const card = page.items.find((item) => item.product_id === productIds[0])!;
  const approved = await json<CatalogueDecisionSaved>(
    postJson("/fields/product/decisions", {
      product_id: productIds[0],
      entry_id: card.suggestion.entry_id,
      suggested_entry_id: card.suggestion.entry_id,
    }, reviewer),
    201,
  );
  assert.equal(approved.product_id, productIds[0]);
  assert.deepEqual(approved.entry, { entry_id: card.suggestion.entry_id, name: card.suggestion.name });
  assert.equal(approved.created_entry, false);

  // "None of these": a new canonical name is created once; the same name again is that entry.
  const created = await json<CatalogueDecisionSaved>(
    postJson("/fields/product/decisions", { product_id: productIds[3], new_entry: "Sony WH-1000XM4 Black" }),
    201,
  );
  assert.equal(created.created_entry, true);
  assert.equal(created.entry.name, "Sony WH-1000XM4 Black");
  const again = await json<CatalogueDecisionSaved>(
    postJson("/fields/product/decisions", {
      product_id: productIds[4],
      new_entry: "  sony wh-1000xm4 BLACK ",
    }),
    201,
  );
  assert.equal(again.created_entry, false);
  assert.deepEqual(again.entry, created.entry);

  const after = await review("product");
  assert.equal(after.waiting, products.length - 3);
  const waiting = after.items.map((item) => item.product_id);
  for (const decided of [productIds[0], productIds[3], productIds[4]]) {
    assert.ok(!waiting.includes(decided), `product ${decided} left the queue`);
  }
  const decisions = await db.query<
    { reviewer: string; created_entry: boolean; suggested_entry_id: number | null }
  >(
    sql`SELECT reviewer, created_entry, suggested_entry_id FROM catalogue_decisions ORDER BY id`,
  );
  assert.deepEqual(decisions, [
    { reviewer: reviewer.name, created_entry: false, suggested_entry_id: card.suggestion.entry_id },
    { reviewer: ops.name, created_entry: true, suggested_entry_id: null },
    { reviewer: ops.name, created_entry: false, suggested_entry_id: null },
  ]);
  const audit = await db.query<{ actor: string; product_id: number }>(sql`
    SELECT actor, (details -> 'result' ->> 'product_id')::int AS product_id FROM audit_log
    WHERE kind = 'field.decision' ORDER BY id`);
  assert.deepEqual(audit, [
    { actor: reviewer.name, product_id: productIds[0] },
    { actor: ops.name, product_id: productIds[3] },
    { actor: ops.name, product_id: productIds[4] },
  ]);
});

test("a decision is refused for an entry of another field, an unknown product, a label field or a bad body", async () => {
  const [black] = await db.query<{ id: number }>(sql`
    SELECT e.id FROM catalogue_entries e JOIN fields f ON f.id = e.field_id
    WHERE f.name = 'colour' AND e.name = 'Black'`);
  await refused(
    postJson("/fields/product/decisions", { product_id: productIds[1], entry_id: black.id }),
    404,
    /the field "product" has no entry/,
  );
  await refused(
    postJson("/fields/product/decisions", { product_id: 999_999, new_entry: "Anything" }),
    404,
    /no product with id 999999/,
  );
  await refused(
    postJson("/fields/category/decisions", { product_id: productIds[1], new_entry: "Printers" }),
    422,
    /label field/,
  );
  await refused(
    postJson("/fields/nothing/decisions", { product_id: productIds[1], new_entry: "Printers" }),
    404,
    /Cannot find the field/,
  );
  await refused(
    postJson("/fields/product/decisions", { product_id: productIds[1], entry_id: black.id, new_entry: "X" }),
    422,
    /exactly one of entry_id and new_entry/,
  );
  await refused(postJson("/fields/product/decisions", { product_id: productIds[1] }), 422, /exactly one/);
  const [{ count }] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM catalogue_decisions`);
  assert.equal(count, 3, "refused decisions store nothing");
  // A decision on a row of another field's entry was refused: the row still waits.
  assert.ok((await review("product")).items.some((item) => item.product_id === productIds[1]));
});

test("GET /export adds each catalogue field's entry, confidence and source after the existing columns", async () => {
  const response = await reviewer.request(`/export?import_id=${upload.import_id}`);
  const text = await response.text();
  assert.equal(response.status, 200, text);
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  assert.deepEqual(parsed.errors, []);
  assert.deepEqual(parsed.meta.fields, [
    "title",
    "colour",
    "normalised_value",
    "normalised_value_source",
    "normalised_value_confidence",
    "normalised_value_model_version",
    "product",
    "product_confidence",
    "product_source",
    // The file has a column "colour": the field's column takes the first free name, and says so.
    "colour_2",
    "colour_2_confidence",
    "colour_2_source",
  ]);
  const rows = parsed.data;
  assert.equal(rows.length, products.length);
  // Decided: the entry, no confidence (a person's), source human.
  assert.deepEqual(
    [rows[0].product, rows[0].product_confidence, rows[0].product_source],
    ["Logitech M185 Wireless Mouse, Grey", "", "human"],
  );
  assert.deepEqual([rows[3].product, rows[3].product_source], ["Sony WH-1000XM4 Black", "human"]);
  assert.deepEqual([rows[4].product, rows[4].product_source], ["Sony WH-1000XM4 Black", "human"]);
  // Suggested: the matcher's entry and confidence.
  assert.equal(rows[1].product, "Canon PIXMA MG3620 Inkjet Printer");
  assert.equal(rows[1].product_source, "suggested");
  const confidence = Number(rows[1].product_confidence);
  assert.ok(confidence > 0 && confidence <= 1, rows[1].product_confidence);
  assert.equal(rows[1].colour_2_source, "suggested");
  assert.ok(["Black", "Grey", "White"].includes(rows[1].colour_2), rows[1].colour_2);
  assert.match(
    decodeURIComponent(response.headers.get("x-export-notes") ?? ""),
    /The file already has a column \\?"colour\\?": the export's colour field is in \\?"colour_2\\?"/,
  );

  // Without meta: the entries only.
  const plain = Papa.parse<Record<string, string>>(
    await (await reviewer.request(`/export?import_id=${upload.import_id}&meta=false`)).text(),
    { header: true, skipEmptyLines: true },
  );
  assert.deepEqual(plain.meta.fields, ["title", "colour", "normalised_value", "product", "colour_2"]);
});

/** Undoes decision `id` of field `field` as `app`. */
function undo(field: string, id: number | string, app = reviewer): Promise<Response> {
  return postJson(`/fields/${field}/decisions/${id}/undo`, {}, app);
}

/** The row's current state for field `product` (none once a decision on an unmatched row is undone). */
async function productMatch(productId: number): Promise<{ source: string; entry: string } | undefined> {
  const [row] = await db.query<{ source: string; entry: string }>(sql`
    SELECT m.source, e.name AS entry FROM catalogue_matches m JOIN fields f ON f.id = m.field_id
    JOIN catalogue_entries e ON e.id = m.entry_id WHERE f.name = 'product' AND m.product_id = ${productId}`);
  return row;
}

test(
  "POST /fields/{field}/decisions/{id}/undo withdraws a decision: the row waits again once matched; twice is 409",
  {
    timeout: 180_000,
  },
  async () => {
    const productId = productIds[1];
    const card = (await review("product")).items.find((item) => item.product_id === productId)!;
    assert.ok(card, "the row waits in the queue");
    const decide = (entryId: number, expected: number | null) =>
      json<CatalogueDecisionSaved>(
        postJson("/fields/product/decisions", {
          product_id: productId,
          entry_id: entryId,
          suggested_entry_id: card.suggestion.entry_id,
          expected_decision_id: expected,
        }, reviewer),
        201,
      );
    const first = await decide(card.suggestion.entry_id, null);
    assert.ok(!(await review("product")).items.some((item) => item.product_id === productId));

    const withdrawn = await json<CatalogueDecisionWithdrawn>(undo("product", first.decision_id), 200);
    assert.deepEqual(withdrawn, { decision_id: first.decision_id, product_id: productId, restored: null });
    // No decision before it and no seed value: the row has no answer until the next match suggests one.
    assert.equal(await productMatch(productId), undefined);
    const [stored] = await db.query<{ withdrawn_by: string; withdrawn: boolean }>(sql`
    SELECT withdrawn_by, withdrawn_at IS NOT NULL AS withdrawn FROM catalogue_decisions
    WHERE id = ${first.decision_id}`);
    assert.deepEqual(stored, { withdrawn_by: reviewer.name, withdrawn: true }, "kept in the history");
    const audit = await db.query<{ actor: string; decision_id: number }>(sql`
    SELECT actor, (details -> 'result' ->> 'decision_id')::int AS decision_id FROM audit_log
    WHERE kind = 'field.undo' ORDER BY id`);
    assert.deepEqual(audit, [{ actor: reviewer.name, decision_id: first.decision_id }]);

    await refused(undo("product", first.decision_id), 409, /was undone already/);
    await refused(undo("product", 999_999), 404, /the field "product" has no decision 999999/);
    await refused(undo("colour", first.decision_id), 404, /the field "colour" has no decision/);
    await refused(undo("nothing", first.decision_id), 404, /Cannot find the field "nothing"/);
    await refused(undo("category", first.decision_id), 422, /label field/);
    await refused(undo("product", "first"), 422, /Invalid decision: id/);

    // Decided twice (the second knowing the first): only the later one can be undone, then the earlier.
    const second = await decide(card.suggestion.entry_id, null);
    const alternative = card.alternatives[0].entry_id;
    const third = await decide(alternative, second.decision_id);
    await refused(
      undo("product", second.decision_id),
      409,
      new RegExp(`a later decision \\(${third.decision_id}\\) stands for this row`),
    );
    const back = await json<CatalogueDecisionWithdrawn>(undo("product", third.decision_id), 200);
    assert.deepEqual(back.restored, {
      source: "human",
      entry_id: card.suggestion.entry_id,
      name: card.suggestion.name,
    });
    assert.deepEqual(await productMatch(productId), { source: "human", entry: card.suggestion.name });
    assert.equal(
      (await json<CatalogueDecisionWithdrawn>(undo("product", second.decision_id), 200)).restored,
      null,
    );

    // The undo asked for the field to be matched again: the row is back in the queue, suggested.
    await matchFields();
    const again = (await review("product")).items.find((item) => item.product_id === productId);
    assert.ok(again, "the undone row waits in the queue again");
    assert.equal(again.suggestion.entry_id, card.suggestion.entry_id);
    assert.equal((await productMatch(productId))?.source, "suggested");
  },
);

test("a decision on a row decided meanwhile is 409 naming who decided it, and replaces it only knowingly", async () => {
  const productId = productIds[2];
  const card = (await review("product")).items.find((item) => item.product_id === productId)!;
  assert.ok(card, "the row waits in the queue");
  const body = (entryId: number, expected: number | null) => ({
    product_id: productId,
    entry_id: entryId,
    suggested_entry_id: card.suggestion.entry_id,
    expected_decision_id: expected,
  });
  const count = async () =>
    (await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM catalogue_decisions`))[0].count;
  // Two reviewers on the same card, both seeing it undecided.
  const theirs = await json<CatalogueDecisionSaved>(
    postJson("/fields/product/decisions", body(card.suggestion.entry_id, null), reviewer),
    201,
  );
  const before = await count();
  const mine = card.alternatives[0];
  const conflict = await json<ApiError>(
    postJson("/fields/product/decisions", body(mine.entry_id, null)),
    409,
  );
  assert.equal(
    conflict.error.message,
    `Not saved: ${reviewer.name} decided this row meanwhile ("${card.suggestion.name}")`,
  );
  assert.equal(conflict.error.current_decision_id, theirs.decision_id);
  assert.equal(await count(), before, "nothing is stored");
  assert.deepEqual(await productMatch(productId), { source: "human", entry: card.suggestion.name });

  // "Replace with mine": sent again naming the decision it replaces.
  const replaced = await json<CatalogueDecisionSaved>(
    postJson("/fields/product/decisions", body(mine.entry_id, theirs.decision_id)),
    201,
  );
  assert.deepEqual(replaced.entry, { entry_id: mine.entry_id, name: mine.name });
  assert.deepEqual(await productMatch(productId), { source: "human", entry: mine.name });
  // The same again, now stale: 409 naming the replacement.
  const stale = await json<ApiError>(
    postJson("/fields/product/decisions", body(card.suggestion.entry_id, theirs.decision_id), reviewer),
    409,
  );
  assert.equal(stale.error.current_decision_id, replaced.decision_id);
  assert.match(stale.error.message, new RegExp(`^Not saved: ${ops.name} decided this row meanwhile`));
  // Without expected_decision_id no check is made (API clients that decide rows outright).
  await json<CatalogueDecisionSaved>(
    postJson("/fields/product/decisions", { product_id: productId, entry_id: card.suggestion.entry_id }),
    201,
  );
});

/** A file with a seed column for two catalogue fields; the product's holds a colon and a comma. */
const CANONICAL = "Canonical: name, EN";
const seededRows = [
  {
    title: "Logitech M185 mouse grey boxed",
    [CANONICAL]: "LOGITECH m185 wireless mouse, grey",
    maker: "Logitech",
  },
  {
    title: "Canon MG3620 printer refurbished",
    [CANONICAL]: "Canon PIXMA MG3620 Inkjet Printer",
    maker: "Canon",
  },
  { title: "Unbranded USB-C cable 1m", [CANONICAL]: "", maker: "" },
];

function uploadCsv(body: string, query: string): Promise<Response> {
  return ops.request(`/upload-csv?text_columns=title&${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body,
  });
}

/** Rows of import `importId` decided per field at import (source seed). */
async function seededOf(importId: number): Promise<Record<string, number>> {
  const rows = await db.query<{ name: string; rows: number }>(sql`
    SELECT f.name, count(*)::int AS rows FROM catalogue_matches m
    JOIN fields f ON f.id = m.field_id JOIN products p ON p.id = m.product_id
    WHERE p.import_id = ${importId} AND m.source = 'seed' GROUP BY f.name ORDER BY f.name`);
  return Object.fromEntries(rows.map((row) => [row.name, row.rows]));
}

test("POST /upload-csv field_columns refuses an unknown field, the label field or a missing column: nothing imported", async () => {
  await json<Field>(postJson("/fields", { name: "maker", kind: "catalogue", seed_column: "maker" }), 201);
  const totals = async () =>
    (await db.query<{ imported: number; products: number; entries: number; matches: number }>(sql`
      SELECT (SELECT count(*)::int FROM imports WHERE status = 'imported') AS imported,
             (SELECT count(*)::int FROM products) AS products,
             (SELECT count(*)::int FROM catalogue_entries) AS entries,
             (SELECT count(*)::int FROM catalogue_matches) AS matches`))[0];
  const before = await totals();
  const csv = toCsv(seededRows);
  const query = (mapping: string) => `file_name=refused.csv&field_columns=${encodeURIComponent(mapping)}`;
  await refused(
    uploadCsv(csv, query("nothing:title")),
    422,
    /Cannot import "refused\.csv": no field named "nothing"/,
  );
  await refused(uploadCsv(csv, query('{"category":"maker"}')), 422, /"category" is the label field/);
  await refused(uploadCsv(csv, query('{"product":"model number"}')), 422, /no column named "model number"/);
  await refused(uploadCsv(csv, query("product")), 422, /field_columns: "product" is not field:column/);
  await refused(uploadCsv(csv, query("{product}")), 422, /field_columns: not a JSON object/);
  await refused(uploadCsv(csv, query("Product:title")), 422, /field_columns\.Product: a field name is/);
  assert.deepEqual(await totals(), before, "a refused mapping imports nothing");
  const [failed] = await db.query<{ file_name: string; status: string; error: string }>(sql`
    SELECT file_name, status, error FROM imports ORDER BY id DESC LIMIT 1`);
  assert.deepEqual([failed.file_name, failed.status], ["refused.csv", "failed"]);
});

test("POST /upload-csv field_columns chooses a field's seed column for one file; fields left out keep theirs", async () => {
  const entriesBefore = (await db.query<{ name: string }>(sql`
    SELECT e.name FROM catalogue_entries e JOIN fields f ON f.id = e.field_id WHERE f.name = 'product'`))
    .map((entry) => entry.name).sort();
  // JSON, for a column name with a colon and a comma; "colour": "" is none for this file.
  const mapping = JSON.stringify({ product: CANONICAL, colour: "" });
  const created = await json<ImportCreated>(
    uploadCsv(toCsv(seededRows), `file_name=seeded.csv&field_columns=${encodeURIComponent(mapping)}`),
    201,
  );
  // product from the chosen column; maker from its own seed column; colour has none.
  assert.deepEqual(await seededOf(created.import_id), { maker: 2, product: 2 });
  const decided = await db.query<{ title: string; entry: string }>(sql`
    SELECT p.data ->> 'title' AS title, e.name AS entry FROM catalogue_matches m
    JOIN fields f ON f.id = m.field_id JOIN products p ON p.id = m.product_id
    JOIN catalogue_entries e ON e.id = m.entry_id
    WHERE f.name = 'product' AND p.import_id = ${created.import_id} ORDER BY p.row_number`);
  // Spelled differently from the reference list: the same entry, by key; no new entry.
  assert.deepEqual(decided, [
    { title: seededRows[0].title, entry: "Logitech M185 Wireless Mouse, Grey" },
    { title: seededRows[1].title, entry: "Canon PIXMA MG3620 Inkjet Printer" },
  ]);
  const entriesAfter = (await db.query<{ name: string }>(sql`
    SELECT e.name FROM catalogue_entries e JOIN fields f ON f.id = e.field_id WHERE f.name = 'product'`))
    .map((entry) => entry.name).sort();
  assert.deepEqual(entriesAfter, entriesBefore);

  // A form field, pairs: "maker:" is no seed column for this file, though the field has one.
  const more = seededRows.map((row) => ({ ...row, title: `${row.title} (second delivery)` }));
  const form = new FormData();
  form.append("text_columns", "title");
  form.append("field_columns", "maker:");
  form.append("file", new File([toCsv(more)], "unseeded.csv", { type: "text/csv" }));
  const second = await json<ImportCreated>(ops.request("/upload-csv", { method: "POST", body: form }), 201);
  assert.deepEqual(await seededOf(second.import_id), {});

  // Appended to the first dataset: nothing inherited, the same rule per file.
  const delivery = (at: number) =>
    toCsv(seededRows.map((row) => ({ ...row, title: `${row.title} (${at})` })));
  const third = await json<ImportCreated>(
    uploadCsv(delivery(3), `append_to=${created.import_id}&field_columns=${encodeURIComponent(mapping)}`),
    201,
  );
  assert.equal(third.appended_to, created.import_id);
  assert.deepEqual(await seededOf(third.import_id), { maker: 2, product: 2 });
  const fourth = await json<ImportCreated>(uploadCsv(delivery(4), `append_to=${created.import_id}`), 201);
  assert.deepEqual(await seededOf(fourth.import_id), { maker: 2 });
});

test("undoing a decision on a seeded row gives the row its seed value back", async () => {
  const [row] = await db.query<{ id: number; entry: string }>(sql`
    SELECT p.id, e.name AS entry FROM catalogue_matches m JOIN fields f ON f.id = m.field_id
    JOIN products p ON p.id = m.product_id JOIN imports i ON i.id = p.import_id
    JOIN catalogue_entries e ON e.id = m.entry_id
    WHERE f.name = 'product' AND m.source = 'seed' AND i.file_name = 'seeded.csv' ORDER BY p.row_number LIMIT 1`);
  assert.ok(row, "a seeded row");
  // A correction of the file's value, by the API (a seeded row is no card of the queue).
  const decided = await json<CatalogueDecisionSaved>(
    postJson("/fields/product/decisions", { product_id: row.id, new_entry: "Logitech M185 Refurbished" }),
    201,
  );
  assert.deepEqual(await productMatch(row.id), { source: "human", entry: "Logitech M185 Refurbished" });
  const withdrawn = await json<CatalogueDecisionWithdrawn>(undo("product", decided.decision_id, ops), 200);
  assert.deepEqual(withdrawn.restored && [withdrawn.restored.source, withdrawn.restored.name], [
    "seed",
    row.entry,
  ]);
  assert.deepEqual(await productMatch(row.id), { source: "seed", entry: row.entry });
});

test("GET /fields/{field}/entries searches and pages the entries; DELETE …/entries/{id} retires one", async () => {
  type Listed = { field: string; entries: EntryList["entries"]; next_after: number | null };
  const entries = (query = "", app = reviewer) =>
    json<Listed>(app.request(`/fields/product/entries${query}`), 200);
  const retire = (id: number | string, app = ops, field = "product") =>
    app.request(`/fields/${field}/entries/${id}`, { method: "DELETE" });

  const all = await entries("?limit=500");
  assert.equal(all.field, "product");
  assert.equal(all.next_after, null);
  const stored = await db.query<{ id: number; name: string }>(sql`
    SELECT e.id, e.name FROM catalogue_entries e JOIN fields f ON f.id = e.field_id
    WHERE f.name = 'product' AND e.retired_at IS NULL ORDER BY e.id`);
  assert.deepEqual(
    all.entries.map((entry) => [entry.entry_id, entry.name]),
    stored.map((e) => [e.id, e.name]),
  );
  assert.deepEqual(
    all.entries.find((entry) => entry.name === "Logitech M185 Wireless Mouse, Grey")?.attributes,
    { maker: "Logitech" },
  );

  // q: case-insensitive, in id order.
  const sony = await entries(`?q=${encodeURIComponent("  sONY wh-1000XM4 ")}`);
  assert.deepEqual(sony.entries.map((entry) => entry.name), [
    "Sony WH-1000XM4 Headphones",
    "Sony WH-1000XM4 Black",
  ]);
  assert.deepEqual((await entries("?q=%25")).entries, [], "LIKE's wildcards are literal");

  // Paged two at a time: the pages, followed by next_after, are the whole list.
  const paged: Listed["entries"] = [];
  let after: number | null = null;
  for (let step = 0; step === 0 || after !== null; step++) {
    assert.ok(step <= all.entries.length, "the pages end");
    const page: Listed = await entries(`?limit=2${after === null ? "" : `&after=${after}`}`);
    assert.ok(page.entries.length <= 2);
    paged.push(...page.entries);
    after = page.next_after;
    if (after !== null) assert.equal(after, page.entries[page.entries.length - 1].entry_id);
  }
  assert.deepEqual(paged, all.entries);

  // An entry added by mistake, which no row is decided to, is retired: gone from the list, audited.
  await json<EntriesUploaded>(uploadList("product", "name,maker\nMistaken Entry,Nobody\n"), 201);
  const mistaken = (await entries("?q=mistaken")).entries[0];
  assert.deepEqual([mistaken.name, mistaken.decided, mistaken.source], ["Mistaken Entry", 0, "upload"]);
  await refused(retire(mistaken.entry_id, reviewer), 403, /ops/);
  assert.equal((await entries("?q=mistaken")).entries.length, 1, "a refused retire changes nothing");
  assert.deepEqual(await json<EntryRetired>(retire(mistaken.entry_id), 200), {
    entry_id: mistaken.entry_id,
    name: "Mistaken Entry",
  });
  assert.deepEqual((await entries("?q=mistaken")).entries, []);
  assert.ok(!(await entries("?limit=500")).entries.some((entry) => entry.entry_id === mistaken.entry_id));
  const audit = await db.query<{ actor: string; entry_id: number }>(sql`
    SELECT actor, (details -> 'result' ->> 'entry_id')::int AS entry_id FROM audit_log
    WHERE kind = 'field.entry.retire' ORDER BY id`);
  assert.deepEqual(audit, [{ actor: ops.name, entry_id: mistaken.entry_id }]);
  // Retired already, or never there: 404.
  await refused(retire(mistaken.entry_id), 404, /the field "product" has no entry/);
  await refused(retire(999_999), 404, /the field "product" has no entry 999999/);

  // An entry rows are decided to: 409 naming how many, and it stays.
  const black = all.entries.find((entry) => entry.name === "Sony WH-1000XM4 Black")!;
  assert.ok(black.decided > 0, "rows are decided to it");
  await refused(
    retire(black.entry_id),
    409,
    new RegExp(`^Cannot retire "Sony WH-1000XM4 Black": ${black.decided} rows? (is|are) decided to it`),
  );
  assert.equal((await entries("?q=black")).entries.length, 1);

  // The label field has no entries; an unknown field none either.
  await refused(reviewer.request("/fields/category/entries"), 422, /label field/);
  await refused(retire(black.entry_id, ops, "category"), 422, /label field/);
  await refused(reviewer.request("/fields/nothing/entries"), 404, /Cannot find the field "nothing"/);
  assert.equal(
    (await db.query(sql`SELECT 1 FROM audit_log WHERE kind = 'field.entry.retire'`)).length,
    1,
    "only the one entry was retired",
  );
});
