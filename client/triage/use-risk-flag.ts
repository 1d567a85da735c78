/**
 * The risk-language flag of what someone is writing, for the composer (issue 11: the client's
 * composer shows the crisis lines first when a draft has risk language). The detector
 * (risk.ts) runs once typing pauses for `RISK_DEBOUNCE_MS`, not on every keystroke; an
 * emptied draft clears the flag at once. It runs on the device only and sends nothing.
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import { detectRisk, NO_RISK, type RiskResult } from './risk.ts';

/** How long typing must pause before the draft is checked again. */
export const RISK_DEBOUNCE_MS = 300;

/** A debounced detector: `update` with each new text; `onResult` hears the result once typing pauses. */
export interface RiskWatcher {
  update(text: string): void;
  /** Cancels a pending check (the composer went away). */
  stop(): void;
}

export function watchRisk(onResult: (r: RiskResult) => void, delayMs: number = RISK_DEBOUNCE_MS): RiskWatcher {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    update(text) {
      stop();
      if (text.trim().length === 0) return onResult(NO_RISK);
      timer = setTimeout(() => {
        timer = undefined;
        onResult(detectRisk(text));
      }, delayMs);
    },
    stop,
  };
}

/** `detectRisk(text)`, debounced: what the draft held when typing last paused. */
export function useRiskFlag(text: string, delayMs: number = RISK_DEBOUNCE_MS): RiskResult {
  const [result, setResult] = useState<RiskResult>(NO_RISK);
  useEffect(() => {
    const watcher = watchRisk(setResult, delayMs);
    watcher.update(text);
    return watcher.stop;
  }, [text, delayMs]);
  return result;
}
