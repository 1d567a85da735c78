/**
 * The on-device risk-language detector (issue 11): finds words about suicide, self-harm or
 * harming others in a message's text, so that a therapist sees a received message flagged,
 * with those words highlighted (client/views/message-text.tsx), and a client sees the crisis
 * lines while writing one (use-risk-flag.ts). It runs after decryption and before sending, on
 * the device: pure, synchronous, no network, no dependencies. It flags; it never decides,
 * blocks or reports anything, and nothing it finds leaves the device.
 *
 * How (the lexicon, its categories and weights: risk-lexicon.ts):
 * 1. Normalise (`normalise`): lower case, accents off, apostrophes out ("I'm" → `im`),
 *    punctuation to one space or a sentence/clause mark, repeated letters squeezed ("dieee"),
 *    digits inside words read as letters ("su1c1de"), laughing emoji read as "lol". Every
 *    normalised character keeps the range of the original it came from, so a match's `start`
 *    and `end` are UTF-16 offsets into the text as written, whatever Unicode normalisation did.
 * 2. Match every lexicon entry.
 * 3. Weigh each match in its clause and sentence:
 *    - negated (dropped): "not", "never", "don't", "won't"… up to four words before it, with
 *      only words that keep the negation in scope between ("I'm *not* going to hurt myself",
 *      "*never* would kill myself"), not a hedge ("not sure", "can't stop");
 *    - figurative (dropped): the entry's own `figurative` context ("want to die *of
 *      embarrassment*", "*could* kill him", "overdosed *on Netflix*");
 *    - a joke marker in the sentence or the next (lol, haha, 😂, jk) beside an entry often said
 *      in jest (`jest`: "want to die", "rather die"): × 0.5;
 *    - hyperbole ("if I have to sit through *one more* meeting"): × 0.25;
 *    - someone else's words or situation ("my friend *said*…", "in the movie", "a friend *who*
 *      is suicidal": the clause's nearest person is someone else and the match does not say
 *      "I", "me" or "my"): × 0.3;
 *    - the distant past ("*used to*", "*years ago*", "when I was a teen"), unless the message
 *      says it is back ("again", "relapsed", "lately"): × 0.3.
 * 4. Score: for each category the heaviest surviving match, summed (a `supporting` entry only
 *    beside one that is not). Flagged when the score reaches `RISK_THRESHOLD`.
 *
 * Measured on the labelled table (risk-examples.ts, risk-eval.test.ts; docs/FOR-THERAPISTS.md).
 * Does not: understand meaning, irony or context beyond the sentence; it misses what it has no
 * words for, and it is not a risk assessment.
 * @module
 */
import { LEXICON, WORDS, type LexiconEntry } from './risk-lexicon.ts';

export type RiskCategory = 'ideation' | 'plan' | 'means' | 'intent' | 'self-harm' | 'harm-to-others';

/** Every category, in the order labels list them. */
export const RISK_CATEGORIES: readonly RiskCategory[] = ['ideation', 'plan', 'means', 'intent', 'self-harm', 'harm-to-others'];

/** One matched phrase: `start`/`end` are UTF-16 offsets into the original text, `term` is `text.slice(start, end)`. */
export interface RiskMatch {
  readonly start: number;
  readonly end: number;
  readonly category: RiskCategory;
  readonly term: string;
}

/**
 * What the detector found. `score` is the summed weight (risk-lexicon.ts); `flagged` when it
 * reaches `RISK_THRESHOLD`. `categories` (in `RISK_CATEGORIES` order) and `matches` (by
 * position) list what made it flagged, and are empty when it is not.
 */
export interface RiskResult {
  readonly flagged: boolean;
  readonly score: number;
  readonly categories: readonly RiskCategory[];
  readonly matches: readonly RiskMatch[];
}

/** The score that flags a message: one plain ideation phrase ("I want to die") is 1. */
export const RISK_THRESHOLD = 1;

/** Nothing found. */
export const NO_RISK: RiskResult = Object.freeze({ flagged: false, score: 0, categories: Object.freeze([]), matches: Object.freeze([]) });

