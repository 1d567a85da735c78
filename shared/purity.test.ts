/**
 * Proves the layering of ARCHITECTURE.md ("The parts"):
 * - `shared/` is pure: it imports only relative files inside `shared/` and the allowed
 *   packages, and touches no Node or DOM global (`process`, `Buffer`, `window`, `fetch`, …);
 * - `shared/` never imports `relay/` or `client/`; `relay/` and `client/` never import each other.
 *
 * Files are parsed with the TypeScript compiler, so import specifiers come from the syntax tree
 * and the global checks are regexes over a "code view" of each file in which comments are gone
 * and string, template and regex literal contents are blanked (a comment or error message that
 * says "window" is not code). `shared/tsconfig.json` (no @types/node) backs this up at compile time.
 *
 * Does not: follow re-exports into packages, or see globals reached through computed names other
 * than `globalThis[...]` (which is flagged as uncheckable).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SHARED = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(SHARED, '..');
const RELAY = join(ROOT, 'relay');
const CLIENT = join(ROOT, 'client');
/** Helpers the client's tests share (the relay in process, devices): never part of the app. */
const TEST_SUPPORT = join(ROOT, 'test-support');

/** Packages shared/ may import: @noble/* only through named submodules, plus schema and encodings. */
const ALLOWED_PACKAGES: readonly RegExp[] = [
  /^@noble\/(?:curves|hashes|ciphers|post-quantum)\/[\w.-]+(?:\/[\w.-]+)*$/,
  /^@scure\/bip39(?:\/[\w.-]+)*$/,
  /^@scure\/base$/,
  /^valibot$/,
];

/**
 * A name used as a global: not part of a longer identifier, and not a property of some other
 * object (`state.window`), except of `globalThis` (`globalThis.window`, `globalThis?.fetch`).
 * A spread (`...navigator.languages`) is a use, not a property access.
 */
const AS_GLOBAL = String.raw`(?<![\w$]|(?<!\bglobalThis\s*\??|\.\.)\??\.\s*)`;

interface GlobalRule {
  readonly name: string;
  readonly re: RegExp;
  /** Names that can also be object keys (`{ window: 3 }`, `window?: number`) skip that position. */
  readonly keyable?: boolean;
}

const FORBIDDEN_GLOBALS: readonly GlobalRule[] = [
  { name: 'require(', re: new RegExp(String.raw`(?<![\w$.])require\s*\(`, 'g') },
  { name: 'process.', re: new RegExp(AS_GLOBAL + String.raw`process\s*\??\.`, 'g') },
  { name: 'Buffer', re: new RegExp(AS_GLOBAL + String.raw`Buffer(?![\w$])`, 'g'), keyable: true },
  { name: 'self.', re: new RegExp(AS_GLOBAL + String.raw`self\s*\??\.`, 'g') },
  { name: 'fetch(', re: new RegExp(AS_GLOBAL + String.raw`fetch\s*(?:\?\.\s*)?\(`, 'g') },
  ...['window', 'document', 'navigator', 'localStorage', 'indexedDB'].map((name) => ({
    name,
    re: new RegExp(AS_GLOBAL + name + String.raw`(?![\w$])`, 'g'),
    keyable: true,
  })),
  // Strings are blanked in the code view, so globalThis['window'] would go unseen: refuse it.
  { name: 'globalThis[...]', re: new RegExp(AS_GLOBAL + String.raw`globalThis\s*(?:\?\.\s*)?\[`, 'g') },
];

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

const parse = (file: string, text: string): ts.SourceFile =>
  ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.Latest,
    true,
    extname(file) === '.tsx' ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );

const BLANKED_LITERALS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.JsxText,
]);

/**
 * The file's tokens at their original offsets (so line numbers stay right), with comments
 * (trivia) left out and literal contents replaced by spaces. Template `${...}` expressions are
 * their own nodes and stay visible.
 */
export const codeView = (sf: ts.SourceFile): string => {
  const out = sf.text.replace(/[^\n]/g, ' ').split('');
  const visit = (node: ts.Node): void => {
    if (ts.isJSDoc(node) || (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode)) {
      return;
    }
    const children = node.getChildren(sf);
    if (children.length > 0) {
      children.forEach(visit);
      return;
    }
    if (BLANKED_LITERALS.has(node.kind)) return;
    const start = node.getStart(sf);
    for (let i = start; i < node.end; i++) out[i] = sf.text[i] ?? ' ';
  };
  visit(sf);
  return out.join('');
};

interface Specifier {
  /** The module name, or null for a dynamic import whose argument is not a string literal. */
  readonly spec: string | null;
  readonly pos: number;
}

