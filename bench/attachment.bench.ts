/**
 * Attachment benchmarks (issue 3, "Benchmarks"):
 * - `attachment_encrypt` / `attachment_decrypt`: MB/s (1 MB = 10^6 bytes) on a 16 MiB buffer
 *   fed in ATTACHMENT_CHUNK_SIZE views through our TransformStreams into a counting sink, against
 *   node:crypto AES-256-GCM over the same chunks with a fresh cipher and nonce each (the native
 *   limit: no streams, no digest, no STREAM framing).
 * - `attachment_stream_rss`: peak RSS growth while 200 MB are generated chunk by chunk,
 *   encrypted, decrypted and dropped, each run in a fresh child process (`_rss-child.ts`);
 *   anchor: the same pipeline with two pass-through transforms, so the ratio is what
 *   encryption adds over bare WHATWG streams. Lower is better.
 * @module
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gc, type Comparison } from './_harness.ts';
import { CHUNK, chunksOf, nodeGcmDecrypt, nodeGcmEncrypt, sink, streamOf, type OurAttachments } from './_attachment.ts';

const SIZE = 16 * 1024 * 1024;
const RSS_SIZE = 200_000_000;
const NODE_GCM = `node:crypto aes-256-gcm (${CHUNK / 1024} KiB chunks)`;

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

export async function attachmentThroughput(rounds: number, ours: OurAttachments): Promise<Comparison[]> {
  const plaintext = new Uint8Array(randomBytes(SIZE));
  const plainChunks = chunksOf(plaintext);

  // Ciphertexts to decrypt, made once, untimed.
  const ourCipher: Uint8Array[] = [];
  const enc = ours.encrypt(SIZE);
  await streamOf(plainChunks).pipeThrough(enc.stream).pipeTo(sink(ourCipher).stream);
  const params = await enc.finish();
  const nodeCipher = nodeGcmEncrypt(plaintext);
  if (nodeGcmDecrypt(nodeCipher) !== SIZE) throw new Error('node:crypto round trip lost bytes');

  const encryptOurs = async (): Promise<number> => {
    const e = ours.encrypt(SIZE);
    const out = sink();
    const t0 = performance.now();
    await streamOf(plainChunks).pipeThrough(e.stream).pipeTo(out.stream);
    await e.finish();
    const ms = performance.now() - t0;
    if (out.bytes() < SIZE) throw new Error('attachment_encrypt: short output');
    return mbps(SIZE, ms);
  };
  const decryptOurs = async (): Promise<number> => {
    const out = sink();
    const t0 = performance.now();
    await streamOf(ourCipher).pipeThrough(ours.decrypt(params)).pipeTo(out.stream);
    const ms = performance.now() - t0;
    if (out.bytes() !== SIZE) throw new Error(`attachment_decrypt: ${out.bytes()} bytes out of ${SIZE}`);
    return mbps(SIZE, ms);
  };

  return [
    {
      name: 'attachment_encrypt',
      unit: 'MB/s',
      anchor: NODE_GCM,
      rounds,
      warmup: 2,
      ours: encryptOurs,
      theirs: async () => {
        const t0 = performance.now();
        nodeGcmEncrypt(plaintext);
        return mbps(SIZE, performance.now() - t0);
      },
    },
    {
      name: 'attachment_decrypt',
      unit: 'MB/s',
      anchor: NODE_GCM,
      rounds,
      warmup: 2,
      ours: decryptOurs,
      theirs: async () => {
        const t0 = performance.now();
        const n = nodeGcmDecrypt(nodeCipher);
        const ms = performance.now() - t0;
        if (n !== SIZE) throw new Error('node:crypto decrypt: short output');
        return mbps(SIZE, ms);
      },
    },
  ];
}

const CHILD = fileURLToPath(new URL('./_rss-child.ts', import.meta.url));

/** Peak RSS growth in MB of one fresh child streaming `bytes` in `mode`. */
function childPeak(mode: 'ours' | 'identity', bytes = RSS_SIZE): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, mode, String(bytes)], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`rss child (${mode}) exited ${code}: ${err.trim()}`);
        const v = (JSON.parse(out.trim()) as { peakGrowthMB: number }).peakGrowthMB;
        if (typeof v !== 'number') throw new Error(`rss child (${mode}) printed ${out}`);
        resolve(v);
      } catch (e) {
        reject(e);
      }
    });
  });
}

export function attachmentStreamRss(rounds: number): Comparison {
  return {
    name: 'attachment_stream_rss',
    unit: 'MB (peak RSS growth, lower is better)',
    anchor: 'same pipeline, pass-through transforms',
    rounds,
    // A child is a fresh process: warming the parent buys nothing; one small run checks the setup.
    warmup: 0,
    ours: () => (gc(), childPeak('ours')),
    theirs: () => (gc(), childPeak('identity')),
  };
}
