/**
 * `npm run bench`: every benchmark of issue 3 ("Benchmarks"), each measured side by side with
 * its anchor in this process (the memory bench in fresh child processes), printed as JSON lines
 * `{"name","unit","value","anchor","anchorValue","ratio","spread"}` on stdout and nothing else; progress
 * and a closing table go to stderr. `ratio` is the median of per-round `value / anchorValue`:
 * above 1 is better for rates (ops/s, messages/s, MB/s), below 1 is better for memory (MB).
 *
 * Usage: npx tsx bench/run.ts [name-substring ...]   (no argument: all)
 * @module
 */
import { ours } from './_attachment.ts';
import { compare, log, printTable, type BenchLine, type Comparison } from './_harness.ts';
import { attachmentStreamRss, attachmentThroughput } from './attachment.bench.ts';
import { BROWSER_NAMES, browserBenches } from './browser.bench.ts';
import { message1kRoundtrip, sessionSetup } from './protocol.bench.ts';
import { providerBenches } from './provider.bench.ts';
import { relayBlobUploadRss } from './relay-rss.bench.ts';
import { RELAY_NAMES, relayBenches } from './relay.bench.ts';

/** Rounds per group, sized so the whole run stays well under five minutes on 2 noisy cores. */
const ROUNDS = { protocol: 13, attachment: 11, rss: 9, provider: 9, relay: 3, relayRss: 3 } as const;

const filters = process.argv.slice(2);
const wanted = (name: string): boolean => filters.length === 0 || filters.some((f) => name.includes(f));

const started = performance.now();
const lines: BenchLine[] = [];

async function bench(name: string, make: () => Comparison | Promise<Comparison>): Promise<void> {
  if (!wanted(name)) return;
  log(`${name}...`);
  lines.push(await compare(await make()));
}

await bench('session_setup', () => sessionSetup(ROUNDS.protocol));
await bench('message_1k_roundtrip', () => message1kRoundtrip(ROUNDS.protocol));

if (wanted('attachment_encrypt') || wanted('attachment_decrypt')) {
  for (const c of await attachmentThroughput(ROUNDS.attachment, ours)) await bench(c.name, () => c);
}
await bench('attachment_stream_rss', () => attachmentStreamRss(ROUNDS.rss));

if (wanted('provider_')) {
  for (const c of await providerBenches(ROUNDS.provider)) await bench(c.name, () => c);
}

if (RELAY_NAMES.some(wanted)) {
  const relay = await relayBenches(ROUNDS.relay, wanted);
  try {
    for (const c of relay.comparisons) await bench(c.name, () => c);
  } finally {
    await relay.close();
  }
}

await bench('relay_blob_upload_rss', () => relayBlobUploadRss(ROUNDS.relayRss));

// Browser lines (headless Chromium, bench/browser/README.md); the filter `browser` selects all of them.
const browserWanted = (name: string): boolean => wanted(name) || filters.includes('browser');
if (BROWSER_NAMES.some(browserWanted)) {
  const browser = await browserBenches(browserWanted);
  try {
    for (const c of browser.comparisons) {
      log(`${c.name}...`);
      lines.push(await compare(c));
    }
  } finally {
    await browser.close();
  }
}

printTable(lines, {
  direction: 'ratio = ours / anchor, median of per-round ratios; above 1 is better for rates, below 1 for MB',
});
log(`\ndone in ${((performance.now() - started) / 1000).toFixed(0)} s`);
