/**
 * The encrypted backup file (docs/VAULT.md "Backups"): the whole vault, as stored, streamed
 * through the attachment STREAM construction (shared/attachment.ts, PROTOCOL.md §10) under a
 * fresh file key, with that key wrapped for whoever may open it.
 *
 *   file    = "CONFIDANT-BACKUP" (16 bytes) || u32 headerLength || header (UTF-8 JSON) || body
 *   header  = { format: "confidant-backup", version: 1, createdAt, identity: b64(signing key),
 *               slots: [{ type: "phrase", iv, wrapped } , { type: "passphrase", kdf, iv, wrapped }?] }
 *   wrapped = AES-256-GCM(wrapKey, iv, fileKey, aad = "confidant backup v1" || 0 || JSON
 *             [version, createdAt, identity, slot type, kdf or null])
 *   phrase slot:     wrapKey = HKDF-SHA-256(rootSecret, salt = signing key, info = "confidant backup key v1")
 *   passphrase slot: wrapKey = Argon2id(passphrase, kdf) (client/vault/kdf.ts, as the vault's)
 *   body    = STREAM v2 (77-byte header, 256 KiB chunks, padded) of frames:
 *             frame = type u8 || length u32 || bytes
 *             1 META    JSON { vaultId, vaultKey } (b64url): what reads the records as stored
 *             2 RECORDS u32 n || n × (c: u16+UTF-8, p: u16+UTF-8, k: u8 kind + f64 | u16+UTF-8, v: u32+bytes)
 *             3 END     u32 total records
 *             0 FILLER  zeros, after END, to the length sealed in the STREAM header
 *
 * The STREAM layer authenticates every byte of the body and its length (a cut, reordered or
 * edited file fails), the file key exists only in this header, and each slot's AAD binds the
 * header's fields to it. The body's length is sealed before the first chunk, so it is fixed
 * before the records are read: a first pass sums the records' sizes, the second streams them,
 * and the FILLER frame takes up the room the vault did not use meanwhile (writes go on while a
 * backup runs; the END frame says where the records stopped).
 *
 * Nothing here touches the network or the DOM; the browser's file handling is
 * client/backup/backup.ts's.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { createAttachmentDecryptor, createAttachmentEncryptor, generateAttachmentKey } from '../../shared/attachment.ts';
import { fromBase64url, toBase64url } from '../../shared/encoding.ts';
import type { StoredRecord } from '../vault/db.ts';
import { deriveWrappingKey, newKdfParams, type KdfCost, type KdfParams } from '../vault/kdf.ts';

export const BACKUP_MAGIC = new TextEncoder().encode('CONFIDANT-BACKUP');
export const BACKUP_VERSION = 1;
const MAX_HEADER = 16 * 1024;
const WRAP_LABEL = 'confidant backup v1';
const PHRASE_INFO = 'confidant backup key v1';
const KEY_LEN = 32;
const IV_LEN = 12;

const FRAME_FILLER = 0;
const FRAME_META = 1;
const FRAME_RECORDS = 2;
const FRAME_END = 3;
/** Frame type and length. */
const FRAME_HEAD = 5;
/** A RECORDS frame closes once it holds this many bytes (bounded memory on both sides). */
const FRAME_TARGET = 1024 * 1024;
/** What the END frame and the FILLER's header take at the end of the body. */
const RESERVE = FRAME_HEAD + 4 + FRAME_HEAD;
/** The most a frame may claim, so a damaged length cannot make the reader buffer without end. */
const MAX_FRAME = 64 * 1024 * 1024;

export class BackupError extends Error {
  constructor(
    readonly code: 'not_a_backup' | 'unsupported_version' | 'wrong_phrase' | 'wrong_passphrase' | 'damaged' | 'changed_too_much',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BackupError';
  }
}

const b64 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]*$/));
const KdfSchema = v.union([
  v.strictObject({ algorithm: v.literal('argon2id'), m: v.number(), t: v.number(), p: v.number(), salt: b64 }),
  v.strictObject({ algorithm: v.literal('scrypt'), N: v.number(), r: v.number(), p: v.number(), salt: b64 }),
]);
const SlotSchema = v.variant('type', [
  v.strictObject({ type: v.literal('phrase'), iv: b64, wrapped: b64 }),
  v.strictObject({ type: v.literal('passphrase'), kdf: KdfSchema, iv: b64, wrapped: b64 }),
]);
export const BackupHeaderSchema = v.strictObject({
  format: v.literal('confidant-backup'),
  version: v.literal(BACKUP_VERSION),
  createdAt: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  identity: b64,
  slots: v.pipe(v.array(SlotSchema), v.minLength(1), v.maxLength(4)),
});
export type BackupHeader = v.InferOutput<typeof BackupHeaderSchema>;
type Slot = v.InferOutput<typeof SlotSchema>;

