/**
 * Large byte strings in the vault (attachment bytes, exports): split into 256 KiB records so a
 * 200 MB file is never in memory whole (ARCHITECTURE.md, boundary 7) and no IndexedDB value is huge.
 *
 *   collection "blobs", partition = blob id (blinded like every partition):
 *     id 0, 1, 2, …   generation(16) || chunk bytes       one vault record per chunk
 *     id "manifest"   {generation, chunks, size}          written last
 *
 * Each chunk is bound to its blob and index by the vault's AAD (no reordering or moving between
 * blobs); the manifest, written after every chunk, fixes the count and size (no truncation or
 * extension); the random generation, repeated in every chunk, ties chunks to one write, so a
 * chunk saved from an earlier version of the same blob id is refused (`bad_mac`). A blob
 * without a manifest (a write interrupted by a crash or a lock) reads as absent.
 * Does not: encrypt for transport (shared/attachment.ts does), or know MIME types or names
 * (those belong in the message record).
 * @module
 */
import { equalBytes } from '../../shared/bytes.ts';
import { vaultFail } from './errors.ts';
import type { Vault, VaultOp } from './vault.ts';

export const BLOB_COLLECTION = 'blobs';
/** Plaintext bytes per chunk record. */
export const BLOB_CHUNK_LEN = 256 * 1024;
/** Chunks written per IndexedDB transaction: bounds memory to ~4 MiB during a write. */
const CHUNKS_PER_TX = 16;
const GENERATION_LEN = 16;
const MANIFEST_ID = 'manifest';

interface Manifest {
  readonly generation: Uint8Array;
  readonly chunks: number;
  readonly size: number;
}

type Source = Iterable<Uint8Array> | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

async function* iterate(source: Source): AsyncGenerator<Uint8Array> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* source as Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

