/**
 * One labelled example of the detector's evaluation table (risk-examples.ts,
 * risk-examples-held-out.ts; risk-eval.test.ts): a message as a client might write it, whether
 * a therapist would want it flagged, and for a flagged one the category it is mainly about.
 *
 * The labels' rule: flagged when the writer speaks of their own wish to die, a plan, means,
 * intent, self-harm now or recently, or of hurting someone; not flagged when it is negated,
 * figurative, someone else's words or situation, or long past and over.
 * @module
 */
import type { RiskCategory } from './risk.ts';

export type ExampleKind = 'plain' | 'negation' | 'figurative' | 'quoted' | 'past' | 'typo' | 'lowercase' | 'other-language';

export interface RiskExample {
  readonly text: string;
  readonly flagged: boolean;
  /** A flagged example's main category (the detector should list it). */
  readonly category?: RiskCategory;
  readonly kind: ExampleKind;
  /** Another language than English (BCP 47). */
  readonly lang?: string;
}

/** A message that should be flagged, mainly about `category`. */
export const yes = (category: RiskCategory, text: string, kind: ExampleKind = 'plain', lang?: string): RiskExample => ({
  text,
  flagged: true,
  category,
  kind,
  ...(lang ? { lang } : {}),
});

/** A message that should not be flagged. */
export const no = (text: string, kind: ExampleKind = 'plain', lang?: string): RiskExample => ({ text, flagged: false, kind, ...(lang ? { lang } : {}) });
