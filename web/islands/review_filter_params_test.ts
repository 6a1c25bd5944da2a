/** The confidence filter keeps exactly the cards whose shown percent lies within the typed bounds. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { filterParams, NO_FILTERS } from "./ReviewFilterBar.tsx";
import { confidenceLabel } from "../components/ReviewCardDetails.tsx";

/** What the server keeps: rank_confidence BETWEEN min_confidence AND max_confidence (review_queue.ts). */
function kept(confidence: number, min: string, max: string): boolean {
  const params = filterParams(
    { ...NO_FILTERS, minConfidence: min, maxConfidence: max },
    new URLSearchParams(),
  );
  const low = Number(params.get("min_confidence") ?? 0);
  const high = Number(params.get("max_confidence") ?? 1);
  // The server compares real (float4) values, as stored.
  const stored = Math.fround(confidence);
  return Math.fround(low) <= stored && stored <= Math.fround(high);
}

test("a card showing 90% (0.8971) is in the 90–100 filter and not in 80–89", () => {
  assert.equal(confidenceLabel(0.8971), "90%");
  assert.equal(kept(0.8971, "90", "100"), true);
  assert.equal(kept(0.8971, "80", "89"), false);
  assert.equal(kept(0.8949, "80", "89"), true);
});

test("for every confidence on a fine grid, kept ⇔ its shown percent is within the bounds", () => {
  const bounds = [["0", "100"], ["90", "100"], ["80", "89"], ["40", "40"], ["0", "0"], ["100", "100"]];
  for (let i = 0; i <= 10_000; i++) {
    const confidence = i / 10_000;
    const shown = Math.round(confidence * 100);
    for (const [min, max] of bounds) {
      // Exactly half a percent is a tie the display and the stored float4 may round apart: skipped.
      if (Math.abs(confidence * 100 - Math.floor(confidence * 100) - 0.5) < 1e-6) continue;
      assert.equal(
        kept(confidence, min, max),
        shown >= Number(min) && shown <= Number(max),
        `${confidence} (${shown}%) in ${min}–${max}`,
      );
    }
  }
});
