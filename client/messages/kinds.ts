/**
 * The message kinds and what receiving one does: a table with one handler per payload `type`
 * (shared/payload.ts), typed so that a kind without a handler, or a handler for no kind, does
 * not compile (kinds.test.ts). client/sync/receive.ts dispatches every opened payload through
 * `applyReceived`. Adding a kind: its schema in shared/payload.ts, its module here
 * (client/messages/<kind>.ts: builder and handler), and its line in `HANDLERS`.
 * @module
 */
import type { Payload } from '../../shared/payload.ts';
import { applyConsent } from './consent.ts';
import type { Handler, ReceiveContext } from './context.ts';
import { applyHello } from './hello.ts';
import { applyMessage } from './message.ts';
import { applyPractice } from './practice.ts';
import { applyReceipt } from './receipt.ts';
import { applyRetry } from './retry.ts';

/** One handler per member of the union `P`, keyed by its `type`. */
export type HandlersOf<P extends { readonly type: string }> = { readonly [K in P['type']]: Handler<Extract<P, { type: K }>> };

export const HANDLERS: HandlersOf<Payload> = {
  message: applyMessage,
  receipt: applyReceipt,
  consent: applyConsent,
  hello: applyHello,
  retry: applyRetry,
  practice: applyPractice,
};

/** Records what `payload` says in the receiver's slice; returns the conversation it changed, if any. */
export function applyReceived(payload: Payload, ctx: ReceiveContext): Promise<string | undefined> {
  // TypeScript does not correlate `HANDLERS[payload.type]` with `payload`; the table's type does.
  const handler = HANDLERS[payload.type] as Handler<Payload>;
  return handler(payload, ctx);
}
