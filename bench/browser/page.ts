/**
 * The browser bench page (bench/browser.bench.ts builds it with Vite and drives it in headless
 * Chromium): the client's real modules (client/vault, client/data, client/sync, shared/) in the
 * client's real runtime. Each workload is a pair, ours and its anchor, both run in this page so
 * the noise of the machine hits both; every call returns one value and the Node side
 * (bench/_harness.ts `compare`) interleaves them by rounds.
 *
 *   unlock{Ours,Anchor}      ms     Vault.unlock with DEFAULT_KDF    vs  WebCrypto PBKDF2-SHA-256, 600,000 iterations
 *   backlog{Ours,Anchor}     ms     500 envelopes through the real Receiver into the vault
 *                                   vs  the same 500 opened into MemoryProtocolStore (no vault)
 *   attachment{Ours,Anchor}  MB/s   createAttachmentEncryptor over 32 MiB  vs  WebCrypto AES-256-GCM, best of 256 KiB / 1 MiB chunks
 *   search{Ours,Anchor}, searchOpen{Ours,Anchor}: search.ts
 *
 * Only `window.confidantBench` is exported; the page does nothing until called. Nothing here is
 * asserted by a test, and no test imports it.
 * @module
 */
import { Records, type Conversation, type Profile } from '../../client/data/records.ts';
import { newMessageId } from '../../client/messages/ids.ts';
import { buildMessage } from '../../client/messages/message.ts';
import type { Outbox } from '../../client/outbox/outbox.ts';
import type { RelayApi, StoredEnvelope } from '../../client/api/relay.ts';
import { Receiver } from '../../client/sync/receive.ts';
import { DEFAULT_KDF } from '../../client/vault/kdf.ts';
import { VaultProtocolStore } from '../../client/vault/protocol-store.ts';
import { createVault, openVault, type Vault } from '../../client/vault/vault.ts';
import { createAttachmentEncryptor } from '../../shared/attachment.ts';
import { ATTACHMENT_CHUNK_SIZE } from '../../shared/consts.ts';
import { encodePublicIdentity } from '../../shared/keys.ts';
import { MemoryProtocolStore } from '../../shared/memory-store.ts';
import { decodePayload, encodePayload } from '../../shared/payload.ts';
import { getProvider } from '../../shared/provider.ts';
import { addressOf, openMessage, sealMessage, startSession } from '../../shared/session.ts';
import { asMailboxId } from '../../shared/ids.ts';
import { searchAnchor, searchCounts, searchIndexBytes, searchOpenAnchor, searchOpenOurs, searchOurs, searchSetup, searchTimerResolution } from './search.ts';

/** Messages per backlog round (issue 5: "500 messages"). */
export const BACKLOG = 500;
/** In-memory attachment source: 32 MiB. */
export const ATTACHMENT_BYTES = 32 * 1024 * 1024;
/** OWASP's PBKDF2-HMAC-SHA-256 iteration count (Password Storage Cheat Sheet). */
export const PBKDF2_ITERATIONS = 600_000;

const PASSPHRASE = 'correct horse battery staple of the bench';
const MAILBOX = asMailboxId(new Uint8Array(16).fill(7));
const TEXT = 'A message of ordinary length, the kind a client writes between sessions. '.repeat(4);

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** The relay as the Receiver sees it: one mailbox held in memory. */
class MemoryRelay implements Pick<RelayApi, 'fetchMessages' | 'ack'> {
  private queue: StoredEnvelope[] = [];
  private seq = 0;
  push(envelope: Uint8Array): void {
    this.queue.push({ seq: ++this.seq, messageId: newMessageId(), envelope, receivedAt: Date.now() });
  }
  async fetchMessages(_identity: unknown, _mailbox: Uint8Array, after: number, limit = 200): Promise<{ messages: StoredEnvelope[]; more: boolean }> {
    const waiting = this.queue.filter((m) => m.seq > after);
    return { messages: waiting.slice(0, limit), more: waiting.length > limit };
  }
  async ack(_identity: unknown, _mailbox: Uint8Array, ids: readonly string[]): Promise<number> {
    const gone = new Set(ids);
    const before = this.queue.length;
    this.queue = this.queue.filter((m) => !gone.has(m.messageId));
    return before - this.queue.length;
  }
  get size(): number {
    return this.queue.length;
  }
}

interface State {
  dbName: string;
  vault: Vault;
  sender: MemoryProtocolStore;
  /** Receiver side "ours": the vault store, its address at the sender, the real Receiver. */
  vaultAddress: string;
  relay: MemoryRelay;
  receiver: Receiver;
  /** "delivered" receipts the Receiver queued (one per conversation per page). */
  receipts: { count: number };
  /** Receiver side "anchor": shared's in-memory store. */
  memory: MemoryProtocolStore;
  memoryAddress: string;
  plaintext: Uint8Array<ArrayBuffer>[];
  gcmKey: CryptoKey;
}