/** A category as people read it. */
export const CATEGORY_NAMES: Readonly<Record<RiskCategory, string>> = {
  ideation: 'thoughts of dying',
  plan: 'plan',
  means: 'means',
  intent: 'intent',
  'self-harm': 'self-harm',
  'harm-to-others': 'harm to others',
};

/** The label beside a flagged message: "Risk language: plan, means". */
export const riskLabel = (categories: readonly RiskCategory[]): string => `Risk language: ${categories.map((c) => CATEGORY_NAMES[c]).join(', ')}`;

// ── normalising, with offsets back into the original ─────────────────────────────────────────

/** Normalised text; `start[i]`/`end[i]` is the original range its UTF-16 unit `i` came from. */
export interface Normalised {
  readonly text: string;
  readonly start: readonly number[];
  readonly end: readonly number[];
}

const APOSTROPHES = /^['\u2018\u2019\u02BC`\u00B4\u2032]$/u;
const INVISIBLE = /^[\p{M}\p{Cf}\uFE00-\uFE0F]$/u;
const LAUGHING = /^[\u{1F602}\u{1F923}\u{1F606}\u{1F639}\u{1F480}\u{1F605}]$/u;
const WORD_CHAR = /^[\p{L}\p{N}]$/u;
const SENTENCE_END = /^[.!?\u2026\n\r\u3002\uFF01\uFF1F]$/u;
const CLAUSE_BREAK = /^[,;:\u060C\uFF0C]$/u;
const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a' };

/** The text the lexicon is matched against (see risk-lexicon.ts for its rules). */
export function normalise(input: string): Normalised {
  const out: string[] = [];
  const start: number[] = [];
  const end: number[] = [];
  const push = (s: string, a: number, b: number): void => {
    for (let k = 0; k < s.length; k++) out.push(s[k]!), start.push(a), end.push(b);
  };
  const space = (a: number, b: number): void => {
    if (out.length > 0 && out[out.length - 1] !== ' ') push(' ', a, b);
  };
  const mark = (m: '.' | ',', a: number, b: number): void => {
    const n = out.length;
    if (n >= 2 && out[n - 1] === ' ' && (out[n - 2] === '.' || out[n - 2] === ',')) {
      if (m === '.') out[n - 2] = '.';
      return;
    }
    space(a, b);
    push(m, a, b);
    push(' ', a, b);
  };
  for (let i = 0; i < input.length; ) {
    const ch = String.fromCodePoint(input.codePointAt(i)!);
    const a = i;
    const b = (i += ch.length);
    if (APOSTROPHES.test(ch)) continue;
    if (INVISIBLE.test(ch)) {
      // A combining mark or joiner belongs to the letter before it (highlight it too).
      if (out.length > 0 && out[out.length - 1] !== ' ') end[end.length - 1] = b;
      continue;
    }
    if (WORD_CHAR.test(ch)) push(ch.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, ''), a, b);
    else if (LAUGHING.test(ch)) space(a, b), push('lol', a, b), space(a, b);
    else if (SENTENCE_END.test(ch)) mark('.', a, b);
    else if (CLAUSE_BREAK.test(ch)) mark(',', a, b);
    else space(a, b);
  }
  // Digits inside words as the letters they imitate ("su1c1de"); then runs of 3+ letters as one ("dieeee").
  const isLetter = (c: string | undefined): boolean => c !== undefined && c !== ' ' && c !== '.' && c !== ',' && !/\d/.test(c);
  for (let k = 1; k < out.length - 1; k++) {
    const leet = LEET[out[k]!];
    if (leet && isLetter(out[k - 1]) && isLetter(out[k + 1])) out[k] = leet;
  }
  const text: string[] = [];
  const s2: number[] = [];
  const e2: number[] = [];
  for (let k = 0; k < out.length; k++) {
    const c = out[k]!;
    const n = text.length;
    if (isLetter(c) && n >= 1 && text[n - 1] === c && out[k + 1] === c) {
      // Third of a run: squeeze the run into its first letter, which now covers it all.
      let j = k;
      while (out[j] === c) j++;
      if (n >= 1) e2[n - 1] = end[j - 1]!;
      k = j - 1;
      continue;
    }
    text.push(c), s2.push(start[k]!), e2.push(end[k]!);
  }
  return { text: text.join(''), start: s2, end: e2 };
}

