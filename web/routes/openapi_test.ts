/**
 * GET /openapi.json and GET /api: the document describes exactly the routes the app registers (a route
 * registered without its declaration fails here), every reference resolves, and the page shows it all.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import type { OpenApiDocument } from "../http/api_document.ts";
import { toOpenApiPath } from "../http/route_policy.ts";
import { createApp } from "../app.ts";

const db = await openTestDatabase();
const app = createApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
after(() => db.close());

/** Routes of a Hono app (`app.routes`) that `document` does not describe, as "METHOD /path". */
function undocumentedRoutes(
  routes: readonly { method: string; path: string }[],
  document: OpenApiDocument,
): string[] {
  const missing = new Set<string>();
  for (const route of routes) {
    // Method ALL is middleware (`app.use`).
    if (route.method === "ALL") continue;
    if (!document.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()]) {
      missing.add(`${route.method} ${route.path}`);
    }
  }
  return [...missing];
}

async function readDocument(): Promise<OpenApiDocument> {
  const response = await app.request("/openapi.json");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return JSON.parse(await response.text());
}

test("GET /openapi.json describes every route the app registers, and nothing else", async () => {
  const document = await readDocument();
  assert.equal(document.openapi, "3.1.0");
  assert.deepEqual(undocumentedRoutes(app.routes, document), []);
  const registered = new Set(
    app.routes.filter((route) => route.method !== "ALL").map((route) =>
      `${route.method.toLowerCase()} ${toOpenApiPath(route.path)}`
    ),
  );
  const described = new Set(
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m} ${path}`)
    ),
  );
  assert.deepEqual([...described].sort(), [...registered].sort());
  for (const route of ["post /upload-csv", "get /imports", "get /imports/{id}", "get /products-for-review"]) {
    assert.ok(described.has(route), route);
  }
  for (const route of ["post /submit-feedback", "get /export", "get /health", "get /openapi.json"]) {
    assert.ok(described.has(route), route);
  }
});

test("a route registered without a description is reported", async () => {
  const document = await readDocument();
  const extended = createApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 });
  extended.get("/models/:id/load", (c) => c.text("ok"));
  extended.use("*", async (_c, next) => await next());
  assert.deepEqual(undocumentedRoutes(extended.routes, document), ["GET /models/:id/load"]);
});

test("every $ref resolves, every path parameter is declared, every operation has an error response", async () => {
  const document = await readDocument();
  const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)];
  assert.ok(refs.length > 0);
  for (const [, name] of refs) assert.ok(document.components.schemas[name], `component ${name}`);
  const ids = new Set<string>();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
        assert.ok(operation.parameters.some((p) => p.in === "path" && p.name === name), `${method} ${path}`);
      }
      assert.ok(operation.responses["500"], `${method} ${path} documents 500`);
      assert.ok(!ids.has(operation.operationId), operation.operationId);
      ids.add(operation.operationId);
    }
  }
});

test("the document takes its schemas from the contract: export parameters, bodies and named responses", async () => {
  const document = await readDocument();
  const exportOperation = document.paths["/export"].get;
  const parameter = (name: string) => exportOperation.parameters.find((p) => p.name === name);
  assert.deepEqual(parameter("rows")?.schema.enum, ["all", "reviewed", "accepted"]);
  assert.deepEqual(parameter("format")?.schema.enum, ["csv", "jsonl"]);
  assert.deepEqual(parameter("meta")?.schema.enum, ["true", "false"]);
  assert.equal(parameter("value_column")?.schema.default, "normalised_value");
  assert.equal(parameter("import_id")?.schema.type, "integer");
  assert.deepEqual(Object.keys(exportOperation.responses["200"].content ?? {}), [
    "text/csv",
    "application/jsonl",
  ]);
  assert.deepEqual(Object.keys(exportOperation.responses).sort(), ["200", "404", "422", "500"]);

  const feedback = document.paths["/submit-feedback"].post;
  const body = feedback.requestBody?.content["application/json"].schema as { required: string[] };
  assert.deepEqual(body.required, ["product_id", "approved"]);
  assert.deepEqual(feedback.responses["201"].content?.["application/json"].schema, {
    $ref: "#/components/schemas/FeedbackSaved",
  });
  assert.deepEqual(document.paths["/imports"].get.responses["200"].content?.["application/json"].schema, {
    type: "array",
    items: { $ref: "#/components/schemas/ImportProgress" },
  });
  const textColumns = document.paths["/upload-csv"].post.parameters.find((p) => p.name === "text_columns");
  assert.deepEqual([textColumns?.style, textColumns?.explode], ["form", false], "comma-separated list");
  // A mapping is one text value (JSON or field:column pairs), not one query parameter per field.
  const fieldColumns = document.paths["/upload-csv"].post.parameters.find((p) => p.name === "field_columns");
  assert.deepEqual(fieldColumns?.schema, { type: "string" });
  assert.match(fieldColumns?.description ?? "", /JSON object .* field:column pairs/);
  const page = document.components.schemas.ReviewPage as { properties: { items: { items: unknown } } };
  assert.deepEqual(page.properties.items.items, { $ref: "#/components/schemas/ReviewItem" });
});

test("each operation carries the access and audit kind its route declares", async () => {
  const document = await readDocument();
  assert.equal(document.paths["/health"].get["x-access"], "public");
  assert.equal(document.paths["/imports/{id}"].delete["x-access"], "reviewer");
  assert.equal(document.paths["/imports/{id}"].delete["x-audit"], "import.delete");
  assert.equal(document.paths["/load-model"].post["x-access"], "ops");
  for (const methods of Object.values(document.paths)) {
    for (const operation of Object.values(methods)) assert.ok(operation["x-access"], operation.operationId);
  }
});

test("GET /api lists every operation with its parameters and the schemas, without external assets", async () => {
  const document = await readDocument();
  const response = await app.request("/api");
  assert.equal(response.status, 200);
  const html = await response.text();
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const operation of Object.values(methods)) {
      assert.ok(html.includes(`id="${operation.operationId}"`), path);
      assert.ok(html.includes(path), path);
    }
  }
  for (const name of ["value_column", "rows", "import_id", "text_columns"]) {
    assert.ok(html.includes(name), name);
  }
  for (const name of Object.keys(document.components.schemas)) {
    assert.ok(html.includes(`id="schema-${name}"`));
  }
  const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
  assert.ok(sources.every((url) => !/^(https?:)?\/\//.test(url)), sources.join(" "));
});
