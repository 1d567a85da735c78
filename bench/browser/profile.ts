/**
 * Where a backlog's (or, with `unlock` / `attachment`, a vault unlock's or a 32 MiB encryption's) time goes in Chromium: one `backlogRun` round (the real Receiver taking 500
 * envelopes into the vault, bench/browser/page.ts) under the CPU profiler (CDP `Profiler` through
 * playwright), on an unminified build so function names survive. Prints
 * - the main thread's busy vs idle share (idle = waiting for IndexedDB, WebCrypto's worker
 *   threads or timers), GC and "program" (native work on the main thread);
 * - the top functions by self time, and by the time of everything they called (total);
 * - how many WebCrypto calls (per method) and IndexedDB transactions (per mode) the round made,
 *   counted by wrapping the prototypes just for this round, and the setTimeout calls.
 * A tool, not a bench line; nothing asserts.
 *
 *   npx tsx bench/browser/profile.ts [backlog|unlock|attachment]
 * @module
 */
import { log } from '../_harness.ts';
import { openBenchPage } from './_launch.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Installed in the page before the profiled round: counts WebCrypto calls, IndexedDB transactions and timers. */
const COUNTERS = `(() => {
  const counts = {};
  const bump = (k) => (counts[k] = (counts[k] || 0) + 1);
  for (const m of ['encrypt', 'decrypt', 'sign', 'verify', 'deriveBits', 'deriveKey', 'importKey', 'exportKey', 'digest', 'generateKey']) {
    const orig = SubtleCrypto.prototype[m];
    SubtleCrypto.prototype[m] = function (alg, ...rest) {
      bump('subtle.' + m + ' ' + (typeof alg === 'string' ? alg : (alg && alg.name) || '?'));
      return orig.call(this, alg, ...rest);
    };
  }
  const tx = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
    bump('idb transaction ' + (mode || 'readonly'));
    return tx.call(this, stores, mode, ...rest);
  };
  const st = globalThis.setTimeout;
  globalThis.setTimeout = function (...args) { bump('setTimeout'); return st.apply(this, args); };
  globalThis.__benchCounts = counts;
})()`;

const what = process.argv[2] === 'unlock' || process.argv[2] === 'attachment' ? process.argv[2] : 'backlog';
const CALL = { backlog: 'backlogRun', unlock: 'unlockOurs', attachment: 'attachmentOurs' } as const;
const page = await openBenchPage({ minify: false });
try {
  await page.call('setup');
  // One untimed round first (JIT, caches), as the bench's warmup does.
  log(`warmup round: ${Math.round(await page.call(what === 'backlog' ? 'backlogOurs' : CALL[what]))}`);
  if (what === 'backlog') await page.call('backlogPrepare');
  await page.page.evaluate(COUNTERS);
  const cdp = await page.context.newCDPSession(page.page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const value = await page.call(CALL[what]);
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
  const counts = (await page.page.evaluate('globalThis.__benchCounts')) as Record<string, number>;

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const label = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'}${n.callFrame.url ? ` ${n.callFrame.url.replace(/^.*\//, '')}:${n.callFrame.lineNumber + 1}` : ''}`;
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    selfBy.set(label(n), (selfBy.get(label(n)) ?? 0) + t);
    // Inclusive time: each distinct function on the sample's stack gets the sample once.
    const onStack = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) onStack.add(label(byId.get(cur)!));
    for (const l of onStack) totalBy.set(l, (totalBy.get(l) ?? 0) + t);
  }
  const pct = (t: number): string => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
  const show = (title: string, m: Map<string, number>, n: number): void => {
    log(`\n${title}`);
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) log(`  ${t.toFixed(0).padStart(6)} ms ${pct(t)}  ${k}`);
  };
  const result = { backlog: `${Math.round(value)} ms for 500 messages (${Math.round(500 / (value / 1000))} messages/s)`, unlock: `${Math.round(value)} ms (DEFAULT_KDF)`, attachment: `${Math.round(value)} MB/s over 32 MiB` }[what];
  log(`\nprofiled ${what} round: ${result}; ${total.toFixed(0)} ms sampled`);
  for (const special of ['(idle)', '(program)', '(garbage collector)']) log(`  ${special.padEnd(20)} ${(selfBy.get(special) ?? 0).toFixed(0).padStart(6)} ms ${pct(selfBy.get(special) ?? 0)}`);
  show('top self time', selfBy, 30);
  show('top total time (self + callees)', totalBy, 40);
  log(`\ncalls made by the round${what === 'backlog' ? ' (per 500 messages)' : ''}:`);
  for (const [k, v] of Object.entries(counts).sort((a, b) => b[1] - a[1])) log(`  ${String(v).padStart(6)}  ${k}${what === 'backlog' ? `  (${(v / 500).toFixed(1)} per message)` : ''}`);
} finally {
  await page.close();
}