// ── the lexicon, compiled once ───────────────────────────────────────────────────────────────

const expand = (source: string): string => {
  let s = source;
  for (let depth = 0; depth < 4 && s.includes('<'); depth++) s = s.replace(/<([a-z]+)>/g, (all, name: string) => WORDS[name] ?? all);
  return s;
};

interface Compiled {
  readonly entry: LexiconEntry;
  readonly re: RegExp;
  readonly after?: RegExp;
  readonly before?: RegExp;
}

const COMPILED: readonly Compiled[] = LEXICON.map((entry) => ({
  entry,
  re: new RegExp(`(?<![\\p{L}\\p{N}])(?:${expand(entry.pattern)})(?![\\p{L}\\p{N}])`, 'gu'),
  ...(entry.figurative?.after ? { after: new RegExp(expand(entry.figurative.after), 'u') } : {}),
  ...(entry.figurative?.before ? { before: new RegExp(expand(entry.figurative.before), 'u') } : {}),
}));

// ── context: negation, jokes, hyperbole, other people's words, the distant past ──────────────

const NEGATORS = new Set([
  'not', 'no', 'never', 'dont', 'doesnt', 'didnt', 'wont', 'wouldnt', 'couldnt', 'cant', 'cannot', 'isnt', 'arent', 'wasnt', 'werent',
  'havent', 'hasnt', 'hadnt', 'shouldnt', 'neither', 'nor', 'nunca', 'jamas', 'jamais', 'nicht', 'nie', 'niemals', 'nao', 'non', 'mai',
]);
/** A negator followed by one of these is a hedge, not a negation ("not sure", "can't stop", "no one"). */
const HEDGES = new Set(['sure', 'certain', 'know', 'stop', 'help', 'only', 'just', 'matter', 'one', 'body', 'point', 'reason', 'way']);
/** Words that may stand between a negator and what it negates ("not *going to* hurt myself"). */
const IN_SCOPE = new Set([
  'i', 'im', 'am', 'is', 'are', 'was', 'be', 'been', 'going', 'gonna', 'to', 'would', 'will', 'ever', 'even', 'really', 'actually',
  'honestly', 'seriously', 'just', 'try', 'trying', 'want', 'wanna', 'plan', 'planning', 'intend', 'intending', 'think', 'thinking',
  'about', 'of', 'feel', 'feeling', 'like', 'have', 'has', 'had', 'any', 'the', 'a', 'an', 'urge', 'urges', 'intention', 'intentions',
  'desire', 'thoughts', 'plans', 'do', 'did', 'again', 'ever', 'id', 'ive', 'ill', 'could', 'should', 'gonna', 'go', 'anymore', 'myself',
  'so', 'never', 'longer', 'once', 'at', 'all', 'yet', 'imagine', 'see', 'ever', 'quiero', 'je', 'veux', 'ich', 'will', 'eu', 'quero', 'voglio', 'me', 'mi',
]);
/** Words that open a new clause: a negation or a reported speaker before them does not reach past. */
const CLAUSE_WORDS = new Set(['but', 'though', 'although', 'however', 'except', 'yet', 'and', 'so', 'because', 'cause', 'cuz', 'bc']);

const JOKE = /(?<![\p{L}\p{N}])(?:lol|lo+l|lmao|lmfao|rofl|ha(?:ha)+h?|he(?:he)+|jk|j k|just kidding|kidding|joking|jokes)(?![\p{L}\p{N}])/u;
const HYPERBOLE =
  /(?<![\p{L}\p{N}])(?:if i (?:have|had|need|got) to (?:\p{L}+ ){0,4}?(?:one more|another|again)|if i (?:hear|see|get|read|watch|have to \p{L}+) (?:\p{L}+ ){0,3}?(?:one more|another|again)|one more (?:\p{L}+ )?(?:meeting|email|call|zoom|exam|assignment|spreadsheet|report|episode|minute|day of this|lecture|shift)|if (?:you|u|he|she|they|my \p{L}+) (?:spoil|spoils|eat|eats|ate|forget|forgets|forgot|steal|steals|stole|borrow|borrows|borrowed|finish|finishes|finished|drink|drinks|drank|use|uses|used) (?:my|the|one|another|it|that))(?![\p{L}\p{N}])/u;
