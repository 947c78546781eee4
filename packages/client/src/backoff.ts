/**
 * "Equal jitter" back-off: half of the exponential step fixed, half random, so clients refused
 * together do not come back together. `attempt` 0 waits about `baseMs`; the step doubles up to `maxMs`.
 */
export function backoffDelay(attempt: number, { baseMs, maxMs, random = Math.random }: { baseMs: number; maxMs: number; random?: () => number }): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return ceiling / 2 + (random() * ceiling) / 2;
}
