/**
 * Browser benchmarks (issue 5, "Done means"): the client measured in its real runtime, headless
 * Chromium, each line against an anchor measured in the same page (or, for the bundle, the
 * budget). What each line measures: bench/browser/README.md.
 *
 * - `client_bundle_gzip` (KB = 1000 bytes, gzip -9): first-load JavaScript of a fresh build of
 *   the app; anchor the 150 KB budget; ratio = value / budget, at most 1 is within budget.
 * - `vault_unlock` (ms): `Vault.unlock` with DEFAULT_KDF; anchor WebCrypto PBKDF2-SHA-256 at
 *   600,000 iterations (OWASP) in the same page; ratio = ours / anchor, below 1 is faster.
 * - `backlog_500_decrypt` (ms for 500): the real Receiver (client/sync/receive.ts) pulling 500
 *   sealed messages from an in-memory relay into a VaultProtocolStore and the vault's records;
 *   anchor the same 500 opened into shared's MemoryProtocolStore (payload decoded, nothing
 *   stored); ratio = ours / anchor, the vault's and the receiver's cost.
 * - `attachment_encrypt_browser` (MB/s, 10^6 bytes): createAttachmentEncryptor over 32 MiB in
 *   memory; anchor WebCrypto AES-256-GCM's better of 256 KiB and 1 MiB chunks; ratio = ours /
 *   anchor, above 1 is faster.
 *
 * - `search_10k` (ms): median query time of the search index (client/search/) over 10,000
 *   stored messages (bench/browser/search.ts: seeded texts, 16 queries each timed over 20 runs);
 *   anchor a substring scan over the same 10,000 decrypted texts in the same page; ratio = ours /
 *   anchor, below 1 is faster.
 * - `search_index_open_10k` (ms): opening that index from its encrypted segments, as at unlock
 *   (read, decrypt, parse, load, reconcile with the vault); anchor rebuilding it from the 10,000
 *   stored messages, what a missing index costs; ratio = ours / anchor.
 *
 * `browserBenches` opens the page once; `close()` first logs the bundle's files and the backlog
 * and attachment breakdowns (stderr), then closes the browser.
 * @module
 */
import { log, round3, type Comparison } from './_harness.ts';
import { openBenchPage, type BenchPage } from './browser/_launch.ts';
import { clientBundle, type ClientBundle } from './browser/bundle.ts';

export const BROWSER_NAMES = ['client_bundle_gzip', 'vault_unlock', 'backlog_500_decrypt', 'attachment_encrypt_browser', 'search_10k', 'search_index_open_10k'] as const;

/** Rounds per line, sized for about two minutes on 2 noisy cores (the build of the app included). */
export const BROWSER_ROUNDS = { unlock: 7, backlog: 5, attachment: 9, search: 9, searchOpen: 5 } as const;

/** Issue 5's budget for the first-load JavaScript, gzipped. */
export const BUNDLE_BUDGET_KB = 150;

export interface BrowserBenches {
  readonly comparisons: readonly Comparison[];
  close(): Promise<void>;
}

const kb = (bytes: number): number => bytes / 1000;

