/**
 * Attachments on the device, against the real relay in process: what the relay is given is the
 * padded stream (its length a function of the size bucket only), a padded stream comes back as
 * the file, and a message whose size disagrees with the stream's sealed length is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptedSize, paddedAttachmentSize } from '../../shared/attachment.ts';
import type { Identity } from '../../shared/keys.ts';
import { DEFAULT_BLOB_MAX_BYTES } from '../../relay/limits.ts';
import { upload } from '../../relay/testing/blob-helpers.ts';
import { RelayApi } from '../api/relay.ts';
import { Net, ORIGIN, startRelay, type Relay } from '../../test-support/devices.ts';
import { downloadAttachment, encryptFile, MAX_FILE_BYTES, type Phase } from './attachments.ts';

let relay: Relay;
let owner: Identity;
let api: RelayApi;
beforeAll(async () => {
  relay = await startRelay();
  owner = await relay.fx.therapist();
  api = new RelayApi({ origin: ORIGIN, fetch: new Net(relay.fx).fetch });
});
afterAll(async () => relay.close());

const fileOf = (n: number, seed = 1): Blob => new Blob([Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) % 256)]);
const bytesOf = async (b: Blob): Promise<Uint8Array> => new Uint8Array(await b.arrayBuffer());

describe('attachments: what the relay sees', () => {
  it('every file in one size bucket encrypts to the same number of bytes, encryptedSize of its size', async () => {
    // 4097..4352 share the bucket 4352; 0..4096 share 4096; 300,000 is in 303,104's (8 KiB steps).
    for (const group of [[0, 1, 4095, 4096], [4097, 4200, 4352], [296_961, 300_000, 303_104]]) {
      const lengths = new Set<number>();
      for (const n of group) {
        const enc = await encryptFile(fileOf(n));
        expect(enc.size).toBe(n);
        expect(enc.ciphertext.size).toBe(encryptedSize(n));
        lengths.add(enc.ciphertext.size);
      }
      expect([...lengths]).toEqual([encryptedSize(paddedAttachmentSize(group[0]!))]);
    }
  });

  it('the largest file accepted, padded and encrypted, fits the relay\'s default blob limit; a larger one is refused', async () => {
    expect(paddedAttachmentSize(MAX_FILE_BYTES)).toBe(MAX_FILE_BYTES);
    expect(encryptedSize(MAX_FILE_BYTES)).toBeLessThanOrEqual(DEFAULT_BLOB_MAX_BYTES);
    await expect(encryptFile({ size: MAX_FILE_BYTES + 1 } as Blob)).rejects.toThrow(RangeError);
  });
});

describe('attachments: upload to the relay, download, decrypt', () => {
  it('a padded attachment comes back as the file, its padding dropped, progress reaching 1', async () => {
    const file = fileOf(300_000, 5);
    const enc = await encryptFile(file);
    const res = await upload(relay.fx, owner, await bytesOf(enc.ciphertext));
    expect(res.status).toBe(201);
    const { blobId, size: stored } = (await res.json()) as { blobId: string; size: number };
    expect(stored).toBe(encryptedSize(300_000));
    const seen: [Phase, number][] = [];
    const meta = { blobId, key: enc.key, digest: enc.digest, size: enc.size, name: 'notes.pdf', mime: 'application/pdf' };
    const out = await downloadAttachment(api, meta, (phase, fraction) => seen.push([phase, fraction]));
    expect(out.type).toBe('application/pdf');
    expect(await bytesOf(out)).toEqual(await bytesOf(file));
    expect(seen.at(-1)).toEqual(['downloading', 1]);
  });

  it('a message that says a smaller size than the stream carries is refused before any chunk', async () => {
    const enc = await encryptFile(fileOf(5000));
    const { blobId } = (await (await upload(relay.fx, owner, await bytesOf(enc.ciphertext))).json()) as { blobId: string };
    const meta = { blobId, key: enc.key, digest: enc.digest, size: 4999, name: 'x', mime: 'text/plain' };
    await expect(downloadAttachment(api, meta)).rejects.toMatchObject({ code: 'too_large' });
  });
});
