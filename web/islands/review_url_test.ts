/** The review filters in the address: read back as written, other parameters kept, junk ignored. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { NO_FILTERS, type ReviewFilters } from "./ReviewFilterBar.tsx";
import { cardFromSearch, filtersFromSearch, searchWithCard, searchWithFilters } from "./review_url.ts";

test("filters written to the address read back the same, and import_id stays", () => {
  const filters: ReviewFilters = {
    suggestion: "Cameras & lenses",
    minConfidence: "40",
    maxConfidence: "90",
    q: "café 100%",
    similarTo: { productId: 42, text: "Canon EOS" },
  };
  const search = searchWithFilters("?import_id=7&q=old", filters);
  assert.equal(new URLSearchParams(search).get("import_id"), "7");
  assert.deepEqual(filtersFromSearch(search), filters);
  assert.equal(searchWithFilters("?import_id=7&q=old", NO_FILTERS), "?import_id=7");
  assert.equal(searchWithFilters("", NO_FILTERS), "");
});

test("unreadable values in the address count as no filter", () => {
  assert.deepEqual(
    filtersFromSearch("?min_confidence=abc&max_confidence=140&similar_to=-3&q=" + "x".repeat(900)),
    { ...NO_FILTERS, q: "x".repeat(500) },
  );
  assert.deepEqual(filtersFromSearch("?similar_to=9").similarTo, { productId: 9, text: "row 9" });
});

test("the card on screen is named in the address and read back; junk names none", () => {
  const search = searchWithCard("?import_id=7&q=mug", 1234);
  assert.equal(cardFromSearch(search), 1234);
  assert.deepEqual(filtersFromSearch(search).q, "mug");
  assert.equal(searchWithCard(search, null), "?import_id=7&q=mug");
  for (const junk of ["?card=abc", "?card=-1", "?card=3000000000", "?card=1.5", ""]) {
    assert.equal(cardFromSearch(junk), null, junk);
  }
});
