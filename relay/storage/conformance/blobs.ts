/**
 * Conformance for BlobRowStore and BlobStore: blob metadata rows and the bytes.
 * Run against every adapter by ./index.ts.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { ConfidantError } from '../../../shared/index.ts';
import { BLOB_ID_LEN } from '../types.ts';
import { DAY, type OpenStore, T0, expectSameBytes, readAll, rnd, source, storeFixture, tablesHolding } from './_fixture.ts';

export function blobsConformance(open: OpenStore): void {
  const { store, blobs, tables, therapist } = storeFixture(open);

  describe('blob rows', () => {
    it('creates an incomplete row, completes it with its size, and deletes it', async () => {
      const blobId = rnd(BLOB_ID_LEN);
      const info = { blobId, deleteTokenHash: rnd(32), createdAt: T0, expiresAt: T0 + DAY };
      expect(await store.createBlob(info)).toBe('created');
      expect(await store.getBlob(blobId)).toEqual({ blobId, size: 0, complete: false, createdAt: T0, expiresAt: T0 + DAY });
      expect(await store.createBlob({ ...info, expiresAt: T0 + 2 * DAY })).toBe('exists');
      expect(await store.completeBlob(blobId, 12345)).toBe(true);
      expect(await store.getBlob(blobId)).toEqual({ blobId, size: 12345, complete: true, createdAt: T0, expiresAt: T0 + DAY });
      expect(await store.deleteBlob(blobId)).toBe(true);
      expect(await store.getBlob(blobId)).toBeUndefined();
      expect(await store.deleteBlob(blobId)).toBe(false); // absent: harmless
    });

    it('deletes a blob row only for the hash of its delete token, and keeps no account key in blob rows', async () => {
      const owner = await therapist();
      const blobId = rnd(BLOB_ID_LEN);
      const deleteTokenHash = rnd(32);
      expect(await store.createBlob({ blobId, deleteTokenHash, createdAt: T0, expiresAt: T0 + DAY })).toBe('created');
      expect(await store.completeBlob(blobId, 10)).toBe(true);
      expect(tablesHolding(await tables(), owner.signingKey)).toEqual(['accounts']);
      expect(tablesHolding(await tables(), deleteTokenHash)).toEqual(['blobs']);
      expect(await store.deleteBlob(blobId, rnd(32))).toBe(false);
      expect(await store.deleteBlob(rnd(BLOB_ID_LEN), deleteTokenHash)).toBe(false);
      expect(await store.getBlob(blobId)).toMatchObject({ complete: true, size: 10 });
      expect(await store.deleteBlob(blobId, deleteTokenHash)).toBe(true);
      expect(await store.getBlob(blobId)).toBeUndefined();
      expect(await store.deleteBlob(blobId, deleteTokenHash)).toBe(false);
    });

    it('reports that a vanished row cannot be completed', async () => {
      expect(await store.completeBlob(rnd(BLOB_ID_LEN), 1)).toBe(false);
      expect(await store.getBlob(rnd(BLOB_ID_LEN))).toBeUndefined();
    });
  });

  describe('blob bytes', () => {
    it('streams a blob in and out unchanged, in many chunks', async () => {
      const blobId = rnd(BLOB_ID_LEN);
      const src = source(300 * 1024 + 17, 7 * 1024);
      expect(await blobs.write(blobId, src.stream, 1 << 20)).toBe(300 * 1024 + 17);
      const stream = await blobs.read(blobId);
      expect(stream).toBeInstanceOf(ReadableStream);
      expectSameBytes(await readAll(stream!), src.bytes);
    });

    it('stores an empty blob, and a blob of exactly maxBytes', async () => {
      const empty = rnd(BLOB_ID_LEN);
      expect(await blobs.write(empty, source(0, 1).stream, 0)).toBe(0);
      expect(await readAll((await blobs.read(empty))!)).toEqual(new Uint8Array(0));
      const full = rnd(BLOB_ID_LEN);
      const src = source(4096, 1000);
      expect(await blobs.write(full, src.stream, 4096)).toBe(4096);
      expectSameBytes(await readAll((await blobs.read(full))!), src.bytes);
    });

    it('reads an absent blob as undefined', async () => {
      expect(await blobs.read(rnd(BLOB_ID_LEN))).toBeUndefined();
    });

    it('refuses a blob over maxBytes with too_large, cancels the source and keeps nothing', async () => {
      const blobId = rnd(BLOB_ID_LEN);
      const src = source(256 * 1024, 16 * 1024);
      const error = await blobs.write(blobId, src.stream, 100 * 1024).catch((e: unknown) => e);
      expect(ConfidantError.is(error, 'too_large')).toBe(true);
      expect(src.cancelled()).toBe(true);
      expect(await blobs.read(blobId)).toBeUndefined();
    });

    it('an upload refused (too large) or failed (source error) leaves no blob and no row when the caller cleans up', async () => {
      // The route flow: row first, bytes, then complete; on failure the row is deleted.
      const blobId = rnd(BLOB_ID_LEN);
      await store.createBlob({ blobId, deleteTokenHash: rnd(32), createdAt: T0, expiresAt: T0 + DAY });
      await expect(blobs.write(blobId, source(2048, 512).stream, 1024)).rejects.toSatisfy((e) => ConfidantError.is(e, 'too_large'));
      await store.deleteBlob(blobId);
      expect(await store.getBlob(blobId)).toBeUndefined();
      expect(await blobs.read(blobId)).toBeUndefined();

      let sent = 0;
      const failing = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 3) controller.enqueue(rnd(1000));
          else controller.error(new Error('connection reset'));
        },
      });
      await expect(blobs.write(blobId, failing, 1 << 20)).rejects.toThrow('connection reset');
      expect(await blobs.read(blobId)).toBeUndefined();
    });

    it('keeps the previous bytes when a rewrite of the same id fails, and replaces them when it succeeds', async () => {
      const blobId = rnd(BLOB_ID_LEN);
      const first = source(5000, 1000);
      await blobs.write(blobId, first.stream, 10_000);
      await expect(blobs.write(blobId, source(20_000, 1000).stream, 10_000)).rejects.toSatisfy((e) => ConfidantError.is(e, 'too_large'));
      expectSameBytes(await readAll((await blobs.read(blobId))!), first.bytes);
      const second = source(3000, 1000);
      await blobs.write(blobId, second.stream, 10_000);
      expectSameBytes(await readAll((await blobs.read(blobId))!), second.bytes);
    });

    it('deletes a blob; deleting an absent one is harmless', async () => {
      const blobId = rnd(BLOB_ID_LEN);
      await blobs.write(blobId, source(100, 100).stream, 100);
      await blobs.delete(blobId);
      expect(await blobs.read(blobId)).toBeUndefined();
      await blobs.delete(blobId);
    });

    it('keeps concurrent uploads of different ids apart', async () => {
      const items = Array.from({ length: 4 }, () => ({ id: rnd(BLOB_ID_LEN), src: source(50_000, 3000) }));
      await Promise.all(items.map((x) => blobs.write(x.id, x.src.stream, 1 << 20)));
      for (const x of items) expectSameBytes(await readAll((await blobs.read(x.id))!), x.src.bytes);
    });

    it('a download stream can be cancelled part way', async () => {
      const blobId = rnd(BLOB_ID_LEN);
      await blobs.write(blobId, source(512 * 1024, 64 * 1024).stream, 1 << 20);
      const reader = (await blobs.read(blobId))!.getReader();
      expect((await reader.read()).done).toBe(false);
      await reader.cancel();
      // The blob is still whole for the next reader.
      expect((await readAll((await blobs.read(blobId))!)).length).toBe(512 * 1024);
    });
  });
}
