/**
 * The learning loop's routes: model versions (GET /models — JSON, or the models page for a browser —
 * and GET /models/:version), retraining, activation and rollback (POST /load-model), job progress, the
 * taxonomy upload, and the auto-accept and auto-retrain settings.
 */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
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
import {
  previewAutoAccept,
  readAutoAcceptState,
  saveAutoAccept,
} from "../../core/review/auto_accept_state.ts";
import { currentUser } from "../http/current_user.ts";
import { readJob } from "../../core/jobs/job_view.ts";
import { readJsonBody } from "../http/json_body.ts";
import { loadModel, readModelList } from "../../core/model_lifecycle/model_admin.ts";
import { declaredRouter, defineRoute, jsonBody } from "../http/define_route.ts";
import { parseTaxonomy } from "../../core/imports/taxonomy_upload.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";
import { wantsHtml } from "../http/content_negotiation.ts";

/** Largest taxonomy upload: 10,000 names of 100 bytes. */
const MAX_TAXONOMY_BYTES = 1024 * 1024;

const VersionParam = z.object({ version: z.string().regex(/^v\d{1,9}$/, 'expected a version like "v3"') });

const taxonomyLimit = bodyLimit({
  maxSize: MAX_TAXONOMY_BYTES,
  onError: () => {
    throw new ApiProblem(413, `Cannot upload a taxonomy over ${MAX_TAXONOMY_BYTES} bytes`);
  },
});

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": schema },
});

// Ops: models, settings and jobs.
const listModels = defineRoute({
  method: "get",
  path: "/models",
  access: "ops",
  tag: "API",
  summary: "Model versions with their metrics, newest first",
  description: "JSON unless the Accept header lists text/html, which gets the models page.",
  responses: {
    200: {
      description: "The versions",
      content: { "application/json": ModelList, "text/html": z.string() },
    },
  },
});

const readModel = defineRoute({
  method: "get",
  path: "/models/{version}",
  access: "ops",
  tag: "API",
  summary: "One model version",
  request: { params: VersionParam },
  names: { param: "version" },
  responses: { 200: json(ModelVersionView, "The version") },
  errors: [404, 422],
});

const triggerRetrain = defineRoute({
  method: "post",
  path: "/trigger-retrain",
  access: "ops",
  audit: "retrain",
  tag: "API",
  summary: "Queue a retrain on the current labels (a retrain already queued or running is returned instead)",
  description: "At most one retrain is queued or running at a time, whoever asks (people, or the " +
    "auto-retrain scheduler). With too few labelled rows the job fails at once, its `last_error` saying " +
    'how many there are and how many are needed ("Cannot train: 12 labelled rows, need at least 10 ' +
    'with vectors").',
  responses: { 202: json(RetrainQueued, "Queued") },
  errors: [400, 415],
});

const activateModel = defineRoute({
  method: "post",
  path: "/load-model",
  access: "ops",
  audit: "model.load",
  tag: "API",
  summary: "Activate a version (the newest ready one by default; an older one rolls back)",
  description: "The version is checked here first (files, checksums, embedding model and dimensions): a " +
    "corrupt or incompatible one is refused with 422 and the active version stays. Every process then " +
    "swaps it in, and the rows waiting for review are re-scored. 409 when no version is ready says why: " +
    "the last retrain still running, or its error (too few labels), or the newest version already active.",
  request: { body: jsonBody(LoadModelInput, { optional: true }) },
  names: { json: "model" },
  responses: { 200: json(ModelLoaded, "Active") },
  errors: [400, 404, 409, 415, 422, 503],
});

const readJobRoute = defineRoute({
  method: "get",
  path: "/jobs/{id}",
  access: "ops",
  tag: "API",
  summary: "A background job: status, live progress, result",
  request: { params: IdParam },
  names: { param: "job id" },
  responses: { 200: json(JobView, "The job") },
  errors: [404, 422],
});

const uploadTaxonomy = defineRoute({
  method: "post",
  path: "/upload-taxonomy",
  access: "ops",
  audit: "taxonomy",
  tag: "API",
  summary: "Add label names (text/plain, one per line) for zero-shot suggestions",
  described: { body: { "text/plain": z.string() } },
  middleware: [taxonomyLimit],
  responses: { 201: json(TaxonomyUploaded, "Added") },
  errors: [413, 415, 422],
});