const MetaSchema = v.strictObject({ vaultId: b64, vaultKey: b64 });

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const slotAad = (h: Pick<BackupHeader, 'version' | 'createdAt' | 'identity'>, slot: Pick<Slot, 'type'> & { kdf?: unknown }): Uint8Array =>
  join(utf8(WRAP_LABEL), Uint8Array.of(0), utf8(JSON.stringify([h.version, h.createdAt, h.identity, slot.type, slot.kdf ?? null])));

/** The wrapping key of the phrase slot, from the root secret the recovery phrase encodes. */
export const phraseWrapKey = (rootSecret: Uint8Array, signingKey: Uint8Array): Uint8Array => hkdf(sha256, rootSecret, signingKey, utf8(PHRASE_INFO), KEY_LEN);

async function aesGcm(op: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [op]);
  const params = { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer> };
  return new Uint8Array(op === 'encrypt' ? await subtle().encrypt(params, k, data as Uint8Array<ArrayBuffer>) : await subtle().decrypt(params, k, data as Uint8Array<ArrayBuffer>));
}

const kdfJson = (p: KdfParams) => ({ ...p, salt: toBase64url(p.salt) });
const kdfParams = (j: v.InferOutput<typeof KdfSchema>): KdfParams => ({ ...j, salt: fromBase64url(j.salt) }) as KdfParams;

/** Who may open a backup: the recovery phrase always; a passphrase too, when given. */
export interface BackupSecrets {
  readonly rootSecret: Uint8Array;
  readonly signingKey: Uint8Array;
  readonly passphrase?: string;
  /** The passphrase slot's KDF cost (tests use a cheap one). */
  readonly kdf?: KdfCost;
}

async function makeHeader(fileKey: Uint8Array, secrets: BackupSecrets, createdAt: number): Promise<BackupHeader> {
  const base = { version: BACKUP_VERSION, createdAt, identity: toBase64url(secrets.signingKey) } as const;
  const phraseIv = crypto.getRandomValues(new Uint8Array(IV_LEN));
  const phraseKey = phraseWrapKey(secrets.rootSecret, secrets.signingKey);
  const slots: Slot[] = [
    { type: 'phrase', iv: toBase64url(phraseIv), wrapped: toBase64url(await aesGcm('encrypt', phraseKey, phraseIv, fileKey, slotAad(base, { type: 'phrase' }))) },
  ];
  phraseKey.fill(0);
  if (secrets.passphrase !== undefined) {
    const params = newKdfParams(secrets.kdf);
    const kdf = kdfJson(params);
    const key = await deriveWrappingKey(secrets.passphrase, params);
    const iv = crypto.getRandomValues(new Uint8Array(IV_LEN));
    slots.push({ type: 'passphrase', kdf, iv: toBase64url(iv), wrapped: toBase64url(await aesGcm('encrypt', key, iv, fileKey, slotAad(base, { type: 'passphrase', kdf }))) });
    key.fill(0);
  }
  return { format: 'confidant-backup', ...base, slots };
}

// ---------------------------------------------------------------------------------------------
// Frames

function encodeId(k: StoredRecord['k']): Uint8Array {
  if (typeof k === 'number') {
    const out = new Uint8Array(9);
    out[0] = 1;
    new DataView(out.buffer).setFloat64(1, k, false);
    return out;
  }
  const s = utf8(k);
  const out = new Uint8Array(3 + s.length);
  out[0] = 2;
  new DataView(out.buffer).setUint16(1, s.length, false);
  out.set(s, 3);
  return out;
}

function short(s: string): Uint8Array {
  const b = utf8(s);
  if (b.length > 0xffff) throw new BackupError('damaged', 'a record name is too long');
  const out = new Uint8Array(2 + b.length);
  new DataView(out.buffer).setUint16(0, b.length, false);
  out.set(b, 2);
  return out;
}

const recordSize = (r: StoredRecord): number => 2 + utf8(r.c).length + 2 + utf8(r.p).length + (typeof r.k === 'number' ? 9 : 3 + utf8(r.k).length) + 4 + r.v.length;

function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEAD + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, payload.length, false);
  out.set(payload, FRAME_HEAD);
  return out;
}