/** Every module a file names: static imports and re-exports, import(), import-type and import-equals. */
export const importSpecifiers = (sf: ts.SourceFile): Specifier[] => {
  const found: Specifier[] = [];
  const literal = (node: ts.Node | undefined, at: ts.Node): void => {
    const spec = node && ts.isStringLiteralLike(node) ? node.text : null;
    found.push({ spec, pos: at.getStart(sf) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier) literal(node.moduleSpecifier, node);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      literal(node.moduleReference.expression, node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      literal(node.arguments[0], node);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      literal(ts.isLiteralTypeNode(arg) ? arg.literal : undefined, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
};

const isInside = (dir: string, path: string): boolean => path === dir || path.startsWith(dir + sep);

const resolveRelative = (file: string, spec: string): string | null =>
  spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..'
    ? resolve(dirname(file), spec)
    : null;

/** The purity rules for a file under shared/ (its path decides where relative imports land). */
export const checkShared = (file: string, text: string): Violation[] => {
  const sf = parse(file, text);
  const at = (pos: number): number => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const violations: Violation[] = [];
  const report = (pos: number, problem: string): void => {
    violations.push({ file: relative(ROOT, file), line: at(pos), problem });
  };

  for (const { spec, pos } of importSpecifiers(sf)) {
    if (spec === null) {
      report(pos, 'import with a computed specifier');
    } else if (spec.startsWith('node:')) {
      report(pos, `Node import "${spec}"`);
    } else {
      const target = resolveRelative(file, spec);
      if (target !== null) {
        if (!isInside(SHARED, target)) report(pos, `import "${spec}" leaves shared/`);
      } else if (!ALLOWED_PACKAGES.some((re) => re.test(spec))) {
        report(pos, `import of "${spec}", not an allowed package`);
      }
    }
  }

  const code = codeView(sf);
  for (const rule of FORBIDDEN_GLOBALS) {
    for (const m of code.matchAll(rule.re)) {
      const pos = m.index;
      if (rule.keyable && isObjectKey(code, pos, m[0].length)) continue;
      report(pos, `uses ${rule.name}`);
    }
  }
  return violations;
};

/**
 * `{ window: 1 }`, `{ a, window?: number }`, `interface X { window: T }`: a key, not a use.
 * A ternary branch (`c ? window : x`) is preceded by `?`, so it is still a use.
 */
const isObjectKey = (code: string, pos: number, len: number): boolean => {
  if (!/^\s*\??\s*:(?!:)/.test(code.slice(pos + len))) return false;
  const before = code.slice(0, pos).trimEnd();
  return before === '' || /[{,;]$/.test(before) || /\n\s*$/.test(code.slice(0, pos));
};

/** Imports from `file` that land in any of the `forbidden` folders. */
export const checkLayer = (file: string, text: string, forbidden: readonly string[]): Violation[] => {
  const sf = parse(file, text);
  const out: Violation[] = [];
  for (const { spec, pos } of importSpecifiers(sf)) {
    const target = spec === null ? null : resolveRelative(file, spec);
    if (target !== null && forbidden.some((dir) => isInside(dir, target))) {
      const line = sf.getLineAndCharacterOfPosition(pos).line + 1;
      out.push({ file: relative(ROOT, file), line, problem: `imports "${spec}" across layers` });
    }
  }
  return out;
};

const CODE_EXT = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;

/** Source files under `dir`, skipping dependencies, build output and dot-folders. */
const sourceFiles = (dir: string): string[] => {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // a layer that does not exist yet has nothing to check
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      return e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.') ? [] : sourceFiles(path);
    }
    return e.isFile() && CODE_EXT.test(e.name) ? [path] : [];
  });
};

const isTest = (path: string): boolean => /\.test\.[cm]?[jt]sx?$/.test(path);
const describeAll = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.file}:${v.line} ${v.problem}`);

describe('shared/ is pure', () => {
  it('every non-test source in shared/ imports only shared/ and allowed packages, and uses no Node or DOM global', () => {
    const files = sourceFiles(SHARED).filter((f) => !isTest(f));
    expect(files.length).toBeGreaterThan(0);
    const violations = files.flatMap((f) => checkShared(f, readFileSync(f, 'utf8')));
    expect(describeAll(violations)).toEqual([]);
  });

  it('no file in shared/, tests included, imports relay/ or client/', () => {
    const violations = sourceFiles(SHARED).flatMap((f) => checkLayer(f, readFileSync(f, 'utf8'), [RELAY, CLIENT]));
    expect(describeAll(violations)).toEqual([]);
  });

  it('relay/ never imports client/, and the client app never imports relay/ or test support', () => {
    // Everything in client/ but its tests is the app: what Vite bundles, and nothing else lives
    // there (test helpers are in test-support/, measurement scripts in bench/).
    const clientApp = sourceFiles(CLIENT).filter((f) => !isTest(f));
    const violations = [
      ...sourceFiles(RELAY).flatMap((f) => checkLayer(f, readFileSync(f, 'utf8'), [CLIENT, TEST_SUPPORT])),
      ...clientApp.flatMap((f) => checkLayer(f, readFileSync(f, 'utf8'), [RELAY, TEST_SUPPORT])),
    ];
    expect(clientApp.length).toBeGreaterThan(10);
    expect(describeAll(violations)).toEqual([]);
  });

  it('the client app imports no Node module (only its tests run in Node)', () => {
    const violations = sourceFiles(CLIENT)
      .filter((f) => !isTest(f))
      .flatMap((f) => {
        const sf = parse(f, readFileSync(f, 'utf8'));
        return importSpecifiers(sf)
          .filter(({ spec }) => spec !== null && spec.startsWith('node:'))
          .map(({ spec, pos }) => ({ file: relative(ROOT, f), line: sf.getLineAndCharacterOfPosition(pos).line + 1, problem: `Node import "${spec}"` }));
      });
    expect(describeAll(violations)).toEqual([]);
  });
});

describe('the purity checker itself', () => {
  const file = join(SHARED, 'example.ts');
  const problems = (text: string): string[] => checkShared(file, text).map((v) => v.problem);

  it.each([
    ["import { readFileSync } from 'node:fs';", 'Node import "node:fs"'],
    ["import fs from 'fs';", 'import of "fs", not an allowed package'],
    ["import type { X } from 'node:crypto';", 'Node import "node:crypto"'],
    ["export * from '../relay/app.ts';", 'import "../relay/app.ts" leaves shared/'],
    ["export { a } from '../client/x.ts';", 'import "../client/x.ts" leaves shared/'],
    ["import { x25519 } from '@noble/curves';", 'import of "@noble/curves", not an allowed package'],
    ["import { z } from 'zod';", 'import of "zod", not an allowed package'],
    ["const m = await import('node:crypto');", 'Node import "node:crypto"'],
    ['const m = await import(name);', 'import with a computed specifier'],
    ["type F = typeof import('node:fs');", 'Node import "node:fs"'],
    ["import os = require('os');", 'import of "os", not an allowed package'],
    ["const fs = require('fs');", 'uses require('],
    ['const home = process.env.HOME;', 'uses process.'],
    ["const b = Buffer.from('x');", 'uses Buffer'],
    ["const b = globalThis.Buffer;", 'uses Buffer'],
    ['const w = window.innerWidth;', 'uses window'],
    ['const w = globalThis?.window;', 'uses window'],
    ["if (typeof document !== 'undefined') {}", 'uses document'],
    ['const langs = [...navigator.languages];', 'uses navigator'],
    ['const w = ok ? window : null;', 'uses window'],
    ["localStorage.setItem('k', 'v');", 'uses localStorage'],
    ["indexedDB.open('db');", 'uses indexedDB'],
    ['const c = self.crypto;', 'uses self.'],
    ["await fetch('/x');", 'uses fetch('],
    ["await globalThis.fetch('/x');", 'uses fetch('],
    ['const x = `${window.name}`;', 'uses window'],
    ["const p = globalThis['process'];", 'uses globalThis[...]'],
  ])('flags %s', (snippet, problem) => {
    expect(problems(snippet)).toContain(problem);
  });

  it('accepts pure code that merely mentions those words', () => {
    const pure = [
      "import { ed25519 } from '@noble/curves/ed25519.js';",
      "import { gcm } from '@noble/ciphers/aes.js';",
      "import { hkdf } from '@noble/hashes/hkdf.js';",
      "import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';",
      "import { generateMnemonic } from '@scure/bip39';",
      "import { wordlist } from '@scure/bip39/wordlists/english.js';",
      "import { base64urlnopad } from '@scure/base';",
      "import * as v from 'valibot';",
      "import { fail } from './errors.ts';",
      "export type { Bytes } from './_bytes.ts';",
      '// window.document and process.env are mentioned in a comment only',
      '/** Never call fetch() or require() here; see Buffer and self.postMessage. */',
      "const msg = 'outside the replay window; process.exit is not ours';",
      'const t = `document ${1 + 1} navigator`;',
      'const re = /window\\.document/;',
      'const ab: ArrayBuffer = new SharedArrayBuffer(8) as unknown as ArrayBuffer;',
      'const replayWindow = 5, windowSize = 3, processed = 1, myself = {}, fetcher = () => 1;',
      'const state = { window: replayWindow, document: null, fetch: fetcher };',
      'interface S { window?: number; Buffer: Uint8Array }',
      'const w = state.window; const f = state.fetch(); const d = state?.document;',
      'const k = await globalThis.crypto.subtle.importKey;',
      'const isSelfSigned = myself.toString();',
    ].join('\n');
    expect(checkShared(file, pure)).toEqual([]);
  });

  it('reports the line of each violation', () => {
    const text = "import { ok } from './ok.ts';\n\n// fine\nconst x = process.env.X;\n";
    expect(checkShared(file, text)).toEqual([{ file: 'shared/example.ts', line: 4, problem: 'uses process.' }]);
  });

  it('flags cross-layer imports between relay/ and client/', () => {
    const relayFile = join(RELAY, 'routes', 'x.ts');
    expect(checkLayer(relayFile, "import { v } from '../../client/views/app.ts';", [CLIENT])).toHaveLength(1);
    expect(checkLayer(relayFile, "import { s } from '../../shared/consts.ts';", [CLIENT])).toEqual([]);
    const clientFile = join(CLIENT, 'sync.ts');
    expect(checkLayer(clientFile, "export * from '../relay/app.ts';", [RELAY])).toHaveLength(1);
    expect(checkLayer(join(CLIENT, 'state', 'x.ts'), "import { joinClient } from '../../test-support/devices.ts';", [RELAY, TEST_SUPPORT])).toHaveLength(1);
  });
});