const readAutoAccept = defineRoute({
  method: "get",
  path: "/settings/auto-accept",
  access: "ops",
  tag: "API",
  summary: "The auto-accept setting and what it would do under the active version",
  responses: { 200: json(AutoAcceptState, "The setting") },
});

const previewAutoAcceptRoute = defineRoute({
  method: "post",
  path: "/settings/auto-accept/preview",
  access: "ops",
  tag: "API",
  summary: "Held-out precision of the active version at a threshold, and the rows it would accept",
  request: { body: jsonBody(AutoAcceptPreviewInput) },
  names: { json: "auto-accept preview" },
  responses: { 200: json(AutoAcceptPreview, "The preview") },
  errors: [400, 415, 422],
});

const writeAutoAccept = defineRoute({
  method: "put",
  path: "/settings/auto-accept",
  access: "ops",
  audit: "settings.auto_accept",
  tag: "API",
  summary: "Change the auto-accept setting; turning it on requires the measured precision",
  request: { body: jsonBody(AutoAcceptSetting) },
  names: { json: "auto-accept setting" },
  responses: { 200: json(AutoAcceptState, "Saved") },
  errors: [400, 409, 415, 422],
});

const readAutoRetrain = defineRoute({
  method: "get",
  path: "/settings/auto-retrain",
  access: "ops",
  tag: "API",
  summary: "The auto-retrain and auto-activation setting, and whether a retrain is due now and why",
  responses: { 200: json(AutoRetrainState, "The setting") },
});

const writeAutoRetrainRoute = defineRoute({
  method: "put",
  path: "/settings/auto-retrain",
  access: "ops",
  audit: "settings.auto_retrain",
  tag: "API",
  summary: "Change when workers retrain by themselves, and whether a new version may activate itself",
  description: "`every_labels`: new labels (decisions and seed labels) that queue a retrain; " +
    "`every_minutes`: time after the last retrain that queues one with fewer (0: by count only); " +
    "`auto_activate`: a new version becomes active when it is at least as good as the active one on " +
    "its held-out rows. Workers read it on their next poll.",
  request: { body: jsonBody(AutoRetrainSetting) },
  names: { json: "auto-retrain setting" },
  responses: { 200: json(AutoRetrainState, "Saved") },
  errors: [400, 415, 422],
});

/** Builds the model routes. */
export function modelRoutes(deps: ApiDependencies): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();

  routes.openapi(listModels, async (c) => {
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

  routes.openapi(readModel, async (c) => {
    const { version } = c.req.valid("param");
    const found = (await readModelList(deps.db)).versions.find((row) => row.version === version);
    if (!found) throw new ApiProblem(404, `No model version "${version}"`);
    return c.json(found);
  });

  routes.openapi(triggerRetrain, async (c) => {
    // Any body must be JSON; its content is not read.
    await readJsonBody(c, { optional: true });
    const requestedBy = currentUser()?.name;
    return c.json(await enqueueRetrain(deps.db, requestedBy ? { requested_by: requestedBy } : {}), 202);
  });

  routes.openapi(activateModel, async (c) => {
    const input = c.req.valid("json");
    if (!deps.models) throw new ApiProblem(503, "Cannot load a model: this process serves no models");
    return c.json(await loadModel(deps.db, deps.models, input.version));
  });

  routes.openapi(readJobRoute, async (c) => {
    const { id } = c.req.valid("param");
    const job = await readJob(deps.db, id);
    if (!job) throw new ApiProblem(404, `No job with id ${id}`);
    return c.json(job);
  });

  routes.openapi(uploadTaxonomy, async (c) => {
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

  routes.openapi(readAutoAccept, async (c) => c.json(await readAutoAcceptState(deps.db, deps.models)));

  routes.openapi(previewAutoAcceptRoute, async (c) => {
    return c.json(await previewAutoAccept(deps.db, deps.models, c.req.valid("json")));
  });

  routes.openapi(writeAutoAccept, async (c) => {
    return c.json(await saveAutoAccept(deps.db, deps.models, c.req.valid("json")));
  });

  routes.openapi(readAutoRetrain, async (c) => c.json(await readAutoRetrainState(deps.db, deps.modelId)));

  routes.openapi(writeAutoRetrainRoute, async (c) => {
    await writeAutoRetrain(deps.db, c.req.valid("json"));
    return c.json(await readAutoRetrainState(deps.db, deps.modelId));
  });

  return routes;
}
