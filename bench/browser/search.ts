/**
 * The search benches' page side (bench/browser.bench.ts drives them through page.ts):
 *
 *   searchOurs / searchAnchor          ms   median query time over 10,000 stored messages: the
 *                                           real SearchIndex (client/search/), with the first
 *                                           screen's 30 hits made, vs a substring
 *                                           scan over the same 10,000 decrypted texts in memory
 *   searchOpenOurs / searchOpenAnchor  ms   the index opened at unlock from its encrypted
 *                                           segments (read, decrypt, parse, load, reconcile) vs
 *                                           rebuilding it from the 10,000 stored messages (what
 *                                           a missing index costs)
 *
 * The messages are generated from a fixed seed (a ChaCha20 keystream from @noble/ciphers used
 * as a deterministic byte source), so every run indexes the same texts: 40 conversations,
 * lengths from a few words to ~2,000 characters (a few long ones), words drawn Zipf-like from a
 * vocabulary of everyday English, therapy terms, names, and some French, Spanish and German.
 * Each query is timed over enough repetitions to be far above the timer's resolution
 * (`searchTimerResolution`, Chromium coarsens `performance.now()` without cross-origin
 * isolation).
 * @module
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { Records, type Conversation, type StoredMessage } from '../../client/data/records.ts';
import { BASE_BLOB, SearchIndex } from '../../client/search/index.ts';
import { blobSize, deleteBlob } from '../../client/vault/blobs.ts';
import { createVault, type Vault } from '../../client/vault/vault.ts';

export const SEARCH_MESSAGES = 10_000;
const CONVERSATIONS = 40;
/** Each query is repeated this often per timing, so one timing is ≫ the timer's resolution. */
const REPEAT = 20;
/** What the search screen shows at first (client/views/search.tsx): the hits made for it are timed too. */
const FIRST_PAGE = 30;

const COMMON = `the and to of a i in it that is was for my you me on with have this be not but at so
  just what about all we like do he she they her his them there when can if or out up no one time
  day week night feel felt feeling think thought know want get got go going went really now more
  still again today yesterday tomorrow morning evening after before because since work home
  family mother father sister brother partner friend friends kids school job boss sleep slept
  tired eat ate food walk talk said told ask asked try tried better worse good bad hard easy
  little much long last first next other same different thing things something nothing
  everything people person body mind head heart help need needed made make take took give gave
  keep kept find found tell call called wrote write message session appointment monday tuesday
  wednesday thursday friday saturday sunday weekend month year years ago while maybe sure okay
  thanks thank sorry hope hoping remember forgot forget started stop stopped hour hours minute
  minutes late early plan plans room car bus train office meeting phone text email dinner lunch
  breakfast coffee tea water weather rain sun cold warm outside inside garden dog cat park
  music book reading watched movie shower bed couch kitchen money rent bills doctor medication
  pills appointment pharmacy prescription`;
const THERAPY = `anxiety anxious panic attack attacks depressed depression mood low overwhelmed
  stress stressed stressful worry worried worrying angry anger frustrated frustration lonely
  alone isolated grief grieving loss sad sadness crying cried tears ashamed shame guilt guilty
  afraid fear scared nervous calm calmer relaxed breathing breathe exercise mindfulness journal
  journaling boundaries boundary trigger triggered flashback nightmare nightmares insomnia
  therapist therapy homework coping strategies strategy avoidance rumination catastrophizing
  self-esteem confidence motivation energy appetite concentration conflict argument relationship
  breakup divorce trauma childhood memories medication dose sertraline fluoxetine progress
  setback relapse craving cravings drinking alcohol sober recovery support group`;
const NAMES = 'Anna Ben Chloe David Emma Farid Grace Hiro Ines Jonas Kemal Lena Mateo Nadia Omar Priya Quentin Rosa Sven Tomasz';
const OTHER = `très fatigué aujourd'hui semaine dormir travail famille cansado ansiedad trabajo
  semana familia dormir müde Woche Arbeit Angst schlafen Familie Mutter Gespräch`;
