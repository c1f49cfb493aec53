// Closed-loop load: N workers each issue their next request as soon as the previous one answered
// (or, with a think time, after pausing like a user would).

export interface LoadResult {
  /** Latency of each successful request, ms. */
  latencies: number[];
  errors: number;
  firstError?: string;
  wallMs: number;
}

/**
 * Runs `total` calls over `workers` concurrent closed loops; `call(worker, seq)` does one request.
 * `thinkMs` > 0: each worker waits a random 0.5–1.5 × thinkMs between its requests (and up to
 * thinkMs before its first), so N workers offer about N / thinkMs requests per ms.
 */
export async function closedLoop(
  workers: number,
  total: number,
  call: (worker: number, seq: number) => Promise<void>,
  thinkMs = 0,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      if (thinkMs > 0) await sleep(Math.random() * thinkMs);
      for (let first = true; ; first = false) {
        if (thinkMs > 0 && !first) await sleep(thinkMs * (0.5 + Math.random()));
        const i = next++;
        if (i >= total) return;
        const s = performance.now();
        try {
          await call(w, i);
          latencies.push(performance.now() - s);
        } catch (err) {
          errors++;
          firstError ??= (err as Error)?.message ?? String(err);
        }
      }
    }),
  );
  return { latencies, errors, firstError, wallMs: performance.now() - t0 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
