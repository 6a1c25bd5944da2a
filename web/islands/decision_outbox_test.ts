/** The outbox of review decisions with a scripted server: what each failure leaves, and retries. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { FeedbackInput, StoredDecision } from "../../contract/schemas.ts";
import { classify, DecisionOutbox, type OutboxEntry, randomUuid } from "./decision_outbox.ts";

interface Call {
  body: FeedbackInput;
  answer: (status: number, body?: unknown) => void;
  fail: (error: Error) => void;
}

function scripted() {
  const calls: Call[] = [];
  const saved: number[] = [];
  let entries: OutboxEntry[] = [];
  let refreshed = 0;
  const outbox = new DecisionOutbox(
    (body) =>
      new Promise((resolve, reject) => {
        calls.push({ body, answer: (status, answer) => resolve({ status, body: answer }), fail: reject });
      }),
    {
      changed: (now) => (entries = now),
      saved: (entry) => saved.push(entry.productId),
      beforeRetry: () => {
        refreshed++;
        return Promise.resolve();
      },
    },
  );
  return { outbox, calls, saved, entries: () => entries, refreshed: () => refreshed };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const decision = (productId: number) => ({
  productId,
  rowNumber: productId + 1,
  body: { product_id: productId, approved: true, expected_feedback_id: null },
});

test("decisions are sent at once, several in flight, each under its own decision_key", async () => {
  const { outbox, calls, saved } = scripted();
  for (const id of [1, 2, 3]) outbox.add(decision(id));
  assert.equal(calls.length, 3, "none waits for another");
  assert.equal(new Set(calls.map((call) => call.body.decision_key)).size, 3);
  calls[2].answer(201, { feedback_id: 1, value: "x" });
  calls[0].answer(201, { feedback_id: 1, value: "x" });
  await tick();
  assert.deepEqual(saved, [3, 1]);
  assert.deepEqual(outbox.entries.map((entry) => entry.productId), [2]);
  assert.equal(outbox.blocked, false);
});

test("a 401, a 5xx and a lost answer keep the decision, block the flow, and a retry sends the same key", async () => {
  const { outbox, calls, saved, entries, refreshed } = scripted();
  for (const id of [1, 2, 3]) outbox.add(decision(id));
  calls[0].answer(401, { error: { status: 401, message: "Log in first" } });
  calls[1].answer(503);
  calls[2].fail(new TypeError("Failed to fetch"));
  await tick();
  assert.deepEqual(entries().map((entry) => entry.state), ["signed_out", "failed", "failed"]);
  assert.equal(outbox.blocked, true);
  assert.equal(entries()[0].error, "Log in first");
  await outbox.retry();
  assert.equal(refreshed(), 1, "the session's CSRF token is read again before retrying");
  assert.equal(calls.length, 6);
  assert.deepEqual(
    calls.slice(3).map((call) => call.body.decision_key),
    calls.slice(0, 3).map((call) => call.body.decision_key),
  );
  for (const call of calls.slice(3)) call.answer(200, { feedback_id: 1, value: "x" });
  await tick();
  assert.deepEqual(saved.sort(), [1, 2, 3]);
  assert.equal(outbox.entries.length, 0);
  assert.equal(outbox.blocked, false);
});

test("a conflict is kept until the reviewer keeps theirs or replaces it knowingly; a refusal until dropped", async () => {
  const { outbox, calls, saved } = scripted();
  outbox.add(decision(1));
  outbox.add(decision(2));
  const current: StoredDecision = {
    feedback_id: 41,
    product_id: 1,
    approved: false,
    value: "mice",
    reviewer: "alice",
    created_at: "2026-11-30T10:00:00.000Z",
  };
  calls[0].answer(409, { error: { status: 409, message: "Not stored", current_decision: current } });
  calls[1].answer(404, { error: { status: 404, message: "No product" } });
  await tick();
  assert.deepEqual(outbox.entries.map((entry) => entry.state), ["conflict", "refused"]);
  await outbox.retry();
  assert.equal(calls.length, 2, "a retry does not resend a conflict or a refusal");
  outbox.replace(outbox.entries[0].key);
  assert.equal(calls[2].body.expected_feedback_id, 41);
  calls[2].answer(201, { feedback_id: 1, value: "x" });
  await tick();
  assert.deepEqual(saved, [1]);
  const dropped = outbox.drop(outbox.entries[0].key);
  assert.equal(dropped?.productId, 2);
  assert.equal(outbox.entries.length, 0);
});

test("statuses map to what the reviewer can do; random UUIDs are version 4", () => {
  assert.deepEqual([401, 403, 409, 0, 500, 503, 429, 404, 422].map(classify), [
    "signed_out",
    "signed_out",
    "conflict",
    "failed",
    "failed",
    "failed",
    "failed",
    "refused",
    "refused",
  ]);
  assert.match(randomUuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("a 2xx answer that is not a stored decision (a proxy's page) is a failure, not a save", async () => {
  const { outbox, calls, saved } = scripted();
  outbox.add(decision(1));
  calls[0].answer(200, undefined);
  await tick();
  assert.deepEqual(saved, []);
  assert.deepEqual(outbox.entries.map((entry) => entry.state), ["failed"]);
});