/** Re-cut arbitrary pieces into BLOB_CHUNK_LEN chunks (the last may be shorter, or empty). */
async function* rechunk(source: Source): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(BLOB_CHUNK_LEN);
  let fill = 0;
  for await (const piece of iterate(source)) {
    if (!(piece instanceof Uint8Array)) throw vaultFail('invalid_argument', `blob source yielded a ${typeof piece}, expected Uint8Array`);
    let off = 0;
    while (off < piece.length) {
      const n = Math.min(BLOB_CHUNK_LEN - fill, piece.length - off);
      buf.set(piece.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === BLOB_CHUNK_LEN) {
        yield buf;
        buf = new Uint8Array(BLOB_CHUNK_LEN);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield buf.subarray(0, fill);
}

function aBlobId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw vaultFail('invalid_argument', 'blob id must be a non-empty string');
  return id;
}

/**
 * Store the bytes of `source` as blob `blobId`, replacing any earlier blob of that id (which
 * stays readable until the new manifest lands). Returns the size in bytes.
 */
export async function writeBlob(vault: Vault, blobId: string, source: Source): Promise<number> {
  const id = aBlobId(blobId);
  const generation = crypto.getRandomValues(new Uint8Array(GENERATION_LEN));
  const previous = await readManifest(vault, id);
  let index = 0;
  let size = 0;
  let pending: VaultOp[] = [];
  const flush = async () => {
    if (pending.length) await vault.batch(pending);
    pending = [];
  };
  for await (const chunk of rechunk(source)) {
    const value = new Uint8Array(GENERATION_LEN + chunk.length);
    value.set(generation);
    value.set(chunk, GENERATION_LEN);
    pending.push({ type: 'put', collection: BLOB_COLLECTION, partition: id, id: index++, value });
    size += chunk.length;
    if (pending.length >= CHUNKS_PER_TX) await flush();
  }
  // The manifest commits the new version; chunks beyond the new count (left from a longer
  // previous version) go in the same transaction.
  pending.push({ type: 'put', collection: BLOB_COLLECTION, partition: id, id: MANIFEST_ID, value: encodeManifest({ generation, chunks: index, size }) });
  for (let i = index; i < (previous?.chunks ?? 0); i++) pending.push({ type: 'delete', collection: BLOB_COLLECTION, partition: id, id: i });
  await flush();
  return size;
}

/** generation(16) || u32be(chunks) || u32be(size / 2^32) || u32be(size mod 2^32). */
function encodeManifest(m: Manifest): Uint8Array {
  const out = new Uint8Array(GENERATION_LEN + 12);
  out.set(m.generation);
  const view = new DataView(out.buffer);
  view.setUint32(GENERATION_LEN, m.chunks, false);
  view.setUint32(GENERATION_LEN + 4, Math.floor(m.size / 2 ** 32), false);
  view.setUint32(GENERATION_LEN + 8, m.size % 2 ** 32, false);
  return out;
}

function decodeManifest(b: Uint8Array): Manifest {
  if (b.length !== GENERATION_LEN + 12) throw vaultFail('malformed', `blob manifest is ${b.length} bytes`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const chunks = view.getUint32(GENERATION_LEN, false);
  const size = view.getUint32(GENERATION_LEN + 4, false) * 2 ** 32 + view.getUint32(GENERATION_LEN + 8, false);
  if (size > chunks * BLOB_CHUNK_LEN || (chunks > 0 && size <= (chunks - 1) * BLOB_CHUNK_LEN)) {
    throw vaultFail('malformed', `blob manifest: ${chunks} chunks cannot hold ${size} bytes`);
  }
  return { generation: b.slice(0, GENERATION_LEN), chunks, size };
}

async function readManifest(vault: Vault, id: string): Promise<Manifest | undefined> {
  const b = await vault.get(BLOB_COLLECTION, id, MANIFEST_ID);
  return b && decodeManifest(b);
}

/** Size in bytes of blob `blobId`, or undefined when there is none. */
export async function blobSize(vault: Vault, blobId: string): Promise<number | undefined> {
  return (await readManifest(vault, aBlobId(blobId)))?.size;
}

/**
 * The chunks of blob `blobId` in order, decrypted a few at a time; undefined when there is
 * none. Every chunk is checked against the manifest (count, size, generation): a mismatch is
 * `bad_mac` or `malformed`, never silently short data.
 */
export async function readBlob(vault: Vault, blobId: string): Promise<AsyncGenerator<Uint8Array> | undefined> {
  const id = aBlobId(blobId);
  const manifest = await readManifest(vault, id);
  if (!manifest) return undefined;
  return (async function* () {
    let seen = 0;
    let bytes = 0;
    let after: number | undefined;
    while (seen < manifest.chunks) {
      const page = await vault.list(BLOB_COLLECTION, id, { limit: Math.min(4, manifest.chunks - seen), ...(after === undefined ? {} : { after }) });
      if (page.length === 0) throw vaultFail('malformed', `blob ends after ${seen} of ${manifest.chunks} chunks`);
      for (const { id: index, value } of page) {
        if (index !== seen) throw vaultFail('malformed', `blob chunk ${seen} is missing`);
        if (value.length < GENERATION_LEN || !equalBytes(value.subarray(0, GENERATION_LEN), manifest.generation)) {
          throw vaultFail('bad_mac', `blob chunk ${seen} belongs to another version`);
        }
        const data = value.subarray(GENERATION_LEN);
        const last = seen === manifest.chunks - 1;
        if ((!last && data.length !== BLOB_CHUNK_LEN) || (last && bytes + data.length !== manifest.size)) {
          throw vaultFail('malformed', `blob chunk ${seen} has ${data.length} bytes`);
        }
        bytes += data.length;
        seen++;
        after = index;
        yield data;
      }
    }
  })();
}

/** Blob `blobId` as a ReadableStream (e.g. `new Response(stream).blob()` to show it), or undefined. */
export async function readBlobStream(vault: Vault, blobId: string): Promise<ReadableStream<Uint8Array> | undefined> {
  const chunks = await readBlob(vault, blobId);
  if (!chunks) return undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/** Delete blob `blobId` (manifest and every chunk) in one transaction. */
export async function deleteBlob(vault: Vault, blobId: string): Promise<void> {
  await vault.deletePartition(BLOB_COLLECTION, aBlobId(blobId));
}

