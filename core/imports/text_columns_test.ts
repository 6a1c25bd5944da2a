import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseTextColumns } from "./text_columns.ts";

test("chooseTextColumns() prefers title-like columns", () => {
  const chosen = chooseTextColumns([
    { name: "id", values: ["1", "2"] },
    { name: "title", values: ["usb cable", "hdmi cable"] },
    { name: "category", values: ["cables", "cables"] },
    { name: "Product Description", values: ["1m long", "2m long"] },
  ], "category");
  assert.deepEqual(chosen, ["title", "Product Description"]);
});

test("chooseTextColumns() falls back to wordy columns, skipping numbers and the label", () => {
  const chosen = chooseTextColumns([
    { name: "sku", values: ["A-1", "A-2"] },
    { name: "price", values: ["9.99", "10.50"] },
    { name: "brand", values: ["sony", "canon"] },
    { name: "weight", values: ["12", "14"] },
    { name: "group", values: ["cameras", "tv"] },
  ], "group");
  assert.deepEqual(chosen, ["brand"]);
});

test("chooseTextColumns() takes every non-label column when none holds words", () => {
  const chosen = chooseTextColumns([
    { name: "a", values: ["1"] },
    { name: "b", values: ["2"] },
    { name: "c", values: ["x"] },
  ], "c");
  assert.deepEqual(chosen, ["a", "b"]);
});
