import { describe, expect, it } from 'vitest';
import { detectRisk, NO_RISK, normalise, RISK_CATEGORIES, RISK_THRESHOLD, riskLabel } from './risk.ts';
import { LEXICON } from './risk-lexicon.ts';

const terms = (text: string): string[] => detectRisk(text).matches.map((m) => m.term);

describe('detectRisk: categories', () => {
  it.each([
    ['I want to die', 'ideation'],
    ['I wrote a suicide note', 'plan'],
    ['I have been saving up my pills', 'means'],
    ["I'm going to kill myself tonight", 'intent'],
    ['I cut myself again', 'self-harm'],
    ['I want to hurt my baby', 'harm-to-others'],
  ] as const)('%j is flagged as %s', (text, category) => {
    const r = detectRisk(text);
    expect(r.flagged).toBe(true);
    expect(r.categories).toContain(category);
    expect(r.score).toBeGreaterThanOrEqual(RISK_THRESHOLD);
  });

  it('lists categories in the fixed order, once each, and matches by position', () => {
    const r = detectRisk("I'm going to hang myself. I wrote a suicide note. I want to die.");
    expect(r.categories).toEqual(RISK_CATEGORIES.filter((c) => r.categories.includes(c)));
    expect(new Set(r.categories).size).toBe(r.categories.length);
    expect(r.categories).toEqual(expect.arrayContaining(['ideation', 'plan', 'means', 'intent']));
    const starts = r.matches.map((m) => m.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it('an ordinary message is not flagged and lists nothing', () => {
    expect(detectRisk('See you on Tuesday, thanks for today')).toEqual(NO_RISK);
    expect(detectRisk('')).toEqual(NO_RISK);
    expect(detectRisk('   \n ')).toEqual(NO_RISK);
  });

  it('below the threshold it reports the score but lists nothing', () => {
    const r = detectRisk('We watched a documentary about suicide');
    expect(r.flagged).toBe(false);
    expect(r.score).toBeGreaterThan(0);
    expect(r.categories).toEqual([]);
    expect(r.matches).toEqual([]);
  });
});

describe('detectRisk: negation', () => {
  it.each([
    "I'm not going to hurt myself",
    'never would kill myself',
    "I don't want to die",
    "I'm not suicidal",
    'I have no intention of killing myself',
    "i wont hurt myself",
    'I would never ever hurt my baby',
  ])('%j is not flagged', (text) => {
    expect(detectRisk(text).flagged).toBe(false);
  });

  it('a negation does not reach past a clause or a new subject', () => {
    expect(detectRisk("I'm not okay. I want to die").flagged).toBe(true);
    expect(detectRisk("No, I want to die").flagged).toBe(true);
    expect(detectRisk("I'm not sleeping and I want to die").flagged).toBe(true);
  });

  it('a hedge is not a negation', () => {
    expect(detectRisk("I can't stop thinking about killing myself").flagged).toBe(true);
    expect(detectRisk("I don't want to live anymore").flagged).toBe(true);
    expect(detectRisk("I'm not sure, I think about suicide every day").flagged).toBe(true);
  });
});

describe('detectRisk: figurative use', () => {
  it.each([
    'this deadline is killing me',
    'I could murder a pizza',
    'dying to see it',
    'I want to die of embarrassment',
    'I could kill him for eating my leftovers',
    'I overdosed on Netflix this weekend',
    "I'd rather die than wear that",
    'If I hear that song one more time I will kill myself',
    'Mondays make me want to die lol',
    "I'll shoot him a text",
  ])('%j is not flagged', (text) => {
    expect(detectRisk(text).flagged).toBe(false);
  });

  it('a joke marker does not hide method or intent language', () => {
    expect(detectRisk("lol i'm going to hang myself tonight").flagged).toBe(true);
  });
});

describe('detectRisk: someone else, the distant past', () => {
  it('someone else’s words or state are not the writer’s', () => {
    expect(detectRisk('My sister told me she wanted to die').flagged).toBe(false);
    expect(detectRisk('How do I help a friend who is suicidal?').flagged).toBe(false);
    expect(detectRisk('In the movie he wants to kill himself').flagged).toBe(false);
  });

  it('the distant past is not flagged unless the message says it is back', () => {
    expect(detectRisk('I used to cut myself when I was a teenager').flagged).toBe(false);
    expect(detectRisk('I used to cut myself and last night I did it again').flagged).toBe(true);
    expect(detectRisk("I used to cut myself, I haven't done it again").flagged).toBe(false);
  });
});

describe('detectRisk: weighting', () => {
  it('method and means language weighs more than the bare word "suicide"', () => {
    const bare = detectRisk('suicide');
    const means = detectRisk('hang myself');
    expect(bare.flagged).toBe(false);
    expect(means.flagged).toBe(true);
    expect(means.score).toBeGreaterThan(bare.score);
    const weightOf = (category: string) => Math.max(...LEXICON.filter((e) => e.category === category && !e.supporting).map((e) => e.weight));
    const suicideEntry = LEXICON.find((e) => e.pattern.startsWith('(?:suicide|'));
    expect(suicideEntry?.weight).toBeLessThan(weightOf('means'));
    expect(suicideEntry?.weight).toBeLessThan(RISK_THRESHOLD);
  });

  it('a bare object counts only beside another entry', () => {
    expect(detectRisk('I picked up my pills from the pharmacy').flagged).toBe(false);
    const r = detectRisk('I want to die and I have the pills right here');
    expect(r.flagged).toBe(true);
    expect(r.categories).toEqual(['ideation', 'means']);
    expect(terms('I want to die and I have the pills right here')).toEqual(['want to die', 'pills']);
  });

  it('several categories add up', () => {
    expect(detectRisk("I'm going to kill myself, I've been saving up my pills").score).toBeGreaterThan(detectRisk('I want to kill myself').score);
  });
});

describe('detectRisk: spelling, case, punctuation', () => {
  it.each([
    'I WANT TO DIE',
    'i wanna die',
    'kms',
    'i want to unalive myself',
    'im gonna kms',
    'i dont want to live',
    'I don’t want to live',
    'i want to dieeee',
    'i want to k1ll mys3lf',
    'self-harm again',
    'kill   my-self!!!',
    'ｉ want to die',
    '𝐈 𝐰𝐚𝐧𝐭 𝐭𝐨 𝐝𝐢𝐞',
  ])('%j is flagged', (text) => {
    expect(detectRisk(text).flagged).toBe(true);
  });

  it('kys is harm-to-others', () => {
    expect(detectRisk('kys').categories).toEqual(['harm-to-others']);
  });
});

describe('detectRisk: offsets into the original text', () => {
  const check = (text: string): void => {
    const r = detectRisk(text);
    expect(r.flagged).toBe(true);
    for (const m of r.matches) {
      expect(m.term).toBe(text.slice(m.start, m.end));
      expect(m.start).toBeGreaterThanOrEqual(0);
      expect(m.end).toBeLessThanOrEqual(text.length);
    }
  };

  it('line up with the text as written, after emoji, accents and curly apostrophes', () => {
    const text = '😭😭 Café… honestly I’m going to kill myself';
    check(text);
    expect(terms(text)).toContain('I’m going to kill myself');
    const cafe = 'Cafe\u0301 I want to die';
    check(cafe);
    expect(terms(cafe)).toEqual(['want to die']);
  });

  it('cover combining marks and squeezed letters at a match’s end', () => {
    const text = 'I want to die\u0301eee now';
    check(text);
    expect(terms(text)).toEqual(['want to die\u0301eee']);
  });

  it('cover fullwidth and mathematical letters as written', () => {
    const text = 'ok ｋｉｌｌ ｍｙｓｅｌｆ';
    check(text);
    expect(terms(text)).toEqual(['ｋｉｌｌ ｍｙｓｅｌｆ']);
    const bold = '𝐈 𝐰𝐚𝐧𝐭 𝐭𝐨 𝐝𝐢𝐞';
    check(bold);
    expect(terms(bold)).toEqual(['𝐰𝐚𝐧𝐭 𝐭𝐨 𝐝𝐢𝐞']);
  });

  it('span a soft hyphen or a zero-width joiner hidden inside a word', () => {
    const text = 'I want to ki\u00ADll my\u200Dself';
    check(text);
    expect(terms(text)).toEqual(['ki\u00ADll my\u200Dself']);
  });

  it('normalise keeps one original range per normalised unit', () => {
    const n = normalise('I’M  Not—OK!!');
    expect(n.text).toBe('im not ok . ');
    expect(n.start.length).toBe(n.text.length);
    expect(n.end.length).toBe(n.text.length);
  });
});

describe('detectRisk: contract', () => {
  it('is pure: the same text gives the same result', () => {
    const text = 'I want to die. I have a plan to kill myself';
    expect(detectRisk(text)).toEqual(detectRisk(text));
  });

  it('refuses what is not a string with a TypeError', () => {
    expect(() => detectRisk(undefined as unknown as string)).toThrow(TypeError);
    expect(() => detectRisk(42 as unknown as string)).toThrow(/expected text to be a string, got number/);
  });

  it('every lexicon entry has a known category and a positive weight', () => {
    for (const e of LEXICON) {
      expect(RISK_CATEGORIES).toContain(e.category);
      expect(e.weight).toBeGreaterThan(0);
    }
  });

  it('labels categories in plain words', () => {
    expect(riskLabel(['plan', 'means'])).toBe('Risk language: plan, means');
    expect(riskLabel(['ideation', 'harm-to-others'])).toBe('Risk language: thoughts of dying, harm to others');
  });
});