export async function browserBenches(wanted: (name: string) => boolean, rounds = BROWSER_ROUNDS): Promise<BrowserBenches> {
  const comparisons: Comparison[] = [];
  let bundle: ClientBundle | undefined;
  if (wanted('client_bundle_gzip')) {
    log('client_bundle_gzip: building the app (vite build, temp outDir)...');
    bundle = await clientBundle();
    const value = kb(bundle.gzip);
    comparisons.push({
      name: 'client_bundle_gzip',
      unit: 'KB',
      anchor: `budget ${BUNDLE_BUDGET_KB} KB (ratio = value / budget)`,
      rounds: 1,
      warmup: 0,
      ours: async () => value,
      theirs: async () => BUNDLE_BUDGET_KB,
    });
  }

  const inPage = BROWSER_NAMES.slice(1).some(wanted);
  let page: BenchPage | undefined;
  if (inPage) {
    log('browser: building the bench page and starting Chromium...');
    page = await openBenchPage();
    try {
      const info = await page.call('setup');
      log(`  chromium ${page.version}; provider ${info.provider}; DEFAULT_KDF ${info.kdf}`);
    } catch (e) {
      await page.close();
      throw e;
    }
  }
  const p = page;
  if (p && wanted('vault_unlock')) {
    comparisons.push({
      name: 'vault_unlock',
      unit: 'ms',
      anchor: 'WebCrypto PBKDF2-SHA-256, 600,000 iterations (OWASP), same page',
      rounds: rounds.unlock,
      ours: () => p.call('unlockOurs'),
      theirs: () => p.call('unlockAnchor'),
    });
  }
  if (p && wanted('backlog_500_decrypt')) {
    comparisons.push({
      name: 'backlog_500_decrypt',
      unit: 'ms',
      anchor: '500 openMessage into MemoryProtocolStore (no vault), same page',
      rounds: rounds.backlog,
      ours: async () => {
        const ms = await p.call('backlogOurs');
        log(`    backlog through the vault: ${round3(500 / (ms / 1000))} messages/s`);
        return ms;
      },
      theirs: () => p.call('backlogAnchor'),
    });
  }
  if (p && wanted('attachment_encrypt_browser')) {
    comparisons.push({
      name: 'attachment_encrypt_browser',
      unit: 'MB/s',
      anchor: 'WebCrypto AES-256-GCM, best of 256 KiB / 1 MiB chunks, same page',
      rounds: rounds.attachment,
      warmup: 2,
      ours: () => p.call('attachmentOurs'),
      theirs: async () => {
        const v = await p.call('attachmentAnchor');
        log(`    anchor's better chunk size: ${(await p.call('anchorBestChunk')) / 1024} KiB`);
        return v;
      },
    });
  }

  const searching = p && (wanted('search_10k') || wanted('search_index_open_10k'));
  if (p && searching) {
    log('search: storing 10,000 seeded messages and building their index...');
    const made = await p.call('searchSetup');
    log(`  ${made.messages} messages, ${round3(made.characters / 1e6)} M characters; stored index ${round3(made.indexBytes / 1e6)} MB`);
    log(`  performance.now() resolution in the page: ${round3(await p.call('searchTimerResolution'))} ms`);
  }
  if (p && wanted('search_10k')) {
    comparisons.push({
      name: 'search_10k',
      unit: 'ms',
      anchor: 'substring scan over the same 10,000 decrypted texts, same page',
      rounds: rounds.search,
      warmup: 2,
      ours: () => p.call('searchOurs'),
      theirs: () => p.call('searchAnchor'),
    });
  }
  if (p && wanted('search_index_open_10k')) {
    comparisons.push({
      name: 'search_index_open_10k',
      unit: 'ms',
      anchor: 'rebuilding the index from the 10,000 stored messages, same page',
      rounds: rounds.searchOpen,
      ours: () => p.call('searchOpenOurs'),
      theirs: () => p.call('searchOpenAnchor'),
    });
  }

  return {
    comparisons,
    async close() {
      try {
        if (bundle) {
          log(`client_bundle_gzip: ${bundle.files.length} first-load file(s), ${round3(kb(bundle.bytes))} KB raw, ${round3(kb(bundle.gzip))} KB gzip, ${round3(kb(bundle.brotli))} KB brotli`);
          for (const f of bundle.files) log(`  ${f.file}: ${round3(kb(f.bytes))} KB raw, ${round3(kb(f.gzip))} KB gzip`);
          log(`  lazy (not counted): ${bundle.lazy.join(', ') || 'none'}`);
        }
        if (p && wanted('backlog_500_decrypt')) {
          log('backlog_500_decrypt breakdown (ms for 500, one run each, fresh envelopes):');
          for (const [k, v] of Object.entries(await p.call('backlogBreakdown'))) log(`  ${String(v).padStart(6)}  ${k}`);
          log(`  "delivered" receipts queued by the Receiver: ${await p.call('receipts')}`);
        }
        if (p && wanted('attachment_encrypt_browser')) {
          log('attachment_encrypt_browser breakdown (MB/s, median of 3):');
          for (const [k, v] of Object.entries(await p.call('attachmentBreakdown'))) log(`  ${String(v).padStart(6)}  ${k}`);
        }
        if (searching) {
          log('search_10k: hits per query (index: every word as a prefix, accents folded, typos in long words; scan: substrings):');
          for (const [k, v] of Object.entries(await p.call('searchCounts'))) log(`  ${k.padEnd(24)} ${v}`);
        }
      } finally {
        await p?.close();
      }
    },
  };
}
