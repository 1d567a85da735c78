/**
 * The relay's HTTP API as the device uses it (docs/API.md): every call signed by the device's
 * identity where the route asks for it (shared/request-auth.ts), bodies and answers checked
 * against shared/schemas.ts (requests and answers alike: every JSON answer is parsed with the
 * schema the relay built it with, relay/reply.ts; nothing is cast), failures turned into two kinds of error the UI can explain:
 *
 * - `OfflineError`: the request never got an answer (no network, relay down). Nothing is lost:
 *   callers keep the work (the outbox retries).
 * - `RelayApiError`: the relay answered 4xx/5xx with `{ error: { code, message } }`.
 *
 * Does not: keep state, retry, or hold keys beyond the call.
 * @module
 */
import * as v from 'valibot';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import type { Capability, MessageId } from '../../shared/ids.ts';
import type { Identity } from '../../shared/keys.ts';
import { encodePublicIdentity } from '../../shared/keys.ts';
import type { KemPreKeyRecord, OneTimePreKeyRecord, PreKeyBundle, SignedPreKeyRecord } from '../../shared/prekeys.ts';
import { signRequest } from '../../shared/request-auth.ts';
import {
  AccountCreatedJson,
  AckedJson,
  BlobStoredJson,
  bundleFromJson,
  BundleResponseJson,
  CapabilityAddedJson,
  MailboxCreatedJson,
  PreKeyStoredJson,
  ErrorResponseJson,
  InviteBodyJson,
  InviteCheckedJson,
  InviteCreatedJson,
  MessagesPageJson,
  MessageStoredJson,
  OneTimePreKeysStoredJson,
  PreKeyCountJson,
  PreKeysClearedJson,
  PushKeyJson,
} from '../../shared/schemas.ts';

export class OfflineError extends Error {
  override readonly name = 'OfflineError';
}

export class RelayApiError extends Error {
  override readonly name = 'RelayApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface StoredEnvelope {
  readonly seq: number;
  readonly messageId: string;
  readonly envelope: Uint8Array;
  readonly receivedAt: number;
}

export interface RelayApiOptions {
  /** Origin of the relay; default: the page's own origin. */
  readonly origin?: string;
  /** `fetch` to use (tests); default the global one. */
  readonly fetch?: typeof fetch;
}

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);