let state: State | undefined;
const need = (): State => {
  if (!state) throw new Error('confidantBench.setup() first');
  return state;
};

function messagePayload(i: number): Uint8Array {
  return encodePayload(buildMessage({ id: newMessageId(), sentAt: Date.now(), text: `${i} ${TEXT}` }));
}

async function seal(address: string, n: number): Promise<Uint8Array[]> {
  const s = need();
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(await sealMessage(s.sender, address, MAILBOX, messagePayload(i)));
  return out;
}

async function setup(): Promise<{ provider: string; kdf: string; userAgent: string }> {
  const provider = await getProvider();
  const dbName = `confidant-bench-${Date.now()}`;
  const vault = await createVault(PASSPHRASE, { dbName, kdf: DEFAULT_KDF });
  const records = new Records(vault);
  const store = await VaultProtocolStore.create(vault);
  await store.generateSignedPreKey();
  await store.generateKemPreKey();
  await store.generateOneTimePreKeys(1);
  const identity = await store.getIdentity();

  const sender = await MemoryProtocolStore.create();
  const senderId = sender.identity.publicIdentity;
  const conversation: Conversation = { id: addressOf(senderId), peer: encodePublicIdentity(senderId), label: 'Bench', unread: 0, urgentUnread: 0, lastAt: 0 };
  await records.saveConversation(conversation);
  const profile: Profile = { role: 'client', practiceName: 'Bench practice', mailboxId: new Uint8Array(MAILBOX), createdAt: Date.now() } as Profile;

  const relay = new MemoryRelay();
  const receipts = { count: 0 };
  // The outbox only counts the "delivered" receipts here; nothing is sent.
  const outbox = { enqueue: async () => void receipts.count++, flush: async () => {} } as unknown as Outbox;
  const receiver = new Receiver({ records, store, api: relay as unknown as RelayApi, identity, profile, outbox });

  const vaultAddress = addressOf(identity.publicIdentity);
  await startSession(sender, vaultAddress, await store.bundle());
  const memory = await MemoryProtocolStore.create();
  const memoryAddress = addressOf(memory.identity.publicIdentity);
  await startSession(sender, memoryAddress, memory.bundle());

  const plaintext: Uint8Array<ArrayBuffer>[] = [];
  for (let o = 0; o < ATTACHMENT_BYTES; o += ATTACHMENT_CHUNK_SIZE) {
    const chunk = new Uint8Array(ATTACHMENT_CHUNK_SIZE);
    for (let p = 0; p < chunk.length; p += 65536) crypto.getRandomValues(chunk.subarray(p, p + 65536));
    plaintext.push(chunk);
  }
  const gcmKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);

  state = { dbName, vault, sender, vaultAddress, relay, receiver, receipts, memory, memoryAddress, plaintext, gcmKey };
  // The first message of each session is the prekey message; the backlog is the ratchet's steady state.
  relay.push((await seal(vaultAddress, 1))[0]!);
  const first = await receiver.pull();
  if (first.received !== 1) throw new Error(`setup: first message not received (${JSON.stringify(first)})`);
  await openMessage(memory, (await seal(memoryAddress, 1))[0]!);
  return { provider: JSON.stringify(provider.implementation), kdf: JSON.stringify(DEFAULT_KDF), userAgent: navigator.userAgent };
}

// ---------------------------------------------------------------------------------------------
// vault_unlock

async function unlockOurs(): Promise<number> {
  const v = await openVault(need().dbName);
  try {
    gc();
    const t0 = performance.now();
    await v.unlock(PASSPHRASE);
    return performance.now() - t0;
  } finally {
    v.close();
  }
}

async function unlockAnchor(): Promise<number> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  gc();
  const t0 = performance.now();
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(PASSPHRASE.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
  await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: PBKDF2_ITERATIONS }, key, 256);
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// backlog_500_decrypt

/** Seal BACKLOG envelopes for the vault side and hand them to the in-page stand-in for the relay (untimed). */
async function backlogPrepare(): Promise<void> {
  const s = need();
  for (const e of await seal(s.vaultAddress, BACKLOG)) s.relay.push(e);
  gc();
}

/** Ms for the real Receiver to take BACKLOG envelopes from the relay into the vault (sealing untimed). */
async function backlogOurs(): Promise<number> {
  await backlogPrepare();
  return backlogRun();
}

/** Ms for the real Receiver to take the prepared envelopes (profile.ts profiles just this). */
async function backlogRun(): Promise<number> {
  const s = need();
  const t0 = performance.now();
  const r = await s.receiver.pull();
  const ms = performance.now() - t0;
  if (r.received !== BACKLOG || r.rejected !== 0 || s.relay.size !== 0) throw new Error(`backlog: ${JSON.stringify(r)}, ${s.relay.size} left`);
  return ms;
}

