/** The card's percentage says what it means: a calibrated rate with a version, a ranking before. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { confidenceLabel, confidenceMeaning } from "./ReviewCardDetails.tsx";

test("the confidence tooltip names the version it was calibrated for, or says it is not a rate yet", () => {
  assert.equal(confidenceLabel(0.8971), "90%");
  assert.match(confidenceMeaning({ confidence: 0.8971, model_version: "v3" }), /v3 did not train on.*90%/);
  assert.match(confidenceMeaning({ confidence: 0.4, model_version: null }), /not yet a rate/);
  assert.match(confidenceMeaning({ confidence: null, model_version: null }), /No suggestion/);
});
