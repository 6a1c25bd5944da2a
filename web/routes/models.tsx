/**
 * The learning loop's routes: model versions (GET /models — JSON, or the models page for a browser —
 * and GET /models/:version), retraining, activation and rollback (POST /load-model), job progress, the
 * taxonomy upload, and the auto-accept and auto-retrain settings.
 */
import type { AppEnv } from "../http/app_env.ts";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { renderToString } from "preact-render-to-string";
import { z } from "zod";
import {
  AutoAcceptPreview,
  AutoAcceptPreviewInput,
  AutoAcceptSetting,
  AutoAcceptState,
  AutoRetrainSetting,
  AutoRetrainState,
  IdParam,
  JobView,
  LoadModelInput,
  ModelList,
  ModelLoaded,
  ModelVersionView,
  RetrainQueued,
  TaxonomyUploaded,
} from "../../contract/schemas.ts";
import { readAutoRetrainState } from "../../core/model_lifecycle/auto_retrain.ts";
import { writeAutoRetrain } from "../../core/model_lifecycle/auto_retrain_setting.ts";
import { addTaxonomyLabels } from "../../core/suggest/label_names.ts";
import { enqueueRescore } from "../../core/suggest/rescore_job.ts";
import { enqueueRetrain } from "../../core/model_lifecycle/retrain_job.ts";
import { Island } from "../components/Island.tsx";
import { Layout } from "../components/Layout.tsx";
import { ApiProblem } from "../http/api_error.ts";
import { parseInput } from "../../core/parse_input.ts";
import {
  previewAutoAccept,
  readAutoAcceptState,
  saveAutoAccept,
} from "../../core/review/auto_accept_state.ts";
import { currentUser } from "../http/current_user.ts";
import { readJob } from "../../core/jobs/job_view.ts";
import { readJsonBody } from "../http/json_body.ts";
import { loadModel, readModelList } from "../../core/model_lifecycle/model_admin.ts";
import type { RouteDoc } from "../http/openapi.ts";
import { parseTaxonomy } from "../../core/imports/taxonomy_upload.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";
import { wantsHtml } from "../http/content_negotiation.ts";

/** Largest taxonomy upload: 10,000 names of 100 bytes. */
const MAX_TAXONOMY_BYTES = 1024 * 1024;

const VersionParam = z.object({ version: z.string().regex(/^v\d{1,9}$/, 'expected a version like "v3"') });

/** Builds the model routes. */
export function modelRoutes(deps: ApiDependencies): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/models", async (c) => {
    const list = await readModelList(deps.db);
    c.header("Vary", "Accept");
    if (!wantsHtml(c.req.header("accept"))) return c.json(list);
    const autoAccept = await readAutoAcceptState(deps.db, deps.models);
    const autoRetrain = await readAutoRetrainState(deps.db, deps.modelId);
    return c.html(`<!DOCTYPE html>${
      renderToString(
        <Layout title="Models" active="models">
          <h1 class="text-2xl font-semibold mb-4">Models</h1>
          <Island name="ModelsPanel" props={{ list }} />
          <h2 class="text-xl font-semibold mt-8 mb-3">Auto-retrain and auto-activation</h2>
          <Island name="AutoRetrainPanel" props={{ state: autoRetrain }} />
          <h2 class="text-xl font-semibold mt-8 mb-3">Auto-accept</h2>
          <Island name="AutoAcceptPanel" props={{ state: autoAccept }} />
          <h2 class="text-xl font-semibold mt-8 mb-3">Taxonomy</h2>
          <Island name="TaxonomyForm" props={{ count: list.taxonomy_count }} />
        </Layout>,
      )
    }`);
  });

  routes.get("/models/:version", async (c) => {
    const { version } = parseInput(VersionParam, c.req.param(), "version");
    const found = (await readModelList(deps.db)).versions.find((row) => row.version === version);
    if (!found) throw new ApiProblem(404, `No model version "${version}"`);
    return c.json(found);
  });

  routes.post("/trigger-retrain", async (c) => {
    await readJsonBody(c.req.raw, { optional: true });
    const requestedBy = currentUser()?.name;
    return c.json(await enqueueRetrain(deps.db, requestedBy ? { requested_by: requestedBy } : {}), 202);
  });

  routes.post("/load-model", async (c) => {
    const input = parseInput(LoadModelInput, await readJsonBody(c.req.raw, { optional: true }), "model");
    if (!deps.models) throw new ApiProblem(503, "Cannot load a model: this process serves no models");
    return c.json(await loadModel(deps.db, deps.models, input.version));
  });

  routes.get("/jobs/:id", async (c) => {
    const { id } = parseInput(IdParam, c.req.param(), "job id");
    const job = await readJob(deps.db, id);
    if (!job) throw new ApiProblem(404, `No job with id ${id}`);
    return c.json(job);
  });

  const taxonomyLimit = bodyLimit({
    maxSize: MAX_TAXONOMY_BYTES,
    onError: () => {
      throw new ApiProblem(413, `Cannot upload a taxonomy over ${MAX_TAXONOMY_BYTES} bytes`);
    },
  });
  routes.post("/upload-taxonomy", taxonomyLimit, async (c) => {
    const type = c.req.header("content-type") ?? "";
    if (!type.toLowerCase().startsWith("text/plain")) {
      throw new ApiProblem(
        415,
        `Cannot read a taxonomy of type "${type || "none"}": send text/plain, one label per line`,
      );
    }
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(await c.req.arrayBuffer());
    } catch {
      throw new ApiProblem(422, "Cannot read the taxonomy: it is not UTF-8 text");
    }
    const names = parseTaxonomy(text);
    const { added, total } = await addTaxonomyLabels(deps.db, names);
    const rescoreJobId = await enqueueRescore(deps.db, { reason: "taxonomy" });
    return c.json({ received: names.length, added, total, rescore_job_id: rescoreJobId }, 201);
  });

  routes.get("/settings/auto-accept", async (c) => c.json(await readAutoAcceptState(deps.db, deps.models)));

  routes.post("/settings/auto-accept/preview", async (c) => {
    const input = parseInput(AutoAcceptPreviewInput, await readJsonBody(c.req.raw), "auto-accept preview");
    return c.json(await previewAutoAccept(deps.db, deps.models, input));
  });

  routes.put("/settings/auto-accept", async (c) => {
    const setting = parseInput(AutoAcceptSetting, await readJsonBody(c.req.raw), "auto-accept setting");
    return c.json(await saveAutoAccept(deps.db, deps.models, setting));
  });

  routes.get(
    "/settings/auto-retrain",
    async (c) => c.json(await readAutoRetrainState(deps.db, deps.modelId)),
  );

  routes.put("/settings/auto-retrain", async (c) => {
    const setting = parseInput(AutoRetrainSetting, await readJsonBody(c.req.raw), "auto-retrain setting");
    await writeAutoRetrain(deps.db, setting);
    return c.json(await readAutoRetrainState(deps.db, deps.modelId));
  });

  return routes;
}

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": schema },
});