/** Ms to open the same number of envelopes into MemoryProtocolStore and decode each payload. */
async function backlogAnchor(): Promise<number> {
  const s = need();
  const envelopes = await seal(s.memoryAddress, BACKLOG);
  gc();
  const t0 = performance.now();
  for (const e of envelopes) decodePayload((await openMessage(s.memory, e)).plaintext);
  return performance.now() - t0;
}

/**
 * Diagnostics for the report (stderr, not a bench line): where the backlog's time goes, each
 * variant on fresh envelopes, in ms for BACKLOG messages.
 */
async function backlogBreakdown(): Promise<Record<string, number>> {
  const s = need();
  const store = await VaultProtocolStore.open(s.vault);
  const out: Record<string, number> = {};
  const timed = async (name: string, f: (envelopes: Uint8Array[]) => Promise<unknown>): Promise<void> => {
    const envelopes = await seal(s.vaultAddress, BACKLOG);
    gc();
    const t0 = performance.now();
    await f(envelopes);
    out[name] = Math.round(performance.now() - t0);
  };
  await timed('vault store, open only (a session write per message)', async (es) => {
    for (const e of es) decodePayload((await openMessage(store, e)).plaintext);
  });
  await timed('vault store, open only + setTimeout(0) per message', async (es) => {
    for (const e of es) {
      decodePayload((await openMessage(store, e)).plaintext);
      await new Promise((r) => setTimeout(r, 0));
    }
  });
  await timed('vault store.batch(): open all, one commit of sessions + 500 message records', async (es) => {
    const batch = store.batch();
    const ops = [];
    for (const [i, e] of es.entries()) {
      const payload = decodePayload((await openMessage(batch, e)).plaintext);
      ops.push({ type: 'put' as const, collection: 'bench-messages', partition: 'c', id: i, value: new TextEncoder().encode(JSON.stringify(payload)) });
    }
    await batch.commit(ops);
  });
  // What one IndexedDB round trip costs here: BACKLOG sequential gets, then puts, of ~400 B.
  const value = new Uint8Array(400).fill(1);
  gc();
  let t = performance.now();
  for (let i = 0; i < BACKLOG; i++) await s.vault.put('bench-tx', 'p', i, value);
  out['vault.put x500 (one readwrite transaction each)'] = Math.round(performance.now() - t);
  t = performance.now();
  for (let i = 0; i < BACKLOG; i++) await s.vault.get('bench-tx', 'p', i);
  out['vault.get x500 (one readonly transaction each)'] = Math.round(performance.now() - t);
  t = performance.now();
  await s.vault.putMany(Array.from({ length: BACKLOG }, (_, i) => ({ collection: 'bench-tx', partition: 'q', id: i, value })));
  out['vault.putMany of 500 (one transaction)'] = Math.round(performance.now() - t);
  const memoryEnvelopes = await seal(s.memoryAddress, BACKLOG);
  gc();
  let t0 = performance.now();
  for (const e of memoryEnvelopes) {
    decodePayload((await openMessage(s.memory, e)).plaintext);
    await new Promise((r) => setTimeout(r, 0));
  }
  out['memory store + setTimeout(0) per message'] = Math.round(performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < BACKLOG; i++) await new Promise((r) => setTimeout(r, 0));
  out['setTimeout(0) x500 alone'] = Math.round(performance.now() - t0);
  // What noble's async KDF yields with (Chromium 129+): not subject to the nested-timer clamp.
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') {
    t0 = performance.now();
    for (let i = 0; i < BACKLOG; i++) await scheduler.yield();
    out['scheduler.yield() x500 alone'] = Math.round(performance.now() - t0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// attachment_encrypt_browser

async function attachmentOurs(): Promise<number> {
  const s = need();
  let i = 0;
  let bytes = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < s.plaintext.length) c.enqueue(s.plaintext[i++]!);
      else c.close();
    },
  });
  const sink = new WritableStream<Uint8Array>({ write: (c) => void (bytes += c.length) });
  gc();
  const t0 = performance.now();
  const enc = createAttachmentEncryptor({ size: ATTACHMENT_BYTES });
  await source.pipeThrough(enc).pipeTo(sink);
  await enc.done;
  const ms = performance.now() - t0;
  if (bytes < ATTACHMENT_BYTES) throw new Error(`attachment: ${bytes} bytes out`);
  return mbps(ATTACHMENT_BYTES, ms);
}

/** The chunk size of the last anchor round's best rate (reported on stderr). */
let anchorBestChunk = 0;

