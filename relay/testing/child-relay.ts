/**
 * Waiting for a relay started as a child process (`node --import tsx relay/start.ts`) to come
 * up: the line it prints once listening, then `/healthz` answering 200. Shared by the relay's
 * durability test and the end-to-end harness (e2e/harness/relay.ts).
 * @module
 */
import type { ChildProcess } from 'node:child_process';

/** How long a starting relay may take to listen and answer /healthz (a cold tsx start on a busy 2-core machine). */
export const START_TIMEOUT_MS = 60_000;

/** The base URL the child prints once listening; rejects with `output()` when it exits first or takes too long. */
export function waitForListening(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`relay did not start within ${START_TIMEOUT_MS} ms:\n${output()}`));
    }, START_TIMEOUT_MS);
    const onData = (): void => {
      const m = /relay listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (m) {
        cleanup();
        resolve(m[1]!);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`relay exited before listening (code ${code}, signal ${signal}):\n${output()}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    // Listeners added after take() (in startRelay), so output() already holds the new chunk.
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    onData();
  });
}

/** Resolves once GET `base`/healthz answers 200; throws with `output()` after START_TIMEOUT_MS. */
export async function waitForHealthz(base: string, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const status = await fetch(`${base}/healthz`).then(
      async (r) => (await r.body?.cancel(), r.status),
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`relay GET /healthz answered ${status}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
