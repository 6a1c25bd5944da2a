/** GET /workers: the heartbeats as JSON and as the ops page. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { WorkerList } from "../../contract/schemas.ts";
import { recordHeartbeat, recordStopped, thisProcess } from "../../core/jobs/heartbeat.ts";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import { signedInApp } from "../../testing/signed_in_app.ts";
import { wantsHtml } from "../http/content_negotiation.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
after(() => db.close());

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

function beat(id: string, host: string, device: "cpu" | "cuda", embedded = 0) {
  return recordHeartbeat(
    db,
    {
      ...thisProcess({
        id,
        device,
        deviceDetail: `embedding on ${device}`,
        trainingBackend: device === "cuda" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-backend-wasm",
        embeddingModel: TEST_MODEL_ID,
      }),
      host,
    },
    { productsEmbedded: embedded, jobsDone: 1, jobsFailed: 0, modelVersion: null },
  );
}

async function getList(): Promise<WorkerList> {
  const response = await app.request("/workers");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(response.headers.get("vary"), "Accept");
  return WorkerList.parse(await response.json());
}

test("GET /workers with no worker answers an empty list, and the page says so", async () => {
  const list = await getList();
  assert.deepEqual(list.workers, []);
  assert.equal(list.live_count, 0);
  const response = await app.request("/workers", { headers: { accept: BROWSER_ACCEPT } });
  assert.equal(response.status, 200);
  assert.match(await response.text(), /No worker has reported in the last hour/);
});

test("GET /workers shows a GPU node joining, then stopping, and a CPU worker that went silent", async () => {
  await beat("cpu-1", "cpu-box", "cpu", 120);
  let list = await getList();
  assert.deepEqual(list.workers.map((w) => [w.id, w.status, w.device]), [["cpu-1", "live", "cpu"]]);

  await beat("gpu-1", "gpu-box", "cuda", 5000);
  list = await getList();
  assert.equal(list.live_count, 2);
  const gpu = list.workers.find((w) => w.id === "gpu-1")!;
  assert.equal(gpu.host, "gpu-box");
  assert.equal(gpu.training_backend, "@tensorflow/tfjs-node-gpu");
  assert.equal(gpu.products_embedded, 5000);

  await recordStopped(db, "gpu-1", {
    productsEmbedded: 5100,
    jobsDone: 1,
    jobsFailed: 0,
    modelVersion: null,
  });
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '40 seconds' WHERE id = 'cpu-1'`);
  list = await getList();
  assert.deepEqual(
    list.workers.map((w) => [w.id, w.status]).sort(),
    [["cpu-1", "lost"], ["gpu-1", "stopped"]],
  );
  assert.equal(list.live_count, 0);
  assert.equal(list.workers.find((w) => w.id === "gpu-1")!.products_embedded, 5100);
});

test("GET /workers from a browser renders the ops page with every worker and the island's data", async () => {
  const response = await app.request("/workers", { headers: { accept: BROWSER_ACCEPT } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  const html = await response.text();
  assert.match(html, /<title>Workers · CSV-Sorter<\/title>/);
  assert.match(html, /data-island="WorkerList"/);
  assert.match(html, /data-testid="worker-gpu-1"/);
  assert.match(html, /gpu-box/);
  assert.match(html, />lost</);
  assert.match(html, />stopped</);
  assert.match(html, /<a href="\/workers" class="[^"]*bg-slate-900/, "the nav marks Workers as active");
});

test("every page's navigation links to the workers page", async () => {
  for (const path of ["/", "/review"]) {
    const html = await (await app.request(path)).text();
    assert.match(html, /<a href="\/workers"[^>]*>Workers<\/a>/, path);
  }
});

test("wantsHtml() is true only when the Accept header lists text/html", () => {
  assert.equal(wantsHtml(BROWSER_ACCEPT), true);
  assert.equal(wantsHtml("text/html"), true);
  assert.equal(wantsHtml("application/json, text/html;q=0.5"), true);
  assert.equal(wantsHtml(undefined), false);
  assert.equal(wantsHtml("*/*"), false);
  assert.equal(wantsHtml("application/json"), false);
  assert.equal(wantsHtml("text/htmlx"), false);
});
