// @vitest-environment node
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { BLOB_CHUNK_LEN, BLOB_COLLECTION, blobSize, deleteBlob, readBlob, readBlobStream, writeBlob } from './blobs.ts';
import { VaultError } from './errors.ts';
import { createVault } from './vault.ts';

let n = 0;
const freshName = () => `blobs-test-${process.pid}-${++n}`;
function pattern(len: number, seed = 1): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = (i * 131 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

/** Byte equality without vitest's element-by-element diffing (slow for megabytes). */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  let firstDiff = -1;
  for (let i = 0; i < actual.length && firstDiff < 0; i++) if (actual[i] !== expected[i]) firstDiff = i;
  expect(firstDiff, 'first differing byte').toBe(-1);
}

async function collect(vault: Parameters<typeof readBlob>[0], id: string): Promise<Uint8Array> {
  const chunks = await readBlob(vault, id);
  if (!chunks) throw new Error('no blob');
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function vault() {
  const dbName = freshName();
  return { v: await createVault('pw', { dbName, kdf: { algorithm: 'argon2id', m: 64, t: 1, p: 1 } }), dbName };
}

describe('blobs', () => {
  it('round-trips sizes around the chunk boundary, from arrays, async iterables and streams', async () => {
    const { v } = await vault();
    for (const size of [0, 1, BLOB_CHUNK_LEN - 1, BLOB_CHUNK_LEN, BLOB_CHUNK_LEN + 1, 3 * BLOB_CHUNK_LEN + 17]) {
      const data = pattern(size, size);
      // Irregular pieces, to exercise re-chunking.
      const pieces = [data.subarray(0, 1000), data.subarray(1000, 70_000), data.subarray(70_000)].filter((p) => p.length > 0);
      expect(await writeBlob(v, `b${size}`, pieces)).toBe(size);
      expect(await blobSize(v, `b${size}`)).toBe(size);
      expectBytes(await collect(v, `b${size}`), data);
    }
    const data = pattern(2 * BLOB_CHUNK_LEN + 5);
    await writeBlob(
      v,
      'stream',
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(data.subarray(0, 12345));
          c.enqueue(data.subarray(12345));
          c.close();
        },
      }),
    );
    const back = new Uint8Array(await new Response(await readBlobStream(v, 'stream')).arrayBuffer());
    expectBytes(back, data);
    await writeBlob(
      v,
      'async',
      (async function* () {
        yield data;
      })(),
    );
    expectBytes(await collect(v, 'async'), data);
    expect(await readBlob(v, 'missing')).toBeUndefined();
    expect(await readBlobStream(v, 'missing')).toBeUndefined();
    v.close();
  });

  it('replacing a blob with a shorter one removes the old tail; delete removes everything', async () => {
    const { v } = await vault();
    await writeBlob(v, 'x', [pattern(3 * BLOB_CHUNK_LEN)]);
    await writeBlob(v, 'x', [pattern(10, 9)]);
    expectBytes(await collect(v, 'x'), pattern(10, 9));
    expect(await v.count(BLOB_COLLECTION, 'x')).toBe(2);
    await deleteBlob(v, 'x');
    expect(await readBlob(v, 'x')).toBeUndefined();
    expect(await v.count(BLOB_COLLECTION, 'x')).toBe(0);
    v.close();
  });

  it('detects a chunk from an earlier version and a missing chunk', async () => {
    const { v, dbName } = await vault();
    await writeBlob(v, 'x', [pattern(2 * BLOB_CHUNK_LEN, 1)]);
    const db = await openDB(dbName);
    const oldRows = await db.getAll('records');
    await writeBlob(v, 'x', [pattern(2 * BLOB_CHUNK_LEN, 2)]);
    // Put back chunk 1 of the old version (same key, so AAD matches; the generation does not).
    const oldChunk1 = oldRows.find((r) => r.k === 1)!;
    await db.put('records', oldChunk1);
    const e = await collect(v, 'x').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(VaultError.is(e, 'bad_mac')).toBe(true);

    await db.delete('records', [oldChunk1.c, oldChunk1.p, 1]);
    const e2 = await collect(v, 'x').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(VaultError.is(e2, 'malformed')).toBe(true);
    db.close();
    v.close();
  });

  it('refuses bad arguments', async () => {
    const { v } = await vault();
    await expect(writeBlob(v, '', [new Uint8Array(1)])).rejects.toSatisfy((e) => VaultError.is(e, 'invalid_argument'));
    await expect(writeBlob(v, 'x', ['nope' as unknown as Uint8Array])).rejects.toSatisfy((e) => VaultError.is(e, 'invalid_argument'));
    expect(await readBlob(v, 'x')).toBeUndefined();
    v.close();
  });
});
