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

/** `detectRisk(text)`, debounced: what the draft held when typing last paused. */
export function useRiskFlag(text: string, delayMs: number = RISK_DEBOUNCE_MS): RiskResult {
  const [result, setResult] = useState<RiskResult>(NO_RISK);
  useEffect(() => {
    if (text.trim().length === 0) {
      setResult(NO_RISK);
      return;
    }
    const timer = setTimeout(() => setResult(detectRisk(text)), delayMs);
    return () => clearTimeout(timer);
  }, [text, delayMs]);
  return result;
}
