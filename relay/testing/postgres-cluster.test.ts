import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPostgresBinaries } from './postgres-cluster.ts';

describe('findPostgresBinaries', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A fake Debian layout: /usr/lib/postgresql/<version>/bin/{initdb,pg_ctl} that print their version. */
  const fakeRoot = (versions: string[]): string => {
    const root = mkdtempSync(join(tmpdir(), 'confidant-pgbin-'));
    dirs.push(root);
    for (const version of versions) {
      const bin = join(root, version, 'bin');
      mkdirSync(bin, { recursive: true });
      for (const tool of ['initdb', 'pg_ctl']) {
        writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) ${version}.1"\n`);
        chmodSync(join(bin, tool), 0o755);
      }
    }
    return root;
  };

  it('fails naming the Debian package when neither PATH nor /usr/lib/postgresql has them', () => {
    expect(() => findPostgresBinaries('', '/nonexistent/postgresql')).toThrow(/Debian package `postgresql`/);
  });

  it('picks the highest version under the Debian root when PATH has none', () => {
    const root = fakeRoot(['9.6', '13', '16']);
    const found = findPostgresBinaries('/nonexistent', root);
    expect(found.dir).toBe(join(root, '16', 'bin'));
    expect(found.version).toBe(16);
  });

  it('prefers PATH over the Debian root', () => {
    const root = fakeRoot(['16']);
    const onPath = fakeRoot(['14']);
    expect(findPostgresBinaries(join(onPath, '14', 'bin'), root).version).toBe(14);
  });

  it('ignores a directory that has initdb but no pg_ctl', () => {
    const root = fakeRoot(['15', '17']);
    rmSync(join(root, '17', 'bin', 'pg_ctl'));
    expect(findPostgresBinaries('', root).version).toBe(15);
  });
});
