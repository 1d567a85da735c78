import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** An export the app made in the end-to-end run (e2e/audit.e2e.ts), kept as the reference file. */
const EXAMPLE = join(ROOT, 'docs', 'examples', 'audit-export.json');
const run = promisify(execFile);

async function verify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [join(ROOT, 'tools', 'audit-verify.ts'), ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let dir: string;
let example: { entries: Record<string, unknown>[] } & Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-verify-'));
  example = JSON.parse(await readFile(EXAMPLE, 'utf8'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function variant(name: string, change: (file: typeof example) => void): Promise<string> {
  const copy = structuredClone(example);
  change(copy);
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(copy, null, 2));
  return path;
}

describe('npm run audit:verify', () => {
  it('accepts the export the app made (docs/examples/audit-export.json)', async () => {
    expect(example.entries.length).toBeGreaterThan(3);
    const { code, stdout } = await verify(EXAMPLE);
    expect(stdout).toMatch(new RegExp(`^OK: the log verifies \\(${example.entries.length} entries, `));
    expect(code).toBe(0);
  });

  it('names the first bad entry of an edited export', async () => {
    const { code, stdout } = await verify(await variant('edited.json', (f) => (f.entries[2]!.at = (f.entries[2]!.at as number) + 60_000)));
    expect(code).toBe(1);
    expect(stdout).toMatch(/^NOT VERIFIED: first bad entry is number 2 \(\w+ at [0-9T:.-]+Z\): /);
  });

  it('refuses an export with an entry removed, reordered or its tail cut off', async () => {
    const removed = await verify(await variant('removed.json', (f) => f.entries.splice(1, 1)));
    expect([removed.code, removed.stdout]).toEqual([1, expect.stringMatching(/first bad entry is number 1\b/)]);
    const swapped = await verify(await variant('swapped.json', (f) => ([f.entries[1], f.entries[2]] = [f.entries[2]!, f.entries[1]!])));
    expect([swapped.code, swapped.stdout]).toEqual([1, expect.stringMatching(/first bad entry is number 1\b/)]);
    const cut = await verify(await variant('cut.json', (f) => f.entries.splice(-2)));
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/cut from the end/);
  });

  it('says how to use it, and exits 2, without a readable JSON file', async () => {
    expect((await verify()).code).toBe(2);
    const missing = await verify(join(dir, 'nope.json'));
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/cannot read .* as JSON/)]);
    const notJson = join(dir, 'text.json');
    await writeFile(notJson, 'not json');
    expect((await verify(notJson)).code).toBe(2);
  });
});
