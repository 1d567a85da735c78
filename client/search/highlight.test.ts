import { describe, expect, it } from 'vitest';
import { highlight } from './highlight.ts';
import { processTerm, tokenize } from './terms.ts';

const marked = (text: string, terms: string[]): string =>
  highlight(text, terms)
    .map((p) => (p.match ? `[${p.text}]` : p.text))
    .join('');

describe('terms', () => {
  it('splits on space and punctuation, folds case, accents and compatibility forms', () => {
    expect(tokenize("I'm fine, really—fine.\nOK?")).toEqual(['I', 'm', 'fine', 'really', 'fine', 'OK']);
    expect(['Café', 'ÉCOLE', 'ﬁne', 'Ｆｕｌｌ'].map(processTerm)).toEqual(['cafe', 'ecole', 'fine', 'full']);
    expect(processTerm('नमस्ते')).toBe('नमस्ते'.normalize('NFKD')); // other scripts' marks kept
  });
});

describe('highlight', () => {
  it('marks every word whose term matched, leaving the rest as it was', () => {
    expect(marked('Anxious, then less anxious. Café?', ['anxious', 'cafe'])).toBe('[Anxious], then less [anxious]. [Café]?');
    expect(marked('nothing here', ['absent'])).toBe('nothing here');
  });

  it('shortens a long text to an excerpt around the first match', () => {
    const text = `${'word '.repeat(100)}the lighthouse at night ${'more '.repeat(100)}`;
    const out = marked(text, ['lighthouse']);
    expect(out.startsWith('…word')).toBe(true);
    expect(out).toContain('[lighthouse]');
    expect(out.endsWith('…')).toBe(true);
    expect(out.length).toBeLessThan(260);
  });

  it('keeps direction controls and markup-like text as plain characters', () => {
    const text = '<b>hi</b> \u202Eevil';
    expect(highlight(text, ['hi']).map((p) => p.text).join('')).toBe(text);
  });
});
