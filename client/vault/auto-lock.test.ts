// @vitest-environment node
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { startAutoLock } from './auto-lock.ts';
import { createVault } from './vault.ts';

/** A manual clock and timer queue: no wall-clock waits. */
function fakeTime() {
  let t = 0;
  let timers: { at: number; run: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => t,
    setTimer: (run: () => void, ms: number) => {
      const id = next++;
      timers.push({ at: t + ms, run, id });
      return id;
    },
    clearTimer: (id: unknown) => {
      timers = timers.filter((x) => x.id !== id);
    },
    /** Move the clock (timers do not fire: like a hidden, throttled page). */
    jump(ms: number) {
      t += ms;
    },
    advance(ms: number) {
      const end = t + ms;
      for (;;) {
        const due = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((x) => x !== due);
        t = due.at;
        due.run();
      }
      t = end;
    },
    pending: () => timers.length,
  };
}

let n = 0;
const vault = () => createVault('pw', { dbName: `auto-lock-${process.pid}-${++n}`, kdf: { algorithm: 'argon2id', m: 64, t: 1, p: 1 } });

describe('auto-lock', () => {
  it('locks after the idle time; activity pushes the deadline', async () => {
    const v = await vault();
    const time = fakeTime();
    const auto = startAutoLock(v, 1000, time);
    time.advance(900);
    auto.touch(); // deadline now 1900
    time.advance(900);
    expect(v.isUnlocked).toBe(true);
    time.advance(99);
    expect(v.isUnlocked).toBe(true);
    time.advance(1);
    expect(v.isUnlocked).toBe(false);
    expect(time.pending()).toBe(0);

    // Unlocking re-arms with a fresh deadline.
    await v.unlock('pw');
    time.advance(999);
    expect(v.isUnlocked).toBe(true);
    time.advance(1);
    expect(v.isUnlocked).toBe(false);
    auto.stop();
    v.close();
  });

  it('check() locks at once when the deadline passed while timers were throttled', async () => {
    const v = await vault();
    const time = fakeTime();
    const auto = startAutoLock(v, 1000, time);
    time.jump(5000);
    expect(v.isUnlocked).toBe(true);
    auto.check();
    expect(v.isUnlocked).toBe(false);
    auto.stop();
    v.close();
  });

  it('stop() leaves the vault unlocked and clears the timer; bad idle times are refused', async () => {
    const v = await vault();
    const time = fakeTime();
    const auto = startAutoLock(v, 1000, time);
    auto.stop();
    expect(time.pending()).toBe(0);
    time.advance(10_000);
    expect(v.isUnlocked).toBe(true);
    expect(() => startAutoLock(v, 0, time)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    v.close();
  });

  it('at the deadline, beforeLock runs with the vault still open and the lock follows it (issue 9 item 12)', async () => {
    const v = await vault();
    const time = fakeTime();
    let release!: () => void;
    const seen: boolean[] = [];
    const auto = startAutoLock(v, 1000, {
      ...time,
      beforeLock: () => {
        seen.push(v.isUnlocked);
        return new Promise<void>((r) => (release = r));
      },
    });
    time.advance(1000);
    expect(seen).toEqual([true]);
    // Saving (a draft) is under way: still open so the write can land.
    expect(v.isUnlocked).toBe(true);
    release();
    await Promise.resolve();
    await Promise.resolve();
    expect(v.isUnlocked).toBe(false);
    auto.stop();
    v.close();
  });

  it('a beforeLock that fails or never ends cannot keep the vault open', async () => {
    const v = await vault();
    const time = fakeTime();
    const auto = startAutoLock(v, 1000, { ...time, beforeLock: () => Promise.reject(new Error('write failed')) });
    time.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(v.isUnlocked).toBe(false);
    auto.stop();

    await v.unlock('pw');
    const hung = startAutoLock(v, 1000, { ...time, beforeLock: () => new Promise<void>(() => {}) });
    time.advance(1000);
    expect(v.isUnlocked).toBe(true);
    // Bounded: the lock happens after BEFORE_LOCK_MAX_MS at the latest.
    time.advance(2000);
    expect(v.isUnlocked).toBe(false);
    hung.stop();
    v.close();
  });

  it('check() on a page shown again locks at once, without waiting for beforeLock', async () => {
    const v = await vault();
    const time = fakeTime();
    let called = 0;
    const auto = startAutoLock(v, 1000, { ...time, beforeLock: () => ((called++), new Promise<void>(() => {})) });
    time.jump(5000);
    auto.check();
    expect(v.isUnlocked).toBe(false);
    expect(called).toBe(0);
    auto.stop();
    v.close();
  });
});
