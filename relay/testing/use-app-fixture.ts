/**
 * The vitest side of the app fixture (app-fixture.ts stays free of vitest: the benches import
 * it under plain tsx): the hooks that open a fixture and close it, and the check every
 * adversarial test makes of a refusal.
 * @module
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { appFixture, type AppFixture } from './app-fixture.ts';

/**
 * Opens a fixture before the file's (or the describe block's) tests, or before each test with
 * `each`, runs `ready` on it (accounts a whole file uses, say; awaited) and closes it after.
 * Returns a stand-in for the current fixture: read it (and set `now` or `app` on it) in tests
 * and hooks, never at the top level. A `ready` that throws still gets the fixture closed.
 */
export function useAppFixture(
  options: Parameters<typeof appFixture>[0] & { readonly each?: boolean } = {},
  ready: (fx: AppFixture) => unknown = () => {},
): AppFixture {
  const { each, ...fixtureOptions } = options;
  let fx: AppFixture | undefined;
  (each ? beforeEach : beforeAll)(async () => {
    fx = await appFixture(fixtureOptions);
    await ready(fx);
  });
  (each ? afterEach : afterAll)(async () => {
    await fx?.close();
    fx = undefined;
  });
  const current = (): AppFixture => {
    if (!fx) throw new Error('useAppFixture: no fixture open here (read it inside a test or hook)');
    return fx;
  };
  return new Proxy({} as AppFixture, {
    get: (_, key) => Reflect.get(current(), key),
    set: (_, key, value) => Reflect.set(current(), key, value),
  });
}

/** The `code` of the relay's JSON error answer (relay/errors.ts). */
export const errorCode = async (res: Response): Promise<string> => ((await res.json()) as { error: { code: string } }).error.code;

/**
 * Runs `attempt` and expects `status` with the error `code`, and that `state` (by default every
 * table's row count) reads the same after as before: a refusal changes nothing.
 */
export async function expectRefused(
  fx: AppFixture,
  attempt: () => Response | Promise<Response>,
  status: number,
  code: string,
  state: () => unknown = () => fx.counts(),
): Promise<void> {
  const before = await state();
  const res = await attempt();
  expect(res.status).toBe(status);
  expect(await errorCode(res)).toBe(code);
  expect(await state()).toEqual(before);
}