function recordsFrame(records: readonly StoredRecord[]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array(4)];
  new DataView(parts[0]!.buffer).setUint32(0, records.length, false);
  for (const r of records) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, r.v.length, false);
    parts.push(short(r.c), short(r.p), encodeId(r.k), len, r.v);
  }
  return frame(FRAME_RECORDS, join(...parts));
}

const u32 = (n: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
};

/** Where the records of a backup come from: a fresh pass over the vault each call. */
export type RecordSource = () => AsyncIterable<readonly StoredRecord[]>;

export interface WriteBackupOptions {
  readonly keys: { readonly vaultId: Uint8Array; readonly vaultKey: Uint8Array };
  readonly records: RecordSource;
  readonly secrets: BackupSecrets;
  readonly createdAt: number;
  /** Hears (bytes of records written, bytes expected) as the body streams. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface BackupStream {
  readonly header: BackupHeader;
  /** The whole file, header first; pull it to run the backup. */
  readonly stream: ReadableStream<Uint8Array>;
  /** Resolves with the number of records once the stream is fully read. */
  readonly done: Promise<{ records: number; bytes: number }>;
}

/**
 * The backup of a vault as a stream: the header at once, the body as it is pulled (one RECORDS
 * frame of about 1 MiB at a time, so memory stays a few frames whatever the vault's size).
 */
