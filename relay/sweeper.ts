/**
 * The retention sweeper (relay issue, "Retention sweeper"): at start and then every
 * `intervalMs`, `Store.sweep` deletes what expired (messages and their ack tombstones, blob rows,
 * nonces, registration codes, invites, prekey limit windows and their secrets), used codes and invites, and incomplete uploads older than
 * `incompleteBlobMaxAgeMs`; then the returned blob ids' bytes are deleted from the BlobStore.
 *
 * - On SQLite, `Store.sweep` ends with a WAL checkpoint (TRUNCATE): the bound on how long
 *   deleted ciphertext stays in any file under DATA_DIR when the checkpoint after an ack was
 *   blocked, after a kill -9 (the run at start), and for expired messages (docs/OPERATING.md).
 * - Runs never overlap: the next one is scheduled only after the previous one finished.
 * - A failing sweep (or blob delete) is logged by error name only (messages may carry paths or
 *   data) and the sweeper carries on; a blob whose delete failed has lost its row, so its bytes
 *   are orphaned but never served (reads go through the row).
 * - Logs hold counts only, never ids.
 * - Time comes from `now` (ms) so tests control what is expired; the timer is unref'd so it
 *   never keeps the process alive.
 * @module
 */
import { DEFAULT_INCOMPLETE_BLOB_MAX_AGE_MS } from './limits.ts';
import type { BlobStore, Store } from './storage/types.ts';

export interface SweeperOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  /** Pause between the end of one run and the start of the next. Integer ms, 1 .. 2^31-1. */
  readonly intervalMs: number;
  /**
   * An upload still incomplete after this long is abandoned: its row and bytes are swept.
   * Default `DEFAULT_INCOMPLETE_BLOB_MAX_AGE_MS` (relay/limits.ts): 24 h, where a 250 MiB upload
   * at a slow 100 kB/s takes about 44 minutes.
   */
  readonly incompleteBlobMaxAgeMs?: number;
  /** Wall clock in ms; default `Date.now`. */
  readonly now?: () => number;
  /** Receives one JSON line per run. Default: stdout. */
  readonly log?: (line: string) => void;
}

export interface Sweeper {
  /** Run a sweep now, or wait for the one in progress; resolves when it is done. */
  sweepNow(): Promise<void>;
  /** No further runs; resolves once a run in progress has finished. */
  stop(): Promise<void>;
}

/** setTimeout's limit: longer delays fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const defaultLog = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const errorName = (e: unknown): string => (e instanceof Error ? e.name : typeof e);

export function startSweeper(options: SweeperOptions): Sweeper {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`startSweeper: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const {
    store,
    blobs,
    intervalMs,
    incompleteBlobMaxAgeMs = DEFAULT_INCOMPLETE_BLOB_MAX_AGE_MS,
    now = Date.now,
    log = defaultLog,
  } = options;
  if (typeof store?.sweep !== 'function') throw new TypeError('startSweeper: store must be a Store');
  if (typeof blobs?.delete !== 'function') throw new TypeError('startSweeper: blobs must be a BlobStore');
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_TIMER_MS) {
    throw new RangeError(`startSweeper: intervalMs must be an integer 1..${MAX_TIMER_MS}, got ${String(intervalMs)}`);
  }
  if (!Number.isSafeInteger(incompleteBlobMaxAgeMs) || incompleteBlobMaxAgeMs < 0) {
    throw new RangeError(
      `startSweeper: incompleteBlobMaxAgeMs must be an integer >= 0, got ${String(incompleteBlobMaxAgeMs)}`,
    );
  }
  if (typeof now !== 'function') throw new TypeError(`startSweeper: now must be a function, got ${typeof now}`);
  if (typeof log !== 'function') throw new TypeError(`startSweeper: log must be a function, got ${typeof log}`);

  const emit = (entry: Record<string, unknown>): void => {
    try {
      log(JSON.stringify({ time: new Date(now()).toISOString(), event: 'sweep', ...entry }));
    } catch {
      // A failing log must not stop the sweeper.
    }
  };

  const runOnce = async (): Promise<void> => {
    const t = now();
    let result;
    try {
      result = await store.sweep(t, { incompleteBlobsBefore: t - incompleteBlobMaxAgeMs });
    } catch (e) {
      emit({ ok: false, error: errorName(e) });
      return;
    }
    let blobFilesDeleted = 0;
    let blobDeleteFailures = 0;
    let blobDeleteError: string | undefined;
    for (const blobId of result.expiredBlobIds) {
      try {
        await blobs.delete(blobId);
        blobFilesDeleted++;
      } catch (e) {
        blobDeleteFailures++;
        blobDeleteError ??= errorName(e);
      }
    }
    emit({
      ok: blobDeleteFailures === 0,
      messages: result.messages,
      blobs: result.blobs,
      nonces: result.nonces,
      registrationCodes: result.registrationCodes,
      invites: result.invites,
      blobFilesDeleted,
      ...(blobDeleteFailures > 0 ? { blobDeleteFailures, error: blobDeleteError } : {}),
    });
  };

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, intervalMs);
    timer.unref?.();
  };

  /** Start a run unless one is in progress; the next is scheduled when this one ends. */
  const run = (): Promise<void> => {
    if (running) return running;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    running = runOnce()
      .catch((e: unknown) => emit({ ok: false, error: errorName(e) }))
      .finally(() => {
        running = undefined;
        schedule();
      });
    return running;
  };

  void run();

  return {
    sweepNow: () => (stopped ? Promise.resolve() : run()),
    async stop() {
      stopped = true;
      if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
      await running;
    },
  };
}