const REPORTED =
  /(?<![\p{L}\p{N}])(?:(?:he|she|they|someone|somebody|people|my \p{L}+|a (?:friend|kid|girl|guy|boy|student|coworker|colleague|classmate)|the (?:guy|girl|kid|man|woman|character|narrator|singer|song|lyrics?|movie|film|book|show|article|news)) (?:said|says|say|goes|went|told me|tells me|wrote|writes|texted|texts|posted|posts|screamed|yelled|asked|asks|keeps saying|kept saying|was saying|is saying|sang|sings)|(?:in|from) (?:the|a|this|that) (?:movie|song|book|show|film|novel|article|episode|series|documentary|podcast|lyrics?|game|play|poem)|(?:heard|read) (?:someone|somebody|a \p{L}+|people) (?:say|said|saying))(?![\p{L}\p{N}])/u;
/** Who the clause is about: the nearest of these before a match that does not itself say "I", "me" or "my". */
const THIRD_PERSON = new Set([
  'he', 'she', 'they', 'hes', 'shes', 'theyre', 'hed', 'shed', 'theyd', 'theyve', 'someone', 'somebody', 'people', 'whoever', 'who',
  'friend', 'sister', 'brother', 'mom', 'mum', 'dad', 'mother', 'father', 'son', 'daughter', 'cousin', 'partner', 'husband', 'wife',
  'boyfriend', 'girlfriend', 'kid', 'child', 'patient', 'client', 'character', 'person', 'classmate', 'coworker', 'colleague',
]);
const FIRST_PERSON = new Set(['i', 'im', 'ive', 'id', 'ill', 'me', 'my', 'myself', 'we', 'us']);
const SAYS_I = /(?<![\p{L}\p{N}])(?:i|im|ive|id|ill|me|my|mine|my ?self|my ?slef|mysef|myslf)(?![\p{L}\p{N}])/u;
const REMOTE_PAST =
  /(?<![\p{L}\p{N}])(?:used to|years ago|a long time ago|long ago|ages ago|when i was (?:younger|a kid|a child|a teen|a teenager|little|in (?:high |middle )?school|at school|at uni|in college|\d+)|as a (?:teen|teenager|kid|child)|in (?:high|middle) school|back in (?:high school|school|college|uni|the day|\d+)|in the past|back then|(?:years|months) (?:clean|free))(?![\p{L}\p{N}])/u;
const BACK_AGAIN = /(?<![\p{L}\p{N}])(?<!(?:havent|have not|never|didnt|not|dont|wont|hasnt) (?:\p{L}+ ){0,3})(?:again|relapsed?|relapsing|lately|recently|these days|this week|last night|started back)(?![\p{L}\p{N}])/u;

interface Span {
  readonly from: number;
  readonly to: number;
}

/** The sentence (between `.` marks) around [s, e). */
const sentenceOf = (t: string, s: number, e: number): Span => {
  const from = t.lastIndexOf('.', s - 1) + 1;
  const dot = t.indexOf('.', e);
  return { from, to: dot < 0 ? t.length : dot };
};

/** The words of the clause before `s`, nearest last. */
const clauseWordsBefore = (t: string, s: number): string[] => {
  const from = Math.max(t.lastIndexOf('.', s - 1), t.lastIndexOf(',', s - 1)) + 1;
  const words = t.slice(from, s).split(' ').filter((w) => w.length > 0);
  let k = words.length;
  while (k > 0 && !CLAUSE_WORDS.has(words[k - 1]!)) k--;
  return words.slice(k);
};

const negated = (before: readonly string[]): boolean => {
  for (let k = before.length - 1, seen = 0; k >= 0 && seen <= 4; k--, seen++) {
    const w = before[k]!;
    if (NEGATORS.has(w)) {
      const next = before[k + 1];
      return !(next !== undefined && HEDGES.has(next));
    }
    if (!IN_SCOPE.has(w)) return false;
  }
  return false;
};

