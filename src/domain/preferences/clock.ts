/**
 * Renkei's notion of "now" for quiet hours and digests. `CLOCK_OFFSET_MS` (a var, normally
 * unset) shifts it, so a demo or a test can stand at 23:30 in Tokyo without waiting for it;
 * everything else (tokens, pacing, retries) keeps the real clock.
 */
export function preferenceNow(env: { CLOCK_OFFSET_MS?: string }): number {
  const offset = Number(env.CLOCK_OFFSET_MS ?? 0);
  return Date.now() + (Number.isFinite(offset) ? offset : 0);
}
