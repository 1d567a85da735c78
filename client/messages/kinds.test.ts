/**
 * The dispatch table covers every payload kind, and the compiler holds it to that: these
 * `@ts-expect-error` lines are checked by `npm run typecheck` (tsconfig.json includes client/),
 * which fails if any of them stops being an error.
 */
import { describe, expect, it } from 'vitest';
import { Payload } from '../../shared/payload.ts';
import type { Handler } from './context.ts';
import { HANDLERS, type HandlersOf } from './kinds.ts';

/** A kind a later issue might add, with no handler written yet. */
type Added = { v: 1; type: 'practice-settings'; id: string; sentAt: number };

describe('message kinds', () => {
  it('has exactly one handler per payload type of the schema', () => {
    const kinds = Payload.options.map((schema) => schema.entries.type.literal);
    expect(Object.keys(HANDLERS).sort()).toEqual([...kinds].sort());
  });

  it('a table that forgets a kind, or a kind added to the union without its handler, fails typecheck', () => {
    const { retry: _retry, ...withoutRetry } = HANDLERS;
    // @ts-expect-error: property 'retry' is missing
    const forgot: HandlersOf<Payload> = withoutRetry;
    // @ts-expect-error: property 'practice-settings' is missing
    const grown: HandlersOf<Payload | Added> = HANDLERS;
    const wrong: HandlersOf<Payload> = {
      ...HANDLERS,
      // @ts-expect-error: a receipt handler is not a handler of messages
      message: HANDLERS.receipt,
    };
    const extra: HandlersOf<Payload> = {
      ...HANDLERS,
      // @ts-expect-error: no such kind
      'practice-settings': HANDLERS.message as Handler<never>,
    };
    // The assignments above are what this test is about; at run time they are the same table.
    expect([forgot, grown, wrong, extra].every(Boolean)).toBe(true);
  });
});