/** The clause's nearest person before a match is someone else ("a friend who is suicidal"). */
const aboutSomeoneElse = (before: readonly string[]): boolean => {
  for (let k = before.length - 1; k >= 0; k--) {
    if (FIRST_PERSON.has(before[k]!)) return false;
    if (THIRD_PERSON.has(before[k]!)) return true;
  }
  return false;
};

/** The multiplier of a match's weight from its surroundings (0: it does not count). */
function contextWeight(t: string, c: Compiled, s: number, e: number, backAgain: boolean): number {
  const before = clauseWordsBefore(t, s);
  if (negated(before)) return 0;
  if (c.after?.test(t.slice(e))) return 0;
  if (c.before?.test(t.slice(0, s).trimEnd())) return 0;
  let w = 1;
  const sentence = sentenceOf(t, s, e);
  const next = sentence.to < t.length ? sentenceOf(t, sentence.to + 1, sentence.to + 1) : sentence;
  const around = t.slice(sentence.from, next.to);
  if (c.entry.jest && JOKE.test(around)) w *= 0.5;
  if (HYPERBOLE.test(t.slice(sentence.from, sentence.to))) w *= 0.25;
  if (REPORTED.test(before.join(' ')) || (!SAYS_I.test(t.slice(s, e)) && aboutSomeoneElse(before))) w *= 0.3;
  if (!backAgain && REMOTE_PAST.test(t.slice(sentence.from, sentence.to))) w *= 0.3;
  return w;
}

// ── detecting ────────────────────────────────────────────────────────────────────────────────

interface Found {
  readonly s: number;
  readonly e: number;
  readonly category: RiskCategory;
  readonly weight: number;
  readonly supporting: boolean;
}

/** Score below which a surviving match is left out of what a flagged result lists. */
const LISTED = 0.25;

/** What risk language `text` holds (see the module comment). Pure: the same text, the same result. */
export function detectRisk(text: string): RiskResult {
  if (typeof text !== 'string') throw new TypeError(`detectRisk: expected text to be a string, got ${typeof text}`);
  const n = normalise(text);
  const t = n.text;
  if (t.trim().length === 0) return NO_RISK;
  const backAgain = BACK_AGAIN.test(t);
  const found: Found[] = [];
  for (const c of COMPILED) {
    c.re.lastIndex = 0;
    for (let m = c.re.exec(t); m !== null; m = c.re.exec(t)) {
      if (m[0].length === 0) {
        c.re.lastIndex++;
        continue;
      }
      const s = m.index;
      const e = s + m[0].length;
      const weight = c.entry.weight * contextWeight(t, c, s, e, backAgain);
      if (weight > 0) found.push({ s, e, category: c.entry.category, weight, supporting: c.entry.supporting === true });
    }
  }
  const anchored = found.some((f) => !f.supporting && f.weight >= 0.5);
  const counted = found.filter((f) => anchored || !f.supporting);
  const best = new Map<RiskCategory, number>();
  for (const f of counted) best.set(f.category, Math.max(best.get(f.category) ?? 0, f.weight));
  let score = 0;
  for (const w of best.values()) score += w;
  score = Math.round(score * 100) / 100;
  if (score < RISK_THRESHOLD) return score === 0 ? NO_RISK : { ...NO_RISK, score };
  const listed = dedupe(counted.filter((f) => f.weight >= LISTED));
  const matches: RiskMatch[] = listed.map((f) => {
    const start = n.start[f.s]!;
    const end = n.end[f.e - 1]!;
    return { start, end, category: f.category, term: text.slice(start, end) };
  });
  const present = new Set(listed.map((f) => f.category));
  return { flagged: true, score, categories: RISK_CATEGORIES.filter((c) => present.has(c)), matches };
}

/** By position; of two overlapping matches in one category, the heavier (then the longer) one. */
function dedupe(found: readonly Found[]): Found[] {
  const sorted = [...found].sort((x, y) => y.weight - x.weight || y.e - y.s - (x.e - x.s));
  const kept: Found[] = [];
  for (const f of sorted) if (!kept.some((k) => k.category === f.category && k.s < f.e && f.s < k.e)) kept.push(f);
  return kept.sort((x, y) => x.s - y.s || x.e - y.e);
}
