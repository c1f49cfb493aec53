// Waits `ms` unless cancelled first; resolves true when the wait completed.
export function delayUnlessCancelled(
  ms: number,
  token: { isCancellationRequested: boolean; onCancellationRequested(cb: () => void): { dispose(): void } },
): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const sub = token.onCancellationRequested(() => {
      clearTimeout(timer);
      sub.dispose();
      resolve(false);
    });
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(true);
    }, ms);
  });
}
