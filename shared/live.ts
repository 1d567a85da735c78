/**
 * The live socket's wire format (docs/API.md `GET /v1/live`): the JSON text frames each side
 * sends and the codes the relay closes with. The relay (relay/routes/live.ts) and the device
 * (client/sync/live.ts) build and check frames with these schemas and no others.
 *
 *   relay  -> { type: "challenge", nonce: b64(32) }                 once, on open
 *   device -> { type: "auth", key, time, nonce, signature }          signRequest's four header
 *             values for GET /v1/live over body = the challenge bytes (request-auth.ts)
 *   device -> { type: "subscribe", mailboxIds: [b64(16), ...] }      1..50 per socket in all
 *   relay  -> { type: "subscribed", mailboxIds: [...] }              now live: fetch once
 *   relay  -> { type: "message", mailboxId, seq }                    a message was stored
 *
 * Does not: open sockets, sign or verify (request-auth.ts), or decide what a close means to the
 * app beyond saying it (client/sync/live.ts waits after `too_many`, retries after the rest).
 * @module
 */
import * as v from 'valibot';
import { ED25519_PUBLIC_LEN, ED25519_SIGNATURE_LEN, LIVE_CHALLENGE_LEN, LIVE_MAX_MAILBOXES, REQUEST_NONCE_LEN } from './consts.ts';
import { ConfidantError } from './errors.ts';
import { b64, MailboxId, parse, RequestTime, Seq } from './schemas.ts';

/** The socket's path; also the path the auth frame's signature covers. */
export const LIVE_PATH = '/v1/live';

const MailboxIds = v.pipe(v.array(MailboxId), v.minLength(1), v.maxLength(LIVE_MAX_MAILBOXES));

/** relay -> device, on open: fresh random bytes the device signs to authenticate. */
export const ChallengeFrame = v.object({ type: v.literal('challenge'), nonce: b64(LIVE_CHALLENGE_LEN) });
/**
 * device -> relay, the first frame: the values of the four signature headers (request-auth.ts
 * AUTH_HEADERS) as their header text, so `time` is a string of digits, never a JSON number.
 */
export const AuthFrame = v.object({
  type: v.literal('auth'),
  key: b64(ED25519_PUBLIC_LEN),
  time: RequestTime,
  nonce: b64(REQUEST_NONCE_LEN),
  signature: b64(ED25519_SIGNATURE_LEN),
});
/** device -> relay, after auth: mailboxes of this account to hear about (may be repeated). */
export const SubscribeFrame = v.object({ type: v.literal('subscribe'), mailboxIds: MailboxIds });
/** relay -> device: the mailboxes of one subscribe frame are live. */
export const SubscribedFrame = v.object({ type: v.literal('subscribed'), mailboxIds: MailboxIds });
/** relay -> device: `mailboxId` has a new message at `seq` (fetch it over HTTP). */
export const MessageFrame = v.object({ type: v.literal('message'), mailboxId: MailboxId, seq: Seq });

/** Every frame the relay sends. */
export const ServerFrame = v.variant('type', [ChallengeFrame, SubscribedFrame, MessageFrame]);
/** Every frame a device sends. */
export const ClientFrame = v.variant('type', [AuthFrame, SubscribeFrame]);

export type ServerFrame = v.InferOutput<typeof ServerFrame>;
export type ClientFrame = v.InferOutput<typeof ClientFrame>;

/** The text of a frame: the only way either side writes one, so what is sent has the schema's type. */
export const frameText = (frame: ServerFrame | ClientFrame): string => JSON.stringify(frame);

/**
 * A frame the relay sent, checked. Throws ConfidantError `malformed` (binary, or not JSON) or
 * `schema` (JSON of another shape, an unknown type included), never anything else.
 */
export function parseServerFrame(data: unknown): ServerFrame {
  if (typeof data !== 'string') throw new ConfidantError('malformed', 'live frame: not text');
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (e) {
    throw new ConfidantError('malformed', 'live frame: not JSON', { cause: e });
  }
  return parse(ServerFrame, json, 'live frame');
}

/**
 * The codes the relay closes a live socket with, and the generic reason it sends with each.
 * 4xxx are this API's own (4000 + the HTTP status they mirror); 1011 and 1013 are WebSocket's
 * (RFC 6455 §7.4.1, IANA registry). Besides these, `ws` itself closes 1009 on a frame over 64 KiB.
 */
export const LIVE_CLOSE = {
  /** A frame before auth that is not `auth`, bad JSON, an unknown type or shape, a binary frame, too many mailboxes. */
  bad_request: 4400,
  /** The auth frame's signature, time, account or nonce did not pass (the checks of a signed request). */
  unauthorized: 4401,
  /** A subscribe named a mailbox that does not exist or is not the account's (one answer for both). */
  forbidden: 4403,
  /** No valid auth frame in time (10 s by default). */
  timeout: 4408,
  /** A frame over the relay's frame limit (16 KiB). */
  too_large: 4413,
  /**
   * The account opened more sockets than the relay allows and this was its oldest. A device must
   * not reconnect on its own after it: two tabs over the cap would take turns closing each other.
   */
  too_many: 4429,
  /** A store failure that waiting will not obviously fix. */
  internal_error: 1011,
  /** The store cannot be reached right now: reconnect after a pause. */
  try_again_later: 1013,
} as const;
export type LiveCloseName = keyof typeof LIVE_CLOSE;

/** The reason text sent with each close code: generic, never about the request. */
export const LIVE_CLOSE_REASON: Readonly<Record<LiveCloseName, string>> = {
  bad_request: 'bad request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  timeout: 'timeout',
  too_large: 'too large',
  too_many: 'too many sockets',
  internal_error: 'internal error',
  try_again_later: 'try again later',
};
