/**
 * Search across every conversation (issue 11, "Search"): a full-text index of the messages'
 * texts, both sides', made with MiniSearch (BM25 over an inverted index in a radix tree), kept
 * in memory while unlocked and persisted inside the encrypted vault, never a scan of the
 * messages. docs/VAULT.md ("The search index") has the format and what it reveals.
 *
 * - **Follows the records.** The index listens to the vault's commits (`Vault.onCommit`,
 *   decoded by `messageChanges` in client/data/records.ts): every message stored, by the
 *   receiver, the outbox or anything later, is added once its transaction committed; a message
 *   removed (or a conversation's partition) leaves the index. A message's text never changes
 *   once stored, so a message already indexed is not indexed again when its status moves.
 * - **Two segments**, each a MiniSearch serialized as JSON and stored as a vault blob
 *   (client/vault/blobs.ts: 256 KiB encrypted chunks, a new version replaces the old one
 *   whole or not at all): `base`, the bulk, rewritten only when `recent` is merged into it or
 *   a message in it is removed; and `recent`, the messages since (at most `MERGE_AT`, with
 *   their text, so the merge needs no vault reads), rewritten `PERSIST_AFTER_MS` after the
 *   last change. So a new message costs a write of the small segment, not of 10,000 messages'
 *   index.
 * - **Crash and damage.** The segments also list every message key they have seen, per
 *   conversation (a message without text too). At open, and after every sync
 *   (`reconcile`), each conversation's count of stored messages (`Vault.count`: no decryption)
 *   is compared with the index's; a conversation that differs is read again and its
 *   difference added or removed. So what a crash, a lock before the delayed write or another
 *   tab's writes left out comes back, by reading only the conversations concerned. A missing,
 *   damaged (`bad_mac`, malformed) or older-format index is rebuilt from the messages.
 * - **Removal leaves no words behind.** MiniSearch's `discard` keeps the removed message's
 *   terms in the tree until a vacuum; a segment with removals is vacuumed before it is
 *   written, and a removal is written at once, not after the delay.
 * - Results are in time order, newest first: every word of the query must match (AND), the
 *   last one (being typed) as a beginning ("anx" finds "anxious"), words of 5 or more characters also with one typo
 *   (fuzzy 0.2, at most 1 edit); terms as in terms.ts.
 * @module
 */
import MiniSearch, { type Options, type SearchOptions } from 'minisearch';
import { messageChanges, type MessageChange, type Records, type StoredMessage } from '../data/records.ts';
import { readBlob, writeBlob } from '../vault/blobs.ts';
import { VaultError } from '../vault/errors.ts';
import { processTerm, tokenize } from './terms.ts';

/** The persisted format; another value (older code, or a future one) means rebuild. */
export const SEARCH_FORMAT = 1;
/** The blobs that hold the two segments (client/vault/blobs.ts). */
export const BASE_BLOB = 'search-index-base';
export const RECENT_BLOB = 'search-index-recent';
/**
 * Messages in `recent` before it is merged into `base`: `recent` (with texts) is rewritten
 * after every burst of messages, `base` once per this many; 1,000 messages of ~200 characters
 * are ~0.3 MB of segment, written in a few tens of milliseconds.
 */
export const MERGE_AT = 1000;
/** Quiet time after the last change before `recent` is written (a burst is written once). */
export const PERSIST_AFTER_MS = 2000;
/** Messages read per vault page while rebuilding or reconciling a conversation. */
const READ_PAGE = 500;

/** One search result: where the message is (its text stays in the vault until shown). */
export interface SearchHit {
  readonly conversationId: string;
  readonly messageId: string;
  /** The message's record key (client/data/records.ts `messageKey`: time order). */
  readonly key: string;
  readonly sentAt: number;
  /** The index terms it matched, for highlighting (highlight.ts). */
  readonly terms: readonly string[];
}

export type SearchState = 'loading' | 'rebuilding' | 'ready';

/** The results of one query, newest first. */
export class SearchHits {
  /** Ids in time order, newest first (an id begins with the record key: a native string sort is time order). */
  private readonly ids: string[];
  private terms: Map<string, string[]> | undefined;

  constructor(private readonly results: readonly { readonly id: unknown; readonly terms: string[] }[]) {
    this.ids = results.map((r) => r.id as string).sort().reverse();
  }

  get length(): number {
    return this.ids.length;
  }

