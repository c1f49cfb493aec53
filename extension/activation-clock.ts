// The start of the activation clock. extension.ts imports this module first, so this line runs
// first when the bundle loads; activate() logs `activated in X ms (load Y ms, activate Z ms)`
// from here to its end (bench/activation.ts reads it from the log).
export const bundleLoadStartedAt = performance.now();

/** Milliseconds with one decimal, for the log line. */
export function msSince(t: number, now = performance.now()): string {
  return (now - t).toFixed(1);
}