/** Descriptions of the model routes for the OpenAPI document. */
export const modelDocs: RouteDoc[] = [
  {
    method: "get",
    path: "/models",
    tag: "API",
    summary: "Model versions with their metrics, newest first",
    description: "JSON unless the Accept header lists text/html, which gets the models page.",
    responses: {
      200: {
        description: "The versions",
        content: { "application/json": ModelList, "text/html": z.string() },
      },
    },
  },
  {
    method: "get",
    path: "/models/:version",
    tag: "API",
    summary: "One model version",
    params: VersionParam,
    responses: { 200: json(ModelVersionView, "The version") },
    errors: [404, 422],
  },
  {
    method: "post",
    path: "/trigger-retrain",
    tag: "API",
    summary:
      "Queue a retrain on the current labels (a retrain already queued or running is returned instead)",
    description: "At most one retrain is queued or running at a time, whoever asks (people, or the " +
      "auto-retrain scheduler). With too few labelled rows the job fails at once, its `last_error` saying " +
      'how many there are and how many are needed ("Cannot train: 12 labelled rows, need at least 10 ' +
      'with vectors").',
    responses: { 202: json(RetrainQueued, "Queued") },
    errors: [400, 415],
  },
  {
    method: "post",
    path: "/load-model",
    tag: "API",
    summary: "Activate a version (the newest ready one by default; an older one rolls back)",
    description: "The version is checked here first (files, checksums, embedding model and dimensions): a " +
      "corrupt or incompatible one is refused with 422 and the active version stays. Every process then " +
      "swaps it in, and the rows waiting for review are re-scored. 409 when no version is ready says why: " +
      "the last retrain still running, or its error (too few labels), or the newest version already active.",
    body: { "application/json": LoadModelInput },
    responses: { 200: json(ModelLoaded, "Active") },
    errors: [400, 404, 409, 415, 422, 503],
  },
  {
    method: "get",
    path: "/jobs/:id",
    tag: "API",
    summary: "A background job: status, live progress, result",
    params: IdParam,
    responses: { 200: json(JobView, "The job") },
    errors: [404, 422],
  },
  {
    method: "post",
    path: "/upload-taxonomy",
    tag: "API",
    summary: "Add label names (text/plain, one per line) for zero-shot suggestions",
    body: { "text/plain": z.string() },
    responses: { 201: json(TaxonomyUploaded, "Added") },
    errors: [413, 415, 422],
  },
  {
    method: "get",
    path: "/settings/auto-accept",
    tag: "API",
    summary: "The auto-accept setting and what it would do under the active version",
    responses: { 200: json(AutoAcceptState, "The setting") },
  },
  {
    method: "post",
    path: "/settings/auto-accept/preview",
    tag: "API",
    summary: "Held-out precision of the active version at a threshold, and the rows it would accept",
    body: { "application/json": AutoAcceptPreviewInput },
    responses: { 200: json(AutoAcceptPreview, "The preview") },
    errors: [400, 415, 422],
  },
  {
    method: "put",
    path: "/settings/auto-accept",
    tag: "API",
    summary: "Change the auto-accept setting; turning it on requires the measured precision",
    body: { "application/json": AutoAcceptSetting },
    responses: { 200: json(AutoAcceptState, "Saved") },
    errors: [400, 409, 415, 422],
  },
  {
    method: "get",
    path: "/settings/auto-retrain",
    tag: "API",
    summary: "The auto-retrain and auto-activation setting, and whether a retrain is due now and why",
    responses: { 200: json(AutoRetrainState, "The setting") },
  },
  {
    method: "put",
    path: "/settings/auto-retrain",
    tag: "API",
    summary: "Change when workers retrain by themselves, and whether a new version may activate itself",
    description: "`every_labels`: new labels (decisions and seed labels) that queue a retrain; " +
      "`every_minutes`: time after the last retrain that queues one with fewer (0: by count only); " +
      "`auto_activate`: a new version becomes active when it is at least as good as the active one on " +
      "its held-out rows. Workers read it on their next poll.",
    body: { "application/json": AutoRetrainSetting },
    responses: { 200: json(AutoRetrainState, "Saved") },
    errors: [400, 415, 422],
  },
];