  /** The hits from `start` to `end` (exclusive), as `Array.prototype.slice`. */
  slice(start = 0, end = this.ids.length): SearchHit[] {
    this.terms ??= new Map(this.results.map((r) => [r.id as string, r.terms]));
    return this.ids.slice(start, end).map((id) => {
      const sep = id.indexOf(SEP);
      const key = id.slice(0, sep);
      const colon = key.indexOf(':');
      return { conversationId: id.slice(sep + 1), key, messageId: key.slice(colon + 1), sentAt: parseInt(key.slice(0, colon), 36), terms: this.terms!.get(id)! };
    });
  }
}

interface Doc {
  readonly id: string;
  readonly text: string;
}

const SEP = '\n'; // in neither a conversation id nor a record key
/** Key first: the ids of results sort in time order as plain strings. */
const docId = (conversationId: string, key: string): string => `${key}${SEP}${conversationId}`;

const SEARCH: SearchOptions = {
  combineWith: 'AND',
  // The word being typed is a beginning; the words before it are whole (each prefix of a short
  // word such as "the" adds thousands of results to score).
  prefix: (_term, i, terms) => i === terms.length - 1,
  fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
  maxFuzzy: 1, // one typo: two make a long word's fuzzy walk of the tree several times slower
};

const miniOptions = (withText: boolean): Options<Doc> => ({
  fields: ['text'],
  storeFields: withText ? ['text'] : [],
  tokenize,
  processTerm,
  autoVacuum: false, // vacuumed before each write of a segment with removals (`Segment.bytes`)
  searchOptions: SEARCH,
});

/** What a segment blob holds (JSON, UTF-8). */
interface SegmentFile {
  readonly v: number;
  /** Every message key seen, per conversation (with or without text). */
  readonly keys: Record<string, string[]>;
  readonly index: ReturnType<MiniSearch['toJSON']>;
}

/** One MiniSearch and the message keys it has seen. */
class Segment {
  readonly keys = new Map<string, Set<string>>();
  dirty = false;
  private removed = false;

  constructor(
    readonly withText: boolean,
    readonly mini: MiniSearch<Doc> = new MiniSearch(miniOptions(withText)),
  ) {}

  get size(): number {
    let n = 0;
    for (const set of this.keys.values()) n += set.size;
    return n;
  }
  count(conversationId: string): number {
    return this.keys.get(conversationId)?.size ?? 0;
  }
  has(conversationId: string, key: string): boolean {
    return this.keys.get(conversationId)?.has(key) ?? false;
  }
  add(conversationId: string, key: string, text: string | undefined): void {
    let set = this.keys.get(conversationId);
    if (!set) this.keys.set(conversationId, (set = new Set()));
    set.add(key);
    if (text) this.mini.add({ id: docId(conversationId, key), text });
    this.dirty = true;
  }
  remove(conversationId: string, key: string): boolean {
    const set = this.keys.get(conversationId);
    if (!set?.delete(key)) return false;
    if (set.size === 0) this.keys.delete(conversationId);
    const id = docId(conversationId, key);
    if (this.mini.has(id)) {
      this.mini.discard(id);
      this.removed = true;
    }
    this.dirty = true;
    return true;
  }
  removeConversation(conversationId: string): boolean {
    const set = this.keys.get(conversationId);
    if (!set) return false;
    for (const key of [...set]) this.remove(conversationId, key);
    return true;
  }
  /** The segment as stored; removed messages' terms are vacuumed out first. */
  async bytes(): Promise<Uint8Array> {
    if (this.removed) {
      this.removed = false;
      await this.mini.vacuum({ batchWait: 0 });
    }
    this.dirty = false;
    const file: SegmentFile = { v: SEARCH_FORMAT, keys: Object.fromEntries([...this.keys].map(([c, set]) => [c, [...set]])), index: this.mini.toJSON() };
    return new TextEncoder().encode(JSON.stringify(file));
  }
  static parse(bytes: Uint8Array, withText: boolean): Segment {
    const file = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Partial<SegmentFile>;
    if (file.v !== SEARCH_FORMAT || typeof file.keys !== 'object' || file.keys === null || typeof file.index !== 'object') throw new SyntaxError('not a search segment of this format');
    const segment = new Segment(withText, MiniSearch.loadJS(file.index, miniOptions(withText)));
    for (const [c, keys] of Object.entries(file.keys)) {
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new SyntaxError('bad key list');
      segment.keys.set(c, new Set(keys));
    }
    return segment;
  }
}

