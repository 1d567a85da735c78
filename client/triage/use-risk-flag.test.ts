import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_RISK, type RiskResult } from './risk.ts';
import { RISK_DEBOUNCE_MS, watchRisk } from './use-risk-flag.ts';

describe('watchRisk: the composer’s debounced detector', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('checks once typing pauses, with the text as it was last', () => {
    const heard: RiskResult[] = [];
    const w = watchRisk((r) => heard.push(r));
    w.update('I want');
    vi.advanceTimersByTime(RISK_DEBOUNCE_MS - 1);
    w.update('I want to');
    vi.advanceTimersByTime(RISK_DEBOUNCE_MS - 1);
    w.update('I want to die');
    expect(heard).toEqual([]);
    vi.advanceTimersByTime(RISK_DEBOUNCE_MS);
    expect(heard).toHaveLength(1);
    expect(heard[0]?.flagged).toBe(true);
    expect(heard[0]?.categories).toEqual(['ideation']);
  });

  it('an emptied draft clears the flag at once, and cancels a pending check', () => {
    const heard: RiskResult[] = [];
    const w = watchRisk((r) => heard.push(r));
    w.update('I want to die');
    w.update('  ');
    expect(heard).toEqual([NO_RISK]);
    vi.advanceTimersByTime(RISK_DEBOUNCE_MS * 2);
    expect(heard).toEqual([NO_RISK]);
  });

  it('stop cancels a pending check', () => {
    const heard: RiskResult[] = [];
    const w = watchRisk((r) => heard.push(r), 50);
    w.update('I want to die');
    w.stop();
    vi.advanceTimersByTime(100);
    expect(heard).toEqual([]);
  });
});
