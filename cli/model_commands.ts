/** `csv-sorter retrain [--wait]` and `csv-sorter load-model [version]`. */
import { z } from "zod";
import { JobView, LoadModelInput, ModelLoaded, RetrainQueued } from "../contract/schemas.ts";
import { sleep } from "./client.ts";
import { type CommandContext, printResult, progressFor } from "./context.ts";
import { CliError, EXIT } from "./exit_codes.ts";

/** How often a job's progress is read. */
const JOB_POLL_MS = 1000;

// The contract leaves a job's result open (each kind has its own); a retrain's names its version.
const RetrainResult = z.object({ version: z.string(), accuracy: z.number().optional() }).passthrough();

/** Follows job `jobId` until it is done or failed; returns its final view. */
export async function followJob(context: CommandContext, jobId: number): Promise<JobView> {
  const progress = progressFor(context, `job ${jobId}`, "steps", { relative: true });
  let lastMessage = "";
  try {
    while (true) {
      const job = await context.client.json(JobView, `/jobs/${jobId}`);
      if (job.status === "done" || job.status === "failed") return job;
      // Steps, not rows: the bar shows the fraction, the message says what the step is.
      if (job.progress && job.progress.message !== lastMessage && !context.quiet && !context.stderr.isTTY) {
        lastMessage = job.progress.message;
        context.stderr.write(
          `job ${jobId}: ${job.progress.message} (${job.progress.done}/${job.progress.total})\n`,
        );
      } else if (job.progress && context.stderr.isTTY) {
        progress.update(job.progress.done, job.progress.total);
      }
      await sleep(JOB_POLL_MS, context.signal);
    }
  } finally {
    progress.finish();
  }
}

/** Runs `retrain`. */
export async function retrainCommand(context: CommandContext, options: { wait: boolean }): Promise<void> {
  const queued = await context.client.json(RetrainQueued, "/trigger-retrain", { method: "POST" });
  if (!options.wait) {
    printResult(
      context,
      `Retrain job ${queued.job_id}${queued.already_queued ? " (already queued)" : " queued"}`,
      queued,
    );
    return;
  }
  const job = await followJob(context, queued.job_id);
  if (job.status === "failed") {
    if (context.json) printResult(context, "", job);
    throw new CliError(EXIT.failed, `Retrain job ${job.id} failed: ${job.last_error ?? "no reason given"}`);
  }
  const result = RetrainResult.safeParse(job.result);
  const version = result.success ? result.data.version : "?";
  const accuracy = result.success && result.data.accuracy !== undefined
    ? `, held-out accuracy ${result.data.accuracy.toFixed(3)}`
    : "";
  printResult(context, `Retrain job ${job.id} done: version ${version}${accuracy}`, job);
}

/** Runs `load-model`. */
export async function loadModelCommand(context: CommandContext, input: LoadModelInput): Promise<void> {
  const loaded = await context.client.json(ModelLoaded, "/load-model", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(input),
  });
  printResult(
    context,
    `Loaded ${loaded.version}${loaded.previous ? ` (was ${loaded.previous})` : ""}; ` +
      `re-score job ${loaded.rescore_job_id}`,
    loaded,
  );
}