async function readSegment(records: Records, blobId: string, withText: boolean): Promise<Segment | undefined> {
  const chunks = await readBlob(records.vault, blobId);
  if (!chunks) return undefined;
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const c of chunks) parts.push(c), (length += c.length);
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const p of parts) bytes.set(p, at), (at += p.length);
  return Segment.parse(bytes, withText);
}

const yieldToBrowser = (): Promise<void> => {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  return scheduler?.yield ? scheduler.yield() : new Promise((r) => setTimeout(r, 0));
};

export interface SearchIndexOptions {
  readonly mergeAt?: number;
  readonly persistAfterMs?: number;
  /** Told when the index's state changes (the view shows "getting ready"). */
  readonly onState?: (state: SearchState) => void;
}

/** The index of one unlocked vault's messages. `SearchIndex.open` starts it. */
export class SearchIndex {
  private base = new Segment(false);
  private recent = new Segment(true);
  /** Changes heard while loading, applied once the segments are in place. */
  private waiting: MessageChange[] | undefined = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private reconciling: Promise<void> | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;
  private stateNow: SearchState = 'loading';
  /** Settles when the index is loaded (or rebuilt) and reconciled with the vault. */
  readonly ready: Promise<void>;

  private constructor(
    readonly records: Records,
    private readonly options: SearchIndexOptions,
  ) {
    this.unsubscribe = records.vault.onCommit((changes) => {
      const mine = messageChanges(changes);
      if (mine.length > 0) this.apply(mine);
    });
    this.ready = this.load().catch((e: unknown) => {
      // Locked meanwhile: the next unlock opens it again.
      if (!VaultError.is(e, 'locked') && !VaultError.is(e, 'closed')) console.warn('confidant: the search index could not be opened', (e as Error).name);
    });
  }

  /** Listens to the vault's commits and loads (or rebuilds) the persisted index. */
  static open(records: Records, options: SearchIndexOptions = {}): SearchIndex {
    return new SearchIndex(records, options);
  }

  get state(): SearchState {
    return this.stateNow;
  }
  private setState(s: SearchState): void {
    this.stateNow = s;
    this.options.onState?.(s);
  }

  /** Messages indexed (with text). */
  get documentCount(): number {
    return this.base.mini.documentCount + this.recent.mini.documentCount;
  }

  /** Whether the message with record key `key` is known to the index (with or without text). */
  has(conversationId: string, key: string): boolean {
    return this.base.has(conversationId, key) || this.recent.has(conversationId, key);
  }

  /**
   * Every message whose text has all of the query's words, newest first. The hits are made a
   * page at a time (`slice`): a common word matches thousands of messages, of which a screen
   * shows a few.
   */
  search(query: string): SearchHits {
    if (!query.trim()) return new SearchHits([]);
    const results = this.base.mini.search(query);
    for (const r of this.recent.mini.search(query)) results.push(r);
    return new SearchHits(results);
  }

  /** Applies message writes and removals (from the vault's commits). */
  apply(changes: readonly MessageChange[]): void {
    if (this.stopped) return;
    if (this.waiting) {
      this.waiting.push(...changes);
      return;
    }
    let removed = false;
    for (const ch of changes) {
      if (ch.type === 'put') this.put(ch.conversationId, ch.key, ch.message);
      else if (ch.type === 'delete') removed = this.remove(ch.conversationId, ch.key) || removed;
      else {
        const inBase = this.base.removeConversation(ch.conversationId);
        removed = this.recent.removeConversation(ch.conversationId) || inBase || removed;
      }
    }
    // A removal is written at once: its words must not wait on disk.
    if (removed) void this.flush();
    else if (this.base.dirty || this.recent.dirty) this.schedule();
  }

  private put(conversationId: string, key: string, m: StoredMessage): void {
    if (this.has(conversationId, key)) return; // a status change: the text is the same
    this.recent.add(conversationId, key, m.notice ? undefined : m.text);
  }