export class RelayApi {
  readonly origin: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: RelayApiOptions = {}) {
    this.origin = options.origin ?? globalThis.location.origin;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** One request; `signer` signs it (method, path with query, body digest, time, nonce). */
  private async request(method: string, path: string, init: { signer?: Identity; json?: unknown; body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Response> {
    const body = init.json !== undefined ? enc.encode(JSON.stringify(init.json)) : (init.body ?? EMPTY);
    const headers: Record<string, string> = { ...init.headers };
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    if (init.signer) Object.assign(headers, await signRequest(init.signer, { method, path, body }));
    let res: Response;
    try {
      res = await this.fetchImpl(this.origin + path, {
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' ? null : (body as BodyInit),
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch (e) {
      throw new OfflineError('The relay could not be reached', { cause: e });
    }
    if (res.ok) return res;
    throw await toApiError(res);
  }

  private async json<T>(res: Response, schema: v.GenericSchema<unknown, T>): Promise<T> {
    const parsed = v.safeParse(schema, await res.json().catch(() => undefined));
    if (!parsed.success) throw new RelayApiError(res.status, 'bad_response', 'The relay answered something unexpected');
    return parsed.output;
  }

  async health(): Promise<boolean> {
    try {
      return (await this.fetchImpl(`${this.origin}/healthz`, { cache: 'no-store' })).ok;
    } catch {
      return false;
    }
  }

  async registerTherapist(identity: Identity, registrationCode: Uint8Array): Promise<void> {
    const res = await this.request('POST', '/v1/accounts/therapist', {
      signer: identity,
      json: { identity: toBase64url(encodePublicIdentity(identity.publicIdentity)), registrationCode: toBase64url(registrationCode) },
    });
    await this.json(res, AccountCreatedJson);
  }

  async registerClient(identity: Identity, inviteSecret: Uint8Array): Promise<void> {
    const res = await this.request('POST', '/v1/accounts/client', {
      signer: identity,
      json: { identity: toBase64url(encodePublicIdentity(identity.publicIdentity)), invite: toBase64url(inviteSecret) },
    });
    await this.json(res, AccountCreatedJson);
  }

  /**
   * Registers SHA-256(invite secret), with a short invite's encrypted body under its id when
   * given (PROTOCOL.md §14); returns when it expires.
   */
  async createInvite(identity: Identity, inviteHash: Uint8Array, short?: { id: Uint8Array; body: Uint8Array }): Promise<number> {
    const json = { inviteHash: toBase64url(inviteHash), ...(short ? { id: toBase64url(short.id), body: toBase64url(short.body) } : {}) };
    const res = await this.request('POST', '/v1/invites', { signer: identity, json });
    return (await this.json(res, InviteCreatedJson)).expiresAt;
  }

  /** A short invite's encrypted body (unauthenticated); RelayApiError 404 when withdrawn, used or expired. */
  async fetchInviteBody(id: Uint8Array): Promise<{ body: Uint8Array; expiresAt: number }> {
    const res = await this.request('GET', `/v1/invites/${toBase64url(id)}`);
    const json = await this.json(res, InviteBodyJson);
    return { body: fromBase64url(json.body), expiresAt: json.expiresAt };
  }

  /** Withdraws our unused invite (hash and body); RelayApiError 404 when there is none. */
  async revokeInvite(identity: Identity, inviteHash: Uint8Array): Promise<void> {
    await this.request('POST', '/v1/invites/revoke', { signer: identity, json: { inviteHash: toBase64url(inviteHash) } });
  }

  /**
   * Asks whether an invite can still be used, without using it (unauthenticated: the secret is
   * the proof). Its expiry when it can; RelayApiError 404 when it is unknown, used or expired.
   */
  async checkInvite(inviteSecret: Uint8Array): Promise<number> {
    const res = await this.request('POST', '/v1/invites/check', { json: { invite: toBase64url(inviteSecret) } });
    return (await this.json(res, InviteCheckedJson)).expiresAt;
  }

  async putSignedPreKey(identity: Identity, spk: SignedPreKeyRecord): Promise<void> {
    const res = await this.request('PUT', '/v1/prekeys/signed', {
      signer: identity,
      json: { id: spk.id, publicKey: toBase64url(spk.keyPair.publicKey), signature: toBase64url(spk.signature) },
    });
    await this.json(res, PreKeyStoredJson);
  }

  async putKemPreKey(identity: Identity, kem: KemPreKeyRecord): Promise<void> {
    const res = await this.request('PUT', '/v1/prekeys/kem', {
      signer: identity,
      json: { id: kem.id, publicKey: toBase64url(kem.publicKey), signature: toBase64url(kem.signature) },
    });
    await this.json(res, PreKeyStoredJson);
  }

  /** Uploads one-time prekeys (at most 100 per call); returns how many the relay now holds. */
  async uploadOneTimePreKeys(identity: Identity, keys: readonly OneTimePreKeyRecord[]): Promise<number> {
    const res = await this.request('POST', '/v1/prekeys/one-time', {
      signer: identity,
      json: { preKeys: keys.map((k) => ({ id: k.id, publicKey: toBase64url(k.keyPair.publicKey) })) },
    });
    return (await this.json(res, OneTimePreKeysStoredJson)).count;
  }

  async oneTimePreKeyCount(identity: Identity): Promise<number> {
    const res = await this.request('GET', '/v1/prekeys/count', { signer: identity });
    return (await this.json(res, PreKeyCountJson)).oneTime;
  }

  /** Deletes every one-time prekey the relay holds for us (after a restore); returns how many. */
  async clearOneTimePreKeys(identity: Identity): Promise<number> {
    const res = await this.request('DELETE', '/v1/prekeys/one-time', { signer: identity });
    return (await this.json(res, PreKeysClearedJson)).cleared;
  }

  /** The peer's prekey bundle (consumes one of its one-time prekeys). Verify it against the pinned identity. */
  async fetchBundle(identity: Identity, peerSigningKey: Uint8Array): Promise<PreKeyBundle> {
    const res = await this.request('GET', `/v1/bundles/${toBase64url(peerSigningKey)}`, { signer: identity });
    return bundleFromJson(await this.json(res, BundleResponseJson));
  }

  async createMailbox(identity: Identity, mailboxId: Uint8Array): Promise<void> {
    const res = await this.request('POST', '/v1/mailboxes', { signer: identity, json: { mailboxId: toBase64url(mailboxId) } });
    await this.json(res, MailboxCreatedJson);
  }

  async addCapability(identity: Identity, mailboxId: Uint8Array, capabilityHash: Uint8Array): Promise<void> {
    const res = await this.request('POST', `/v1/mailboxes/${toBase64url(mailboxId)}/capabilities`, {
      signer: identity,
      json: { capabilityHash: toBase64url(capabilityHash) },
    });
    await this.json(res, CapabilityAddedJson);
  }

  async revokeCapability(identity: Identity, mailboxId: Uint8Array, capabilityHash: Uint8Array): Promise<void> {
    await this.request('DELETE', `/v1/mailboxes/${toBase64url(mailboxId)}/capabilities/${toBase64url(capabilityHash)}`, { signer: identity });
  }

  /**
   * Delivers a sealed envelope (no account signature: sealed sender). Idempotent per
   * `messageId`: a retry after a lost answer stores nothing twice. `quiet`: the relay sends the
   * recipient no push for it (client/push/quiet.ts).
   */
  async send(capability: Capability, messageId: MessageId, envelope: Uint8Array, options: { quiet?: boolean } = {}): Promise<number> {
    const res = await this.request('POST', '/v1/messages', {
      body: envelope,
      headers: {
        'content-type': 'application/octet-stream',
        'confidant-capability': toBase64url(capability),
        'confidant-message-id': toBase64url(messageId),
        ...(options.quiet ? { 'confidant-push': 'quiet' } : {}),
      },
    });
    return (await this.json(res, MessageStoredJson)).seq;
  }

  async fetchMessages(identity: Identity, mailboxId: Uint8Array, after: number, limit = 200): Promise<{ messages: StoredEnvelope[]; more: boolean }> {
    const res = await this.request('GET', `/v1/mailboxes/${toBase64url(mailboxId)}/messages?after=${after}&limit=${limit}`, { signer: identity });
    const page = await this.json(res, MessagesPageJson);
    return {
      more: page.more,
      messages: page.messages.map((m) => ({ seq: m.seq, messageId: m.messageId, envelope: fromBase64url(m.envelope), receivedAt: m.receivedAt })),
    };
  }

  async ack(identity: Identity, mailboxId: Uint8Array, messageIds: readonly string[]): Promise<number> {
    const res = await this.request('POST', `/v1/mailboxes/${toBase64url(mailboxId)}/ack`, { signer: identity, json: { messageIds } });
    return (await this.json(res, AckedJson)).deleted;
  }

  /**
   * Uploads an encrypted attachment. The signature covers method, path, time and nonce over an
   * empty body (docs/API.md: streamed auth); the bytes' integrity is the attachment digest.
   * `onProgress` gets bytes sent so far (XMLHttpRequest upload events: fetch has none for uploads).
   * The answer's `deleteToken` (docs/API.md) is handed back; no caller keeps it today, since the
   * client lets blobs expire rather than deleting them.
   */
  async uploadBlob(
    identity: Identity,
    ciphertext: Blob,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<{ blobId: string; size: number; deleteToken?: string | undefined }> {
    const headers = await signRequest(identity, { method: 'POST', path: '/v1/blobs', body: EMPTY });
    const xhr = new XMLHttpRequest();
    const done = new Promise<{ status: number; text: string }>((resolve, reject) => {
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
      xhr.onerror = () => reject(new OfflineError('The upload could not reach the relay'));
      xhr.onabort = () => reject(new OfflineError('The upload was interrupted'));
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total || ciphertext.size);
    });
    xhr.open('POST', `${this.origin}/v1/blobs`);
    xhr.withCredentials = false;
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    for (const [k, val] of Object.entries(headers)) xhr.setRequestHeader(k, val);
    xhr.send(ciphertext);
    const { status, text } = await done;
    const body: unknown = (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })();
    if (status < 200 || status >= 300) {
      const err = v.safeParse(ErrorResponseJson, body);
      throw new RelayApiError(status, err.success ? err.output.error.code : 'http_error', err.success ? err.output.error.message : `HTTP ${status}`);
    }
    const ok = v.safeParse(BlobStoredJson, body);
    if (!ok.success) throw new RelayApiError(status, 'bad_response', 'The relay answered something unexpected');
    return ok.output;
  }

  /** The encrypted attachment as a stream, with its length when the relay sent one. */
  async downloadBlob(blobId: string): Promise<{ body: ReadableStream<Uint8Array>; size: number | undefined }> {
    const res = await this.request('GET', `/v1/blobs/${encodeURIComponent(blobId)}`);
    if (!res.body) throw new RelayApiError(res.status, 'bad_response', 'Empty download');
    const length = Number(res.headers.get('content-length'));
    return { body: res.body, size: Number.isFinite(length) && length > 0 ? length : undefined };
  }

  /** The live socket's URL (ws: or wss: to match the page). */
  /** The relay's VAPID public key (docs/API.md "Push"); RelayApiError 404 when the relay does not push. */
  async pushKey(): Promise<Uint8Array> {
    const res = await this.request('GET', '/v1/push/key');
    return fromBase64url((await this.json(res, PushKeyJson)).publicKey);
  }

  /** Registers this browser's push subscription (`PushSubscription.toJSON()`) for the account. */
  async registerPush(identity: Identity, subscription: { endpoint: string; keys: { p256dh: string; auth: string } }): Promise<void> {
    await this.request('PUT', '/v1/push/subscription', {
      signer: identity,
      json: { endpoint: subscription.endpoint, keys: { p256dh: subscription.keys.p256dh, auth: subscription.keys.auth } },
    });
  }

  /** Removes it; a subscription the relay no longer has (404) counts as removed. */
  async unregisterPush(identity: Identity, endpoint: string): Promise<void> {
    try {
      await this.request('DELETE', '/v1/push/subscription', { signer: identity, json: { endpoint } });
    } catch (e) {
      if (!(e instanceof RelayApiError && e.status === 404)) throw e;
    }
  }

  liveUrl(): string {
    return `${this.origin.replace(/^http/, 'ws')}/v1/live`;
  }
}

async function toApiError(res: Response): Promise<RelayApiError> {
  const parsed = v.safeParse(ErrorResponseJson, await res.json().catch(() => undefined));
  return parsed.success
    ? new RelayApiError(res.status, parsed.output.error.code, parsed.output.error.message)
    : new RelayApiError(res.status, 'http_error', `HTTP ${res.status}`);
}
