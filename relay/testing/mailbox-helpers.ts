/**
 * Test helpers for mailboxes and messages: create a mailbox and a capability through the real
 * routes, seal a real envelope with shared's `sealEnvelope`, and send it unsigned (sealed sender).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { toBase64url } from '../../shared/encoding.ts';
import type { Identity } from '../../shared/keys.ts';
import { MESSAGE_TYPE_RATCHET } from '../../shared/ratchet.ts';
import { sealEnvelope } from '../../shared/sealed.ts';
import { sha256, type AppFixture } from './app-fixture.ts';
import { asMailboxId } from '../../shared/ids.ts';

export interface TestMailbox {
  readonly id: Uint8Array;
  readonly idB64: string;
  readonly owner: Identity;
  /** A registered delivery capability secret (b64url). */
  readonly capability: string;
}

/** A new mailbox owned by `owner`, with one registered capability. */
export async function mailboxWithCapability(fx: AppFixture, owner: Identity): Promise<TestMailbox> {
  const id = randomBytes(16);
  const idB64 = toBase64url(id);
  const created = await fx.send(owner, 'POST', '/v1/mailboxes', { body: JSON.stringify({ mailboxId: idB64 }) });
  if (created.status !== 201) throw new Error(`fixture: mailbox answered ${created.status}`);
  const capability = await addCapability(fx, owner, idB64);
  return { id, idB64, owner, capability };
}

/** Register a new capability on a mailbox; returns its secret. */
export async function addCapability(fx: AppFixture, owner: Identity, idB64: string): Promise<string> {
  const secret = randomBytes(32);
  const res = await fx.send(owner, 'POST', `/v1/mailboxes/${idB64}/capabilities`, {
    body: JSON.stringify({ capabilityHash: toBase64url(sha256(secret)) }),
  });
  if (res.status !== 201) throw new Error(`fixture: capability answered ${res.status}`);
  return toBase64url(secret);
}

/** A real sealed envelope from `sender` to `recipient`'s mailbox. */
export const seal = (sender: Identity, recipient: Identity, mailboxId: Uint8Array, message: Uint8Array): Promise<Uint8Array> =>
  sealEnvelope(sender, recipient.publicIdentity, asMailboxId(mailboxId), { type: MESSAGE_TYPE_RATCHET, message });

export interface DeliverOptions {
  readonly capability?: string | null;
  readonly messageId?: string | null;
  readonly contentType?: string | null;
  /** Extra or replacement headers. */
  readonly headers?: Record<string, string>;
}

/** POST /v1/messages, unsigned. */
export function deliver(fx: AppFixture, envelope: Uint8Array | ReadableStream<Uint8Array>, options: DeliverOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const type = options.contentType === undefined ? 'application/octet-stream' : options.contentType;
  if (type !== null) headers['content-type'] = type;
  const messageId = options.messageId === undefined ? toBase64url(randomBytes(16)) : options.messageId;
  if (messageId !== null) headers['confidant-message-id'] = messageId;
  if (options.capability != null) headers['confidant-capability'] = options.capability;
  Object.assign(headers, options.headers);
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers, body: envelope as BodyInit };
  if (envelope instanceof ReadableStream) init.duplex = 'half';
  return Promise.resolve(fx.app.request('/v1/messages', init));
}