  private remove(conversationId: string, key: string): boolean {
    return this.base.remove(conversationId, key) || this.recent.remove(conversationId, key);
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.options.persistAfterMs ?? PERSIST_AFTER_MS);
  }

  /**
   * Writes what changed now (one write at a time). While `recent` holds more than `MERGE_AT`
   * messages it is merged into `base` first; `base` is written before the emptied `recent`, so
   * a crash in between leaves messages in both, which loading resolves. Fails silently once the
   * vault is locked: the next open reconciles.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const run = this.writing.then(async () => {
      if (this.waiting) return;
      if (this.recent.size > (this.options.mergeAt ?? MERGE_AT)) this.merge();
      try {
        if (this.base.dirty) await writeBlob(this.records.vault, BASE_BLOB, [await this.base.bytes()]);
        if (this.recent.dirty) await writeBlob(this.records.vault, RECENT_BLOB, [await this.recent.bytes()]);
      } catch (e) {
        if (!VaultError.is(e, 'locked') && !VaultError.is(e, 'closed')) console.warn('confidant: the search index could not be saved', (e as Error).name);
      }
    });
    this.writing = run;
    return run;
  }

  private merge(): void {
    const from = this.recent;
    this.recent = new Segment(true);
    for (const [c, keys] of from.keys) {
      for (const key of keys) {
        const text = from.mini.getStoredFields(docId(c, key))?.text;
        this.base.add(c, key, typeof text === 'string' ? text : undefined);
      }
    }
    this.recent.dirty = true;
  }

  private async load(): Promise<void> {
    let base: Segment | undefined;
    let recent: Segment | undefined;
    try {
      base = await readSegment(this.records, BASE_BLOB, false);
      recent = base && (await readSegment(this.records, RECENT_BLOB, true));
    } catch (e) {
      if (VaultError.is(e, 'locked') || VaultError.is(e, 'closed')) throw e;
      // Damaged, or written by another format: rebuilt below.
      base = recent = undefined;
    }
    if (this.stopped) return;
    if (base && recent) {
      // A merge interrupted between its two writes: base has them already.
      for (const [c, keys] of [...recent.keys]) for (const key of keys) if (base.has(c, key)) recent.remove(c, key);
      this.base = base;
      this.recent = recent;
    } else {
      this.setState('rebuilding');
      await this.rebuild();
      if (this.stopped) return;
    }
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    this.apply(waiting);
    if (this.base.dirty || this.recent.dirty) await this.flush();
    await this.reconcile();
    if (!this.stopped) this.setState('ready');
  }

  /** Builds `base` from every stored message, a page at a time. */
  private async rebuild(): Promise<void> {
    const base = new Segment(false);
    for (const c of await this.records.conversations()) {
      for (const { key, message } of await this.readAll(c.id)) base.add(c.id, key, message.notice ? undefined : message.text);
      if (this.stopped) return;
    }
    this.base = base;
    this.recent = new Segment(true);
    this.base.dirty = this.recent.dirty = true; // written by `load` once the waiting changes are in
  }

  /** Every message of a conversation, read a page at a time (yielding between pages). */
  private async readAll(conversationId: string): Promise<{ key: string; message: StoredMessage }[]> {
    const all: { key: string; message: StoredMessage }[] = [];
    let beforeKey: string | undefined;
    for (;;) {
      const page = await this.records.messages(conversationId, { limit: READ_PAGE, ...(beforeKey !== undefined ? { beforeKey } : {}) });
      all.push(...page);
      if (page.length < READ_PAGE || this.stopped) return all;
      beforeKey = page[0]!.key;
      await yieldToBrowser();
    }
  }

  /**
   * Brings the index level with the vault: conversations gone are removed, and a conversation
   * whose stored message count differs from the index's is read again and the difference
   * applied. Costs one count per conversation when nothing differs.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= (async () => {
      try {
        if (this.waiting || this.stopped) return;
        const conversations = await this.records.conversations();
        const present = new Set(conversations.map((c) => c.id));
        const changes: MessageChange[] = [];
        for (const c of new Set([...this.base.keys.keys(), ...this.recent.keys.keys()])) {
          if (!present.has(c)) changes.push({ type: 'delete-conversation', conversationId: c });
        }
        for (const c of conversations) {
          const stored = await this.records.messageCount(c.id);
          if (this.stopped) return;
          if (stored === this.base.count(c.id) + this.recent.count(c.id)) continue;
          const messages = await this.readAll(c.id);
          const keys = new Set(messages.map((m) => m.key));
          for (const { key, message } of messages) if (!this.has(c.id, key)) changes.push({ type: 'put', conversationId: c.id, key, message });
          for (const seg of [this.base, this.recent]) for (const key of seg.keys.get(c.id) ?? []) if (!keys.has(key)) changes.push({ type: 'delete', conversationId: c.id, key });
        }
        if (changes.length > 0) this.apply(changes);
      } catch (e) {
        if (!VaultError.is(e, 'locked') && !VaultError.is(e, 'closed')) throw e;
      } finally {
        this.reconciling = undefined;
      }
    })();
    return this.reconciling;
  }

  /** Stops listening and cancels a delayed write (the vault may be locking: nothing is written). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe();
  }
}
