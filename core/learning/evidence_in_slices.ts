/**
 * {@link gatherEvidence} a slice of targets at a time, yielding to the event loop between slices. One
 * call over every held-out row is one synchronous stretch (the kNN and zero-shot matrix products and
 * top-k on the wasm backend): bench:retrain-latency measured 0.7–2 s stalls of the embedded web process
 * there (327 held-out rows against 1,173 training rows, 2 busy cores). Each target's evidence depends
 * only on the target and the sources, so the slices' results are those of one call. The reference
 * vectors are uploaded and the exact-match memory indexed once for all slices (prepareSources): per
 * slice, 8,000 training vectors were a 12 MB copy and upload, 42 times for 2,000 held-out rows.
 */
import type { Evidence } from "./ensemble.ts";
import { type EvidenceSources, gatherPreparedEvidence, prepareSources, type Target } from "./evidence.ts";
import type { Tf } from "../runtime/tf_backend.ts";
import { yieldToEventLoop } from "../runtime/yield_to_event_loop.ts";

/** Targets per slice: about 0.1 s of work against a thousand reference rows on 2 busy cores. */
export const EVIDENCE_SLICE = 48;

/**
 * Targets per slice against `references` labelled rows: {@link EVIDENCE_SLICE} up to 1,000 of them, fewer
 * beyond, so a slice stays about as long (at least one target). 48 targets against 7,959 rows held the
 * embedded process 0.3–0.9 s a slice (bench:retrain-latency at 10,000 labels: 18.6 s of stalls over
 * 250 ms while evaluating).
 */
export function sliceFor(references: number): number {
  return Math.max(1, Math.min(EVIDENCE_SLICE, Math.floor((EVIDENCE_SLICE * 1000) / Math.max(1, references))));
}

/**
 * The evidence for every target, in order, as {@link gatherEvidence} returns it; `slice` targets at a time
 * (default {@link sliceFor} the sources' rows).
 */
export async function gatherEvidenceInSlices(
  tf: Tf,
  targets: Target[],
  sources: EvidenceSources,
  slice = sliceFor(sources.rows.length),
): Promise<Evidence[]> {
  const evidence: Evidence[] = [];
  const prepared = prepareSources(tf, sources);
  try {
    for (let start = 0; start < targets.length; start += slice) {
      if (start > 0) await yieldToEventLoop();
      evidence.push(...gatherPreparedEvidence(tf, targets.slice(start, start + slice), prepared));
    }
  } finally {
    prepared.dispose();
  }
  return evidence;
}
