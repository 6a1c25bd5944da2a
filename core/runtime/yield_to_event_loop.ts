/**
 * Lets timers and I/O run during long computations. In the embedded shape the web server, the worker
 * and PGlite share one event loop, and in-process PGlite queries resolve as microtasks: a retrain whose
 * only awaits are PGlite queries and tfjs callbacks never let the server answer a request (measured: a
 * 9 s retrain held GET /jobs/1 for 9 s). Long loops call {@link yieldEvery} so no stall exceeds ~50 ms.
 */

/** Resolves on the next macrotask, after pending I/O callbacks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A function that yields when `ms` have passed since it last did; cheap to call in tight loops. */
export function yieldEvery(ms = 50): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < ms) return;
    await yieldToEventLoop();
    last = performance.now();
  };
}
