import { test } from "node:test";
import assert from "node:assert/strict";
import { sql, vectorLiteral } from "./sql.ts";

test("sql`` turns values into numbered parameters", () => {
  const query = sql`SELECT * FROM products WHERE id = ${7} AND text = ${"a'b"}`;
  assert.equal(query.text, "SELECT * FROM products WHERE id = $1 AND text = $2");
  assert.deepEqual(query.values, [7, "a'b"]);
});

test("sql`` splices fragments and renumbers their parameters", () => {
  const filter = sql`WHERE import_id = ${3} AND row_number > ${10}`;
  const query = sql`SELECT ${"x"} FROM products ${filter} LIMIT ${5}`;
  assert.equal(query.text, "SELECT $1 FROM products WHERE import_id = $2 AND row_number > $3 LIMIT $4");
  assert.deepEqual(query.values, ["x", 3, 10, 5]);
});

test("sql`` refuses undefined so a missing value never becomes NULL silently", () => {
  assert.throws(() => sql`SELECT ${undefined}`, /parameter 1 is undefined/);
});

test("vectorLiteral() writes pgvector's text form", () => {
  assert.equal(vectorLiteral([0.5, -1, 2]), "[0.5,-1,2]");
  assert.equal(vectorLiteral(new Float32Array([1, 0])), "[1,0]");
});