async function gcmRate(chunk: number): Promise<number> {
  const s = need();
  const whole = s.plaintext;
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  gc();
  const t0 = performance.now();
  let counter = 0;
  for (const block of whole) {
    for (let o = 0; o < block.length; o += chunk) {
      view.setUint32(8, counter++);
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, s.gcmKey, block.subarray(o, o + chunk));
    }
  }
  return mbps(ATTACHMENT_BYTES, performance.now() - t0);
}

/** WebCrypto AES-256-GCM, one await per chunk: 256 KiB and 1 MiB chunks, the better rate. */
async function attachmentAnchor(): Promise<number> {
  const small = await gcmRate(ATTACHMENT_CHUNK_SIZE);
  // 1 MiB chunks: four 256 KiB source blocks joined (outside the timed loop).
  const s = need();
  const joined: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < s.plaintext.length; i += 4) {
    const b = new Uint8Array(4 * ATTACHMENT_CHUNK_SIZE);
    for (let j = 0; j < 4 && i + j < s.plaintext.length; j++) b.set(s.plaintext[i + j]!, j * ATTACHMENT_CHUNK_SIZE);
    joined.push(b);
  }
  const saved = s.plaintext;
  s.plaintext = joined;
  let large: number;
  try {
    large = await gcmRate(4 * ATTACHMENT_CHUNK_SIZE);
  } finally {
    s.plaintext = saved;
  }
  anchorBestChunk = large > small ? 4 * ATTACHMENT_CHUNK_SIZE : ATTACHMENT_CHUNK_SIZE;
  return Math.max(small, large);
}

/**
 * Diagnostics for the report (stderr): ours hashes every ciphertext chunk (SHA-256, for the
 * attachment digest) besides encrypting it, which the AES-GCM anchor does not. MB/s, median of 3,
 * for WebCrypto SHA-256 alone and AES-GCM then SHA-256 of each 256 KiB chunk.
 */
async function attachmentBreakdown(): Promise<Record<string, number>> {
  const s = need();
  const median3 = async (f: () => Promise<void>): Promise<number> => {
    const rates: number[] = [];
    for (let r = 0; r < 3; r++) {
      gc();
      const t0 = performance.now();
      await f();
      rates.push(mbps(ATTACHMENT_BYTES, performance.now() - t0));
    }
    return Math.round(rates.sort((a, b) => a - b)[1]!);
  };
  const iv = new Uint8Array(12);
  return {
    'WebCrypto SHA-256 of each 256 KiB chunk': await median3(async () => {
      for (const block of s.plaintext) await crypto.subtle.digest('SHA-256', block);
    }),
    'WebCrypto AES-256-GCM then SHA-256 of the ciphertext, per 256 KiB chunk': await median3(async () => {
      let counter = 0;
      for (const block of s.plaintext) {
        new DataView(iv.buffer).setUint32(8, counter++);
        await crypto.subtle.digest('SHA-256', await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, s.gcmKey, block));
      }
    }),
    'WebCrypto AES-256-GCM alone, 256 KiB chunks': Math.round(await gcmRate(ATTACHMENT_CHUNK_SIZE)),
  };
}

export interface ConfidantBench {
  setup: typeof setup;
  unlockOurs: typeof unlockOurs;
  unlockAnchor: typeof unlockAnchor;
  backlogOurs: typeof backlogOurs;
  backlogPrepare: typeof backlogPrepare;
  backlogRun: typeof backlogRun;
  backlogAnchor: typeof backlogAnchor;
  backlogBreakdown: typeof backlogBreakdown;
  attachmentOurs: typeof attachmentOurs;
  attachmentAnchor: typeof attachmentAnchor;
  attachmentBreakdown: typeof attachmentBreakdown;
  anchorBestChunk(): number;
  receipts(): number;
  // search_10k, search_index_open_10k (search.ts)
  searchSetup: typeof searchSetup;
  searchOurs: typeof searchOurs;
  searchAnchor: typeof searchAnchor;
  searchCounts: typeof searchCounts;
  searchTimerResolution: typeof searchTimerResolution;
  searchOpenOurs: typeof searchOpenOurs;
  searchOpenAnchor: typeof searchOpenAnchor;
  searchIndexBytes: typeof searchIndexBytes;
}

const api: ConfidantBench = {
  setup,
  unlockOurs,
  unlockAnchor,
  backlogOurs,
  backlogPrepare,
  backlogRun,
  backlogAnchor,
  backlogBreakdown,
  attachmentOurs,
  attachmentAnchor,
  attachmentBreakdown,
  anchorBestChunk: () => anchorBestChunk,
  receipts: () => need().receipts.count,
  searchSetup,
  searchOurs,
  searchAnchor,
  searchCounts,
  searchTimerResolution,
  searchOpenOurs,
  searchOpenAnchor,
  searchIndexBytes,
};
(globalThis as unknown as { confidantBench: ConfidantBench }).confidantBench = api;
document.documentElement.dataset.ready = 'true';