export async function writeBackup(options: WriteBackupOptions): Promise<BackupStream> {
  const meta = frame(FRAME_META, utf8(JSON.stringify({ vaultId: toBase64url(options.keys.vaultId), vaultKey: toBase64url(options.keys.vaultKey) })));
  // Pass 1: how large the body will be, from the stored sizes (nothing decrypted).
  let expected = 0;
  let inFrame = 0;
  for await (const batch of options.records()) {
    for (const r of batch) {
      const n = recordSize(r);
      if (inFrame === 0) expected += FRAME_HEAD + 4;
      expected += n;
      inFrame += n;
      if (inFrame >= FRAME_TARGET) inFrame = 0;
    }
  }
  // Room for what the app writes while the backup runs: a frame header per batch of growth too.
  const slack = 256 * 1024 + Math.ceil(expected / 50);
  const size = meta.length + expected + slack + RESERVE;
  const fileKey = generateAttachmentKey();
  const header = await makeHeader(fileKey, options.secrets, options.createdAt);
  const headerBytes = utf8(JSON.stringify(header));
  const encryptor = createAttachmentEncryptor({ size, key: fileKey });
  // The encryptor reads the key when the stream starts: wiped once it has finished either way.
  void encryptor.done.finally(() => fileKey.fill(0)).catch(() => undefined);

  const source = options.records()[Symbol.asyncIterator]();
  let written = 0;
  let records = 0;
  let stage: 'meta' | 'records' | 'end' = 'meta';
  let exhausted = false;
  let pending: StoredRecord[] = [];
  let pendingBytes = 0;
  const plaintext = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const emit = (bytes: Uint8Array) => {
        if (written + bytes.length > size - RESERVE) throw new BackupError('changed_too_much', 'the vault grew too much while the backup ran; try again');
        written += bytes.length;
        controller.enqueue(bytes);
        options.onProgress?.(Math.min(written, expected + meta.length), expected + meta.length);
      };
      if (stage === 'meta') {
        emit(meta);
        stage = 'records';
        return;
      }
      if (stage === 'records') {
        while (!exhausted && pendingBytes < FRAME_TARGET) {
          const next = await source.next();
          if (next.done) exhausted = true;
          else
            for (const r of next.value) {
              pending.push(r);
              pendingBytes += recordSize(r);
            }
        }
        if (pending.length > 0) {
          // One frame's worth; the rest waits for the next pull.
          let take = 0;
          let bytes = 0;
          while (take < pending.length && (take === 0 || bytes < FRAME_TARGET)) bytes += recordSize(pending[take++]!);
          const out = pending.slice(0, take);
          pending = pending.slice(take);
          pendingBytes -= bytes;
          records += out.length;
          emit(recordsFrame(out));
          return;
        }
        stage = 'end';
      }
      // END, then FILLER: its header and zeros to the sealed size.
      const end = frame(FRAME_END, u32(records));
      written += end.length;
      controller.enqueue(end);
      const rest = size - written - FRAME_HEAD;
      const filler = new Uint8Array(FRAME_HEAD);
      filler[0] = FRAME_FILLER;
      new DataView(filler.buffer).setUint32(1, rest, false);
      controller.enqueue(filler);
      const zeros = new Uint8Array(Math.min(rest, 64 * 1024));
      for (let left = rest; left > 0; left -= zeros.length) controller.enqueue(left >= zeros.length ? zeros : zeros.subarray(0, left));
      written = size;
      options.onProgress?.(expected + meta.length, expected + meta.length);
      controller.close();
    },
  });

  const prefix = join(BACKUP_MAGIC, u32(headerBytes.length), headerBytes);
  const body = plaintext.pipeThrough(encryptor);
  const reader = body.getReader();
  let sentPrefix = false;
  let total = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentPrefix) {
        sentPrefix = true;
        total += prefix.length;
        controller.enqueue(prefix);
        return;
      }
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      total += value.length;
      controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const done = encryptor.done.then(() => ({ records, bytes: total }));
  done.catch(() => undefined);
  return { header, stream, done };
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Reads exactly `n` bytes from a byte stream reader, keeping what comes after for later. */
class ByteReader {
  private buffered: Uint8Array[] = [];
  private size = 0;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  async take(n: number): Promise<Uint8Array | undefined> {
    while (this.size < n) {
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      this.buffered.push(value);
      this.size += value.length;
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : join(...this.buffered);
    const out = all.slice(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    return out;
  }

  /** What is buffered and everything after it, as a stream. */
  rest(): ReadableStream<Uint8Array> {
    const first = this.buffered;
    this.buffered = [];
    this.size = 0;
    const reader = this.reader;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const next = first.shift();
        if (next) return controller.enqueue(next);
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }
}

export interface OpenedBackup {
  readonly header: BackupHeader;
  /** Unwraps the file key with the phrase's root secret, or with the backup passphrase. */
  unlock(secret: { rootSecret: Uint8Array } | { passphrase: string }): Promise<BackupBody>;
}

export interface BackupBody {
  readonly vaultId: Uint8Array;
  readonly vaultKey: Uint8Array;
  /** The records, a frame at a time; throws `damaged` on any fault, at the latest after the last. */
  readonly records: AsyncIterable<readonly StoredRecord[]>;
  /** Hears the bytes of the file read so far. */
  onProgress?: (bytes: number) => void;
}

/** Reads a backup file's header; the body is read after `unlock`. */
export async function openBackup(file: ReadableStream<Uint8Array>): Promise<OpenedBackup> {
  const input = new ByteReader(file.getReader());
  const magic = await input.take(BACKUP_MAGIC.length);
  if (!magic || !magic.every((b, i) => b === BACKUP_MAGIC[i])) throw new BackupError('not_a_backup', 'this file is not a Confidant backup');
  const lenBytes = await input.take(4);
  const len = lenBytes ? new DataView(lenBytes.buffer, lenBytes.byteOffset).getUint32(0, false) : 0;
  if (!lenBytes || len === 0 || len > MAX_HEADER) throw new BackupError('damaged', 'the backup header is damaged');
  const headerBytes = await input.take(len);
  if (!headerBytes) throw new BackupError('damaged', 'the backup ends inside its header');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new BackupError('damaged', 'the backup header is damaged', { cause: e });
  }
  if (typeof json === 'object' && json !== null && 'version' in json && typeof json.version === 'number' && json.version > BACKUP_VERSION) {
    throw new BackupError('unsupported_version', 'this backup was made by a newer version of Confidant');
  }
  const parsed = v.safeParse(BackupHeaderSchema, json);
  if (!parsed.success) throw new BackupError('damaged', 'the backup header is damaged');
  const header = parsed.output;

  return {
    header,
    async unlock(secret) {
      let fileKey: Uint8Array | undefined;
      if ('rootSecret' in secret) {
        const slot = header.slots.find((s) => s.type === 'phrase');
        const signingKey = fromBase64url(header.identity, 32);
        const key = phraseWrapKey(secret.rootSecret, signingKey);
        try {
          fileKey = slot && (await aesGcm('decrypt', key, fromBase64url(slot.iv, IV_LEN), fromBase64url(slot.wrapped), slotAad(header, slot)));
        } catch {
          fileKey = undefined;
        } finally {
          key.fill(0);
        }
        if (!fileKey) throw new BackupError('wrong_phrase', 'this recovery phrase does not open this backup');
      } else {
        const slot = header.slots.find((s): s is Extract<Slot, { type: 'passphrase' }> => s.type === 'passphrase');
        if (!slot) throw new BackupError('wrong_passphrase', 'this backup has no passphrase; use the recovery phrase');
        const key = await deriveWrappingKey(secret.passphrase, kdfParams(slot.kdf));
        try {
          fileKey = await aesGcm('decrypt', key, fromBase64url(slot.iv, IV_LEN), fromBase64url(slot.wrapped), slotAad(header, slot));
        } catch {
          throw new BackupError('wrong_passphrase', 'this passphrase does not open this backup');
        } finally {
          key.fill(0);
        }
      }
      return readBody(input.rest(), fileKey);
    },
  };
}

async function readBody(encrypted: ReadableStream<Uint8Array>, fileKey: Uint8Array): Promise<BackupBody> {
  const decryptor = createAttachmentDecryptor(fileKey);
  void decryptor.done.finally(() => fileKey.fill(0)).catch(() => undefined);
  let read = 0;
  const body: { onProgress?: (bytes: number) => void } = {};
  const counted = encrypted.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.length;
        body.onProgress?.(read);
        controller.enqueue(chunk);
      },
    }),
  );
  const frames = new ByteReader(counted.pipeThrough(decryptor).getReader());
  decryptor.done.catch(() => undefined);
  const damaged = (why: string, cause?: unknown) => new BackupError('damaged', `the backup is damaged or incomplete (${why})`, cause === undefined ? undefined : { cause });

  const nextFrame = async (): Promise<{ type: number; payload: Uint8Array }> => {
    let head: Uint8Array | undefined;
    try {
      head = await frames.take(FRAME_HEAD);
    } catch (e) {
      throw damaged('it does not decrypt', e);
    }
    if (!head) throw damaged('it ends early');
    const length = new DataView(head.buffer, head.byteOffset).getUint32(1, false);
    if (length > MAX_FRAME && head[0] !== FRAME_FILLER) throw damaged('a frame is too long');
    if (head[0] === FRAME_FILLER) return { type: FRAME_FILLER, payload: new Uint8Array(0) };
    let payload: Uint8Array | undefined;
    try {
      payload = await frames.take(length);
    } catch (e) {
      throw damaged('it does not decrypt', e);
    }
    if (!payload) throw damaged('it ends inside a frame');
    return { type: head[0]!, payload };
  };

  const first = await nextFrame();
  if (first.type !== FRAME_META) throw damaged('no vault keys at the start');
  let meta: v.InferOutput<typeof MetaSchema>;
  try {
    meta = v.parse(MetaSchema, JSON.parse(new TextDecoder().decode(first.payload)));
  } catch (e) {
    throw damaged('the vault keys do not parse', e);
  }

  async function* records(): AsyncGenerator<readonly StoredRecord[]> {
    let count = 0;
    for (;;) {
      const f = await nextFrame();
      if (f.type === FRAME_RECORDS) {
        const batch = decodeRecords(f.payload);
        count += batch.length;
        yield batch;
        continue;
      }
      if (f.type !== FRAME_END || f.payload.length !== 4) throw damaged(`unexpected frame ${f.type}`);
      const total = new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, false);
      if (total !== count) throw damaged(`${count} records where the end says ${total}`);
      // The filler and the STREAM's own checks of length and padding, to the very end.
      const filler = await nextFrame();
      if (filler.type !== FRAME_FILLER) throw damaged('no filler after the end');
      const drained = frames.rest().getReader();
      try {
        while (!(await drained.read()).done);
        await decryptor.done;
      } catch (e) {
        throw damaged('it does not decrypt to the end', e);
      }
      return;
    }
  }

  return Object.assign(body, {
    vaultId: fromBase64url(meta.vaultId, 16),
    vaultKey: fromBase64url(meta.vaultKey, 32),
    records: records(),
  });
}

function decodeRecords(bytes: Uint8Array): StoredRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  let o = 0;
  const need = (n: number) => {
    if (o + n > bytes.length) throw new BackupError('damaged', 'the backup is damaged (a record is cut short)');
  };
  const str = (): string => {
    need(2);
    const n = view.getUint16(o, false);
    o += 2;
    need(n);
    const s = text.decode(bytes.subarray(o, o + n));
    o += n;
    return s;
  };
  need(4);
  const count = view.getUint32(0, false);
  o = 4;
  const out: StoredRecord[] = [];
  for (let i = 0; i < count; i++) {
    const c = str();
    const p = str();
    need(1);
    const kind = bytes[o++];
    let k: StoredRecord['k'];
    if (kind === 1) {
      need(8);
      k = view.getFloat64(o, false);
      o += 8;
    } else if (kind === 2) k = str();
    else throw new BackupError('damaged', 'the backup is damaged (a record id)');
    need(4);
    const n = view.getUint32(o, false);
    o += 4;
    need(n);
    out.push({ c, p, k, v: bytes.slice(o, o + n) });
    o += n;
  }
  if (o !== bytes.length) throw new BackupError('damaged', 'the backup is damaged (bytes after the records)');
  return out;
}