const VOCAB = [COMMON, THERAPY, NAMES, OTHER].flatMap((list) => list.split(/\s+/).filter(Boolean));

/** Queries: common and rare words, beginnings of words, two and three words, a name, an accented word, a miss. */
export const QUERIES = ['anxious', 'sleep', 'panic attack', 'journ', 'mother work', 'boundaries', 'Priya', 'fatigue', 'felt overwhelmed week', 'medication dose', 'the', 'relap', 'zebra', 'coffee morning', 'flashback nightmare', 'Angst'];

/** A deterministic byte source: the ChaCha20 keystream under a fixed key (a seed, not a secret). */
class Seeded {
  private buf = new Uint8Array(0);
  private at = 0;
  private block = 0;
  constructor(private readonly seed: Uint8Array) {}
  private refill(): void {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(0, this.block++);
    this.buf = chacha20(this.seed, nonce, new Uint8Array(65536));
    this.at = 0;
  }
  /** A float in [0, 1). */
  next(): number {
    if (this.at + 4 > this.buf.length) this.refill();
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.at, 4).getUint32(0);
    this.at += 4;
    return v / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** A word, Zipf-like: low ranks far more often (rank ~ u^3 over the list). */
const word = (r: Seeded): string => VOCAB[Math.floor(r.next() ** 3 * VOCAB.length)]!;

function sentence(r: Seeded): string {
  const n = 4 + r.int(16);
  const words = Array.from({ length: n }, () => word(r));
  words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
  return `${words.join(' ')}${['.', '.', '.', '?', '!', '...'][r.int(6)]}`;
}

/** A message: mostly one to three sentences, sometimes a paragraph, rarely a long letter. */
function messageText(r: Seeded): string {
  const p = r.next();
  const sentences = p < 0.6 ? 1 + r.int(3) : p < 0.95 ? 4 + r.int(6) : 15 + r.int(15);
  return Array.from({ length: sentences }, () => sentence(r)).join(' ');
}

interface SearchState {
  readonly vault: Vault;
  readonly records: Records;
  index: SearchIndex;
  readonly texts: string[];
}
let state: SearchState | undefined;
const need = (): SearchState => {
  if (!state) throw new Error('searchSetup() first');
  return state;
};

/** Generates and stores the 10,000 messages, builds and persists the index; returns sizes. */
export async function searchSetup(): Promise<{ messages: number; characters: number; indexBytes: number }> {
  const vault = await createVault('bench search passphrase', { dbName: `confidant-bench-search-${Date.now()}`, kdf: { algorithm: 'argon2id', m: 64, t: 1, p: 1 } });
  const records = new Records(vault);
  const r = new Seeded(new TextEncoder().encode('confidant search bench seed 0001'));
  const texts: string[] = [];
  let t = Date.UTC(2024, 0, 1);
  for (let c = 0; c < CONVERSATIONS; c++) {
    const conversation: Conversation = { id: `bench-conversation-${c}`, peer: new Uint8Array(129), label: `Client ${c}`, unread: 0, urgentUnread: 0, lastAt: 0 };
    await records.saveConversation(conversation);
  }
  for (let done = 0; done < SEARCH_MESSAGES; ) {
    const ops = [];
    for (let i = 0; i < 500 && done < SEARCH_MESSAGES; i++, done++) {
      t += 60_000 + r.int(6 * 3_600_000);
      const text = messageText(r);
      texts.push(text);
      const m: StoredMessage = { id: `m${done.toString(36).padStart(6, '0')}`, mine: r.next() < 0.45, sentAt: t, status: 'read', text };
      ops.push(...records.messageOps(`bench-conversation-${r.int(CONVERSATIONS)}`, m));
    }
    await records.putJSONMany(ops);
  }
  const index = SearchIndex.open(records);
  await index.ready;
  if (index.documentCount !== SEARCH_MESSAGES) throw new Error(`indexed ${index.documentCount}, stored ${SEARCH_MESSAGES}`);
  state = { vault, records, index, texts };
  return { messages: texts.length, characters: texts.reduce((s, x) => s + x.length, 0), indexBytes: await indexBytes() };
}

async function indexBytes(): Promise<number> {
  const { records } = need();
  return ((await blobSize(records.vault, BASE_BLOB)) ?? 0) + ((await blobSize(records.vault, 'search-index-recent')) ?? 0);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Median over the queries of each query's time (ms), each timed over `REPEAT` runs. */
function timeQueries(run: (q: string) => number): number {
  const times: number[] = [];
  let sink = 0;
  for (const q of QUERIES) {
    const t0 = performance.now();
    for (let i = 0; i < REPEAT; i++) sink += run(q);
    times.push((performance.now() - t0) / REPEAT);
  }
  if (sink < 0) throw new Error('unreachable');
  return median(times);
}

export async function searchOurs(): Promise<number> {
  const { index } = need();
  return timeQueries((q) => index.search(q).slice(0, FIRST_PAGE).length);
}

/** The scan: every word of the query as a substring of the lowercased text (what the index's AND of prefixes finds, roughly). */
export async function searchAnchor(): Promise<number> {
  const { texts } = need();
  return timeQueries((q) => {
    const words = q.toLowerCase().split(/\s+/);
    let n = 0;
    for (const text of texts) {
      const lower = text.toLowerCase();
      if (words.every((w) => lower.includes(w))) n++;
    }
    return n;
  });
}

/** Per query: hits and time (ms, over `REPEAT` runs) of the index and of the scan (stderr). */
export async function searchCounts(): Promise<Record<string, string>> {
  const { index, texts } = need();
  const scan = (q: string): number => {
    const words = q.toLowerCase().split(/\s+/);
    return texts.filter((t) => words.every((w) => t.toLowerCase().includes(w))).length;
  };
  const timed = (f: () => number): [number, number] => {
    let n = 0;
    const t0 = performance.now();
    for (let i = 0; i < REPEAT; i++) n = f();
    return [n, (performance.now() - t0) / REPEAT];
  };
  return Object.fromEntries(
    QUERIES.map((q) => {
      const [a, ta] = timed(() => {
        const hits = index.search(q);
        hits.slice(0, FIRST_PAGE);
        return hits.length;
      });
      const [b, tb] = timed(() => scan(q));
      return [q, `index ${a} hits ${ta.toFixed(2)} ms, scan ${b} hits ${tb.toFixed(2)} ms`];
    }),
  );
}

/** The smallest step of `performance.now()` seen in this page (ms). */
export async function searchTimerResolution(): Promise<number> {
  let smallest = Infinity;
  let last = performance.now();
  for (let i = 0; i < 200_000 && smallest > 0.001; i++) {
    const now = performance.now();
    if (now > last) smallest = Math.min(smallest, now - last), (last = now);
  }
  return smallest;
}

/** Opening the persisted index, as at unlock: until ready (read, decrypt, parse, load, reconcile). */
export async function searchOpenOurs(): Promise<number> {
  const s = need();
  s.index.stop();
  const states: string[] = [];
  const t0 = performance.now();
  const index = SearchIndex.open(s.records, { onState: (x) => states.push(x) });
  await index.ready;
  const ms = performance.now() - t0;
  if (states.includes('rebuilding') || index.documentCount !== SEARCH_MESSAGES) throw new Error(`open did not load the stored index (${states.join(',')}, ${index.documentCount})`);
  s.index = index;
  return ms;
}

/** Without a stored index: rebuilt from the 10,000 stored messages, and written. */
export async function searchOpenAnchor(): Promise<number> {
  const s = need();
  s.index.stop();
  await deleteBlob(s.records.vault, BASE_BLOB);
  const t0 = performance.now();
  const index = SearchIndex.open(s.records);
  await index.ready;
  const ms = performance.now() - t0;
  if (index.documentCount !== SEARCH_MESSAGES) throw new Error(`rebuild indexed ${index.documentCount}`);
  s.index = index;
  return ms;
}

/** Stored index size (bytes of both segments, before encryption overhead). */
export const searchIndexBytes = indexBytes;
