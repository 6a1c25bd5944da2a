import { test } from "node:test";
import assert from "node:assert/strict";
import type { ImportProgress } from "../../contract/schemas.ts";
import { embeddingText } from "./progress_text.ts";

function progress(embedded: number, rate: number, eta: number | null): ImportProgress {
  return {
    id: 1,
    file_name: "feed.csv",
    status: "imported",
    error: null,
    dataset_id: 1,
    row_count: 2400,
    embedded_count: embedded,
    suggested_count: 0,
    reviewed_count: 0,
    reused_count: 0,
    failed_count: 0,
    embedding_rate: rate,
    eta_seconds: eta,
    created_at: "2027-01-01T00:00:00Z",
    sample: false,
  } as ImportProgress;
}

test("embeddingText() gives the rate and time left while embedding, and the count alone once done", () => {
  assert.equal(embeddingText(progress(1234, 45.2, 26)), "1,234 / 2,400 embedded · 45/s · about 26 s left");
  // A minute-long window still holds the last vectors: the rate must not linger (and decay) once done.
  assert.equal(embeddingText(progress(2400, 13, 0)), "2,400 / 2,400 embedded");
});
