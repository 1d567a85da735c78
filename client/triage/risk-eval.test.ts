/**
 * The detector measured on its labelled table (risk-examples.ts, tuned against; and
 * risk-examples-held-out.ts, written first and never tuned against): precision (of what it
 * flags, how much should be flagged) and recall (of what should be flagged, how much it flags),
 * printed, and held at or above what it reached when written (a regression floor: a change to the
 * lexicon that loses ground fails here). docs/FOR-THERAPISTS.md reports these numbers.
 */
import { describe, expect, it } from 'vitest';
import { detectRisk } from './risk.ts';
import type { RiskExample } from './risk-example.ts';
import { HELD_OUT } from './risk-examples-held-out.ts';
import { TUNING } from './risk-examples.ts';

interface Measure {
  readonly n: number;
  readonly positives: number;
  readonly precision: number;
  readonly recall: number;
  /** Of the flagged positives, how many list their labelled category. */
  readonly categoryRecall: number;
  readonly missed: readonly string[];
  readonly wronglyFlagged: readonly string[];
}

function measure(examples: readonly RiskExample[]): Measure {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let categoryHits = 0;
  const missed: string[] = [];
  const wronglyFlagged: string[] = [];
  for (const ex of examples) {
    const r = detectRisk(ex.text);
    if (r.flagged && ex.flagged) {
      tp++;
      if (ex.category && r.categories.includes(ex.category)) categoryHits++;
    } else if (r.flagged) {
      fp++;
      wronglyFlagged.push(ex.text);
    } else if (ex.flagged) {
      fn++;
      missed.push(ex.text);
    }
  }
  return {
    n: examples.length,
    positives: tp + fn,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    categoryRecall: categoryHits / tp,
    missed,
    wronglyFlagged,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const report = (name: string, m: Measure): string =>
  `${name}: ${m.n} examples (${m.positives} to flag): precision ${pct(m.precision)}, recall ${pct(m.recall)}, category listed ${pct(m.categoryRecall)}`;

/** What the detector reached when these floors were set (2026-12-03); raise them when it improves. */
const FLOORS = {
  all: { precision: 0.99, recall: 0.959 },
  heldOut: { precision: 0.962, recall: 0.852 },
  tuning: { precision: 1, recall: 1 },
  english: { precision: 0.989, recall: 0.955 },
};

describe('the risk detector on its labelled table', () => {
  const all = measure([...TUNING, ...HELD_OUT]);
  const heldOut = measure(HELD_OUT);
  const tuning = measure(TUNING);
  const english = measure([...TUNING, ...HELD_OUT].filter((e) => e.lang === undefined));
  const otherLanguages = measure([...TUNING, ...HELD_OUT].filter((e) => e.lang !== undefined));

  it('has at least 300 examples, with positives in every category and every tricky kind', () => {
    const examples = [...TUNING, ...HELD_OUT];
    expect(examples.length).toBeGreaterThanOrEqual(300);
    for (const c of ['ideation', 'plan', 'means', 'intent', 'self-harm', 'harm-to-others'] as const) {
      expect(examples.filter((e) => e.category === c).length, c).toBeGreaterThanOrEqual(10);
    }
    for (const k of ['negation', 'figurative', 'quoted', 'past', 'typo', 'lowercase', 'other-language'] as const) {
      expect(examples.filter((e) => e.kind === k).length, k).toBeGreaterThanOrEqual(5);
    }
    // Every text once: a duplicate would count twice (or sit in both parts).
    expect(new Set(examples.map((e) => e.text)).size).toBe(examples.length);
  });

  it('prints its precision and recall, and holds them at or above the floors', () => {
    console.log(
      [
        report('whole table', all),
        report('held out', heldOut),
        report('tuning', tuning),
        report('English only', english),
        report('other languages (stretch)', otherLanguages),
        `held out, missed: ${heldOut.missed.map((t) => JSON.stringify(t)).join('; ')}`,
        `held out, wrongly flagged: ${heldOut.wronglyFlagged.map((t) => JSON.stringify(t)).join('; ')}`,
      ].join('\n'),
    );
    for (const [name, m] of [['all', all], ['heldOut', heldOut], ['tuning', tuning], ['english', english]] as const) {
      expect(m.precision, `${name} precision`).toBeGreaterThanOrEqual(FLOORS[name].precision);
      expect(m.recall, `${name} recall`).toBeGreaterThanOrEqual(FLOORS[name].recall);
    }
  });
});
