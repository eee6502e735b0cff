/**
 * Quiet tests, the runtime's half. Console output of the code under test is vitest's to hold
 * back (`silent: 'passed-only'` in vitest.config.ts prints a test's logs only when it fails).
 * workerd's own lines (uncaught-exception reports after a provider fake resets a connection,
 * runtime warnings) bypass that: @cloudflare/vitest-plugin writes them straight to this
 * process's stdout/stderr from its `handleStructuredLogs`. This reporter holds those back and
 * prints them after a run that failed.
 */
import type { Reporter } from 'vitest/node';

const INSTALLED = Symbol.for('renkei.quiet-runtime');

type Write = typeof process.stdout.write;

/** True when the write comes from the vitest plugin's relay of workerd's log lines. */
function fromRuntimeLog(): boolean {
  return new Error().stack?.includes('handleStructuredLogs') ?? false;
}

export function quietRuntimeLogs(): Reporter {
  const held: string[] = [];
  const globals = globalThis as { [INSTALLED]?: boolean };
  if (!globals[INSTALLED]) {
    globals[INSTALLED] = true;
    for (const stream of [process.stdout, process.stderr]) {
      const write: Write = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (!fromRuntimeLog()) return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
        held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        done?.();
        return true;
      }) as Write;
    }
  }
  return {
    onTestRunEnd(_modules, unhandledErrors, reason) {
      const lines = held.splice(0);
      if (reason === 'passed' && unhandledErrors.length === 0) return;
      if (lines.length === 0) return;
      process.stderr.write(
        `\nworkerd's output during this run (held back unless the run fails):\n${lines.join('')}\n`,
      );
    },
  };
}
