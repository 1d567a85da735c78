/**
 * The BlobStore used with SQLite: encrypted attachment bytes as files under DATA_DIR/blobs.
 *
 * - A file's name is the hex of the 16-byte blob id and nothing else: no string a client sent
 *   ever reaches a path, so path traversal is impossible by construction.
 * - A write streams into a temporary file in the same folder, fsyncs it, renames it over the
 *   final name and fsyncs the folder: a reader sees the whole old blob or the whole new one,
 *   and a write that resolved survives a crash.
 * - Bytes are counted while they stream; past `maxBytes` the source is cancelled, the
 *   temporary file deleted, and ConfidantError `too_large` thrown (the routes answer 413).
 * - Nothing is buffered whole: writes go chunk by chunk as they arrive, reads are pulled in
 *   READ_CHUNK pieces only as fast as the consumer takes them.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfidantError, toHex } from '../../../shared/index.ts';
import { BLOB_ID_LEN, type BlobStore } from '../types.ts';

/**
 * Bytes per read from disk. Independent of the attachment chunk size (the relay never parses a
 * blob): 64 KiB keeps each pull small while a slow client downloads.
 */
const READ_CHUNK = 64 * 1024;
/** Suffix of in-progress writes; leftovers from a crash are removed at open. */
const TMP_SUFFIX = '.tmp';

/** The file name for a blob id: hex of exactly BLOB_ID_LEN bytes, so [0-9a-f]{32} and nothing else. */
export function blobFileName(blobId: Uint8Array): string {
  if (!(blobId instanceof Uint8Array)) {
    throw new ConfidantError('invalid_argument', `blobId must be a Uint8Array, got ${typeof blobId}`);
  }
  if (blobId.length !== BLOB_ID_LEN) {
    throw new ConfidantError('invalid_argument', `blobId must be ${BLOB_ID_LEN} bytes, got ${blobId.length}`);
  }
  return toHex(blobId);
}

/** fsync a directory so a rename or unlink in it is durable. Not every platform allows it. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw e;
  } finally {
    await handle?.close();
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

export class FileBlobStore implements BlobStore {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Use (creating if missing) the folder `dir`, removing temporary files a crash left behind. */
  static async open(dir: string): Promise<FileBlobStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(dir)) {
      if (name.endsWith(TMP_SUFFIX)) await rm(join(dir, name), { force: true });
    }
    return new FileBlobStore(dir);
  }

  async write(blobId: Uint8Array, body: ReadableStream<Uint8Array>, maxBytes: number): Promise<number> {
    const name = blobFileName(blobId);
    if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new ConfidantError('invalid_argument', `maxBytes must be a non-negative integer, got ${String(maxBytes)}`);
    }
    const tmp = join(this.dir, `${name}.${randomBytes(8).toString('hex')}${TMP_SUFFIX}`);
    const reader = body.getReader();
    let handle: FileHandle | undefined;
    let size = 0;
    try {
      handle = await open(tmp, 'wx', 0o600);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) {
          throw new ConfidantError('invalid_argument', `blob body chunks must be Uint8Array, got ${typeof value}`);
        }
        size += value.length;
        if (size > maxBytes) throw new ConfidantError('too_large', `blob exceeds ${maxBytes} bytes`);
        await writeAll(handle, value);
      }
      await handle.sync();
      await handle.close();
      handle = undefined;
      await rename(tmp, join(this.dir, name));
      await syncDir(this.dir);
      return size;
    } catch (e) {
      // Tell the sender to stop; a source that already failed rejects cancel, which is fine.
      await reader.cancel(e).catch(() => {});
      await handle?.close().catch(() => {});
      await rm(tmp, { force: true });
      throw e;
    } finally {
      reader.releaseLock();
    }
  }

  async read(blobId: Uint8Array): Promise<ReadableStream<Uint8Array> | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(join(this.dir, blobFileName(blobId)), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    // The open handle keeps the bytes readable even if the blob is deleted or replaced meanwhile.
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await handle.close();
    };
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const chunk = new Uint8Array(READ_CHUNK);
            const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, null);
            if (bytesRead === 0) {
              await close();
              controller.close();
              return;
            }
            controller.enqueue(bytesRead === READ_CHUNK ? chunk : chunk.subarray(0, bytesRead));
          } catch (e) {
            await close().catch(() => {});
            controller.error(e);
          }
        },
        cancel: close,
      },
      { highWaterMark: 1 },
    );
  }

  async delete(blobId: Uint8Array): Promise<void> {
    await rm(join(this.dir, blobFileName(blobId)), { force: true });
    await syncDir(this.dir);
  }
}
