/**
 * The leak scanner finds a planted needle in every encoding it claims (and at every base64
 * alignment), in nested folders and in the real relay's files, and stays quiet on files that
 * do not hold the needle.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks, filesUnder, MIN_NEEDLE_BYTES, needlePatterns, scanForLeaks, type LeakEncoding } from './leaks.ts';
import { startRelay, type Relay } from './relay.ts';

const NEEDLE = 'I feel anxious before Thursday — Zoë';
const OTHER = 'a needle nobody planted 7f3c';

let dir: string;
let relay: Relay;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confidant-e2e-leaks-'));
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Random bytes around `middle`, so a hit cannot come from a clean file boundary. */
const noisy = (middle: Uint8Array): Buffer => Buffer.concat([randomBytes(1000), middle, randomBytes(1000)]);

const utf8 = Buffer.from(NEEDLE, 'utf8');
const plants: Record<LeakEncoding, Buffer[]> = {
  utf8: [utf8],
  utf16le: [Buffer.from(NEEDLE, 'utf16le')],
  hex: [Buffer.from(`deadbeef${utf8.toString('hex')}00`, 'latin1')],
  // The needle 0, 1 and 2 bytes past a 3-byte boundary inside a longer encoded payload.
  base64: [0, 1, 2].map((k) => Buffer.from(Buffer.concat([randomBytes(30 + k), utf8, randomBytes(17)]).toString('base64'), 'latin1')),
  base64url: [0, 1, 2].map((k) => Buffer.from(Buffer.concat([randomBytes(30 + k), utf8, randomBytes(17)]).toString('base64url'), 'latin1')),
};

describe('scanForLeaks', () => {
  for (const [encoding, payloads] of Object.entries(plants) as [LeakEncoding, Buffer[]][]) {
    payloads.forEach((payload, i) => {
      it(`finds the needle planted as ${encoding}${payloads.length > 1 ? ` at alignment ${i}` : ''}, with file and offset`, async () => {
        const sub = join(dir, `${encoding}-${i}`, 'nested', 'deeper');
        await mkdir(sub, { recursive: true });
        const file = join(sub, 'blob.bin');
        const data = noisy(payload);
        await writeFile(file, data);
        const hits = await scanForLeaks([join(dir, `${encoding}-${i}`)], [OTHER, NEEDLE]);
        const mine = hits.filter((h) => h.encoding === encoding);
        expect(mine.length).toBe(1);
        expect(mine[0]!.needle).toBe(NEEDLE);
        expect(mine[0]!.file).toBe(file);
        expect(mine[0]!.offset).toBeGreaterThanOrEqual(1000);
        expect(mine[0]!.offset).toBeLessThan(1000 + payload.length);
        expect(hits.every((h) => h.needle === NEEDLE)).toBe(true);
      });
    });
  }

  it('reports nothing for random bytes and for text without the needle', async () => {
    const clean = join(dir, 'clean');
    await mkdir(join(clean, 'sub'), { recursive: true });
    await writeFile(join(clean, 'random.bin'), randomBytes(256 * 1024));
    await writeFile(join(clean, 'sub', 'text.txt'), 'I feel anxious before Friday — Zoe\n' + Buffer.from('I feel calm').toString('base64'));
    expect(await scanForLeaks([clean], [NEEDLE, OTHER])).toEqual([]);
  });

  it('matches base64 and base64url of the needle behind any number of other bytes, whatever surrounds it', () => {
    const patterns = needlePatterns(NEEDLE);
    expect(new Set(patterns.map((p) => p.encoding))).toEqual(new Set(['utf8', 'utf16le', 'hex', 'base64', 'base64url']));
    for (const encoding of ['base64', 'base64url'] as const) {
      const fragments = patterns.filter((p) => p.encoding === encoding).map((p) => p.bytes.toString('latin1'));
      for (let before = 0; before < 9; before++) {
        for (let after = 0; after < 4; after++) {
          const text = Buffer.concat([randomBytes(before), utf8, randomBytes(after)]).toString(encoding);
          expect(fragments.some((f) => text.includes(f)), `${encoding}, ${before} bytes before, ${after} after`).toBe(true);
        }
      }
    }
  });

  it(`refuses needles shorter than ${MIN_NEEDLE_BYTES} bytes, which random ciphertext could contain`, async () => {
    await expect(scanForLeaks([dir], ['abc'])).rejects.toThrow(RangeError);
  });

  it('treats a missing path as holding nothing', async () => {
    expect(await filesUnder(join(dir, 'does-not-exist'))).toEqual([]);
  });
});

describe('expectNoLeaks on the real relay', () => {
  it('passes on a relay that never saw the needle, having scanned its database, WAL and log', async () => {
    await fetch(`${relay.base}/healthz`).then((r) => r.body?.cancel());
    const files = [...(await filesUnder(relay.dataDir)), ...(await filesUnder(relay.logPath))];
    expect(files).toEqual(expect.arrayContaining([relay.sqlitePath, `${relay.sqlitePath}-wal`, relay.logPath]));
    await expect(expectNoLeaks(relay, [NEEDLE, OTHER])).resolves.toBeUndefined();
  });

  it('names the file and encoding of a needle planted in a blob and in the log', async () => {
    await writeFile(join(relay.blobDir, '00112233445566778899aabbccddeeff'), noisy(Buffer.from(NEEDLE, 'utf16le')));
    await appendFile(relay.logPath, `{"planted":"${utf8.toString('base64url')}"}\n`);
    const err = await expectNoLeaks(relay, [NEEDLE, OTHER]).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(`as utf16le in ${join(relay.blobDir, '00112233445566778899aabbccddeeff')}`);
    expect(err!.message).toContain(`as base64url in ${relay.logPath}`);
    expect(err!.message).not.toContain(JSON.stringify(OTHER));
  });
});
