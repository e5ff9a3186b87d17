import { NotifierError } from '../notifier-errors.js';

/**
 * Waits (in real time, polling every few ms) until `condition` holds, failing after `timeoutMs`:
 * for tests over real sockets, which must never sleep a fixed time.
 */
export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number; readonly what?: string } = {},
): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) {
      throw new NotifierError('TESTING_MISUSE', `timed out waiting for ${options.what ?? 'a condition'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2));
  }
}
