/**
 * The risk-language lexicon read by the on-device detector (risk.ts): data only, no logic.
 *
 * Each entry is a regular-expression source over the detector's normalised text (risk.ts
 * `normalise`): lower case, accents and other marks removed, apostrophes removed ("don't" is
 * `dont`, "I'm" is `im`, "I'll" is `ill`), every other run of punctuation or space one space,
 * except that `.` stands for the end of a sentence (. ! ? … or a new line) and `,` for a clause
 * break (, ; :), so no entry can match across them. A word of three or more repeated letters is
 * one letter ("dieee" is `die`), and a digit inside a word is the letter it imitates
 * ("su1c1de"). `<name>` in a source expands to the word class of that name (WORDS below).
 *
 * Categories, and why each weighs what it does (the detector flags a message whose categories'
 * heaviest entries add up to 1, risk.ts `RISK_THRESHOLD`):
 *   ideation        a wish to die or not to exist ("I want to die", "better off dead",
 *                   "kms"): 1. The bare word "suicide" is 0.6, "suicidal" 1.2: "suicide" alone
 *                   is as often talk about a film, a friend or a statistic.
 *   plan            preparation ("wrote a suicide note", "I know how I'd do it", "looked up
 *                   how many pills"): 1.5.
 *   means           a method or access to one ("hang myself", "saving up my pills", "jump off
 *                   the bridge"): 2. Method and means language predicts an attempt better than
 *                   the word "suicide" does, so it weighs most. A bare object ("pills", "rope",
 *                   "gun") is `supporting`: 0.5, counted only beside another entry.
 *   intent          a decision or a time ("I'm going to kill myself", "tonight is the night",
 *                   "by the time you read this"), and attempts ("tried to kill myself"): 2.
 *   self-harm       hurting oneself without a wish to die ("cut myself", "urge to cut",
 *                   "self harm"): 1.2.
 *   harm-to-others  a wish or plan to hurt someone ("I want to kill him", "hurt my baby"), and
 *                   telling someone to die ("kys"): 1 to 1.5.
 *
 * `figurative` names what, right after (`after`) or right before (`before`) a match, makes it
 * a figure of speech ("want to die *of embarrassment*", "*could* kill him", "overdosed *on
 * Netflix*"); the detector also knows sentence-wide cues (risk.ts). Entries marked `lang` are
 * the most common forms in another language, a stretch: far from complete.
 * @module
 */
import type { RiskCategory } from './risk.ts';

export interface LexiconEntry {
  readonly category: RiskCategory;
  readonly weight: number;
  /** A regular-expression source over normalised text; `<name>` expands a word class. */
  readonly pattern: string;
  /** Counts only when an entry that is not `supporting` counts in the same message. */
  readonly supporting?: true;
  /** What next to a match makes it figurative: sources matched at the text right after it / right before it. */
  readonly figurative?: { readonly after?: string; readonly before?: string };
  /** Often said in jest ("Mondays make me want to die lol"): a joke marker beside it halves it. */
  readonly jest?: true;
  /** Another language's entry (BCP 47); absent: English. */
  readonly lang?: string;
}

/** Word classes, each a regular-expression source with common misspellings. */
export const WORDS: Readonly<Record<string, string>> = {
  myself: '(?:my ?self|my ?slef|mysef|myslf|myelf|mself|meself|myselv|mysel)',
  kill: '(?:kill|kil|kll)',
  killing: '(?:killing|kiling|killin|kilin)',
  // "want to", as typed.
  wantto: '(?:want to|wanna|wana|want too|wan to|wnat to|wnt to|want ta|wantto|wanted to|would like to|i ?d like to|id like to|want to just|wanna just|just want to)',
  // "I'm going to" and "I will", as typed (after "I", "I'm" or alone).
  goingto: '(?:im going to|i am going to|im gonna|im gunna|im gona|im goin to|i m going to|going to|gonna|gunna|gona|goin to|ill|i ll|i will|i shall|imma|ima|im about to|i am about to|about to)',
  // Killing oneself, every way it is said.
  selfkill:
    '(?:<kill> <myself>|<killing> <myself>|killed <myself>|unalive <myself>|unalive|un alive <myself>|kms|end my (?:own )?life|end it all|end everything|take my (?:own )?life|off <myself>|top <myself>|do <myself> in|commit suicide|comit suicide|commit sucide|sewer slide)',
  pills: '(?:pills?|tablets?|meds|medication|medications|medicine|painkillers|sleeping pills|paracetamol|tylenol|acetaminophen|ibuprofen|insulin|antidepressants|xanax|benzos?|oxy|oxycodone|opioids|lithium)',
  anymore: '(?:anymore|any more|any longer|no more)',
  victim:
    '(?:him|her|them|you|u|someone|somebody|anyone|anybody|people|everyone|everybody|my (?:boss|husband|wife|partner|ex|dad|father|mom|mum|mother|brother|sister|son|daughter|kids?|children|child|baby|neighbou?r|roommate|flatmate|coworker|colleague|teacher|boyfriend|girlfriend|family|stepdad|stepmom|parents)|the (?:baby|kids|children|child|neighbou?rs?|boss))',
};

/** What after a harm word means it is not about harming a person ("hurt her feelings", "shoot him a text"). */
const NOT_HARM_AFTER = '^ (?:feelings|chances|career|reputation|a (?:text|message|email|msg|line|note|dm)|an email|with kindness|at (?:chess|poker|cards|tennis|pool|games?|mario kart)|in (?:a|the) (?:race|game|match))';

export const LEXICON: readonly LexiconEntry[] = [
  // ── ideation ──────────────────────────────────────────────────────────────────────────────
  { category: 'ideation', weight: 0.6, pattern: '(?:suicide|suicde|sucide|suiside|suicid|suacide|suiscide|self deletion)' },
  { category: 'ideation', weight: 1.2, pattern: '(?:suicidal|suicidle|sucidal|suicdal|suisidal)' },
  { category: 'ideation', weight: 1, pattern: '<selfkill>' },
  {
    category: 'ideation',
    weight: 1,
    pattern: '<wantto> (?:die|dye|be dead|not exist|not be here|stop existing|disappear forever|sleep forever|go to sleep and never wake up|never wake up|not wake up|be gone)',
    figurative: { after: '^ (?:of|from|with) (?:embarrassment|laughter|shame|cringe|boredom)|^ (?:laughing|lol)|^ (?:my|her|his|the|it|them) (?:hair|beard|clothes|shirt|jeans|fabric|eyebrows)' },
    jest: true,
  },
  { category: 'ideation', weight: 1, pattern: '(?:thoughts?|thinking|thought|think|thinkin|fantasi[sz]e|fantasi[sz]ing|dream|dreaming|daydream|daydreaming) (?:about|of) (?:suicide|dying|death|being dead|<killing> <myself>|ending (?:it|it all|my life|things|everything)|taking my (?:own )?life|not being (?:here|alive)|not existing)' },
  {
    category: 'ideation',
    weight: 1,
    pattern: 'wish (?:i (?:was|were|had) (?:dead|never been born|not been born|never born)|i (?:could|would) (?:just )?(?:die|disappear|stop existing)|i (?:didnt|did not|wouldnt|would not|wont|will not) wake up|i (?:wasnt|was not|werent) (?:here|alive)|i could (?:just )?not exist)',
  },
  { category: 'ideation', weight: 1, pattern: '(?:better off (?:dead|without me)|(?:would|d) be better (?:off )?without me)' },
  { category: 'ideation', weight: 1, pattern: '(?:dont|do not|dont really|no longer|dont even|didnt|did not) (?:want|wanna|wish) (?:to )?(?:live|be alive|be here|exist|wake up|be around|go on|keep living|keep going)' },
  {
    category: 'ideation',
    weight: 1,
    pattern:
      '(?:(?:no|nothing|not a single|not one) (?:reason|point|purpose) (?:to|in|of|for) (?:live|living|life|go on|going on|being alive|being here|carry on|carrying on|keep going|stay alive|staying alive)|nothing (?:left )?to live for|(?:whats|what is|wheres|where is) the point (?:of|in) (?:living|life|going on|being alive)|life (?:isnt|is not|aint|is no longer) worth (?:living|it)|not worth living)',
  },
  { category: 'ideation', weight: 1, pattern: '(?:cant|cannot|can not) (?:go on|keep living|live like this|live with this|keep going like this)' },
  { category: 'ideation', weight: 0.6, pattern: '(?:cant|cannot|can not) (?:do this|take (?:it|this|much more)|cope) <anymore>' },
  { category: 'ideation', weight: 1, pattern: '(?:dont|do not) think i can (?:go on|keep going|keep living|do this <anymore>|take (?:it|this) <anymore>)' },
  { category: 'ideation', weight: 1, pattern: '(?:tired|sick|exhausted) of (?:living|being alive|life|existing|being here)' },
  { category: 'ideation', weight: 1, pattern: '(?:no one|nobody|noone|no body) (?:would|will|d) (?:miss|notice|care) (?:me )?(?:if|when) (?:i|im) (?:died|was gone|were gone|disappeared|dead|gone)' },
  { category: 'ideation', weight: 1, pattern: '(?:(?:im|i am|i feel like|i feel|feel like) (?:just |such )?a burden|a burden (?:to|on) (?:everyone|everybody|my family|my friends|you|them|others))' },
  { category: 'ideation', weight: 1, pattern: '(?:hope|hoping|praying) (?:i )?(?:dont|do not|never|wont|will not) wake up' },
  { category: 'ideation', weight: 1, pattern: '(?:want|wish|wanted|need) (?:it all|everything|this|my life|life) to (?:end|be over|stop)' },
  { category: 'ideation', weight: 0.6, pattern: '(?:the only way out|no way out|want the pain to (?:stop|end))' },
  {
    category: 'ideation',
    weight: 1,
    pattern: '(?:i ?d|id|i would|would) rather (?:be dead|die|not be alive|not exist|not wake up)',
    jest: true,
    figurative: { after: '^ than (?!(?:keep|keeping|go|going|live|living|continue|continuing|feel|feeling|be|deal|dealing|face|facing|wake|spend)\\b)' },
  },
  { category: 'ideation', weight: 1, pattern: 'death (?:would be|is|feels like|seems like) (?:a )?(?:relief|better|the (?:only )?(?:answer|way out|solution|option))' },

  // ── plan ──────────────────────────────────────────────────────────────────────────────────
  { category: 'plan', weight: 1.5, pattern: '(?:suicide|goodbye|farewell) (?:note|notes|letter|letters|video)' },
  {
    category: 'plan',
    weight: 1.5,
    pattern: '(?:have|got|made|making|make|worked out|figured out|came up with) (?:a |the |my )?plans? (?:to|for|for how to|of how to|on how to) (?:<selfkill>|<kill> <myself>|die|end (?:it|things|everything|my life))',
  },
  { category: 'plan', weight: 1.5, pattern: '(?:know|knew|decided|figured out|worked out|planned|planning|picked|chosen|chose) (?:exactly )?(?:how|when|where) (?:i would|i d|id|ill|i ll|i will|im going to|im gonna|to|i) (?:do it|<selfkill>|<kill> <myself>|end it|die)' },
  { category: 'plan', weight: 1.5, pattern: '(?:looked up|looking up|look up|googled|googling|researched|researching|searched|searching|read about|reading about) (?:how|ways|methods?|the (?:best|easiest|quickest|fastest|least painful) (?:way|method)|painless ways?) (?:to )?(?:<selfkill>|<kill> <myself>|die|end it|overdose|od|hang <myself>|commit)' },
  { category: 'plan', weight: 1.5, pattern: 'how (?:many|much) (?:<pills>|of (?:my|these|the|those) <pills>) (?:it )?(?:would )?(?:it take|would it take|does it take|to take|it would take|is (?:a )?(?:lethal|fatal|deadly)|to die|to overdose|to od)' },
  { category: 'plan', weight: 1.5, pattern: '(?:lethal|fatal|deadly) (?:dose|amount|overdose)|how to tie a noose' },
  { category: 'plan', weight: 1.2, pattern: '(?:said|saying|say) my goodbyes|(?:said|saying|say) goodbyes? to (?:everyone|everybody|my family|all my friends|the world)' },
  { category: 'plan', weight: 0.8, pattern: '(?:giv(?:e|ing|en)|gave) away (?:all )?(?:my|all my|of my) (?:stuff|things|belongings|possessions|cat|dog|pets?|clothes|books)', supporting: true },
  { category: 'plan', weight: 0.6, pattern: '(?:updated|wrote|made|making|finished|written|writing) my will', supporting: true },

  // ── means ─────────────────────────────────────────────────────────────────────────────────
  { category: 'means', weight: 2, pattern: '(?:hang|hanging|hanged|hung) <myself>|(?:a |the |my )?noose|tie (?:a|the) rope|rope (?:around|round) my neck' },
  { category: 'means', weight: 2, pattern: '(?:overdose|overdosing|overdosed|take an od|od on|oding)', figurative: { after: '^ on (?!(?:my |the |those |these |some |all )?<pills>)' } },
  { category: 'means', weight: 2, pattern: '(?:<wantto>|<goingto>|(?:thinking|thought|thoughts) (?:about|of)) (?:od|o d|overdose)' },
  { category: 'means', weight: 2, pattern: '(?:whole|entire|full) (?:bottle|box|pack|packet|strip|packets|bottles|months supply|month supply|months worth) of (?:<pills>|pills)' },
  { category: 'means', weight: 2, pattern: '(?:take|taking|took|swallow|swallowing|swallowed|down|downing|downed) (?:all|every one) (?:of )?(?:my |the |these |those )?<pills> (?:at once|in one go|together|at the same time)' },
  { category: 'means', weight: 1.2, pattern: '(?:take|taking|took|swallow|swallowing|swallowed) all (?:of )?(?:my|the|these|those) <pills>' },
  { category: 'means', weight: 2, pattern: '(?:saving|saved|stockpiling|stockpiled|hoarding|hoarded|collecting|collected|stashing|stashed|stocking up on|stocked up on|storing|stored) (?:up )?(?:my |some |all my |all the |a lot of |lots of )?<pills>' },
  {
    category: 'means',
    weight: 2,
    pattern: '(?:jump|jumping|jumped|throw <myself>|throwing <myself>|threw <myself>|leap|leaping) (?:off|from|in front of|under|into|onto) (?:a |the |this |that |my )?(?:bridge|building|roof|rooftop|balcony|cliff|tower|car park|parking garage|train|subway|metro|tube|bus|truck|lorry|traffic|tracks|overpass|platform|window|highway)',
  },
  { category: 'means', weight: 1.5, pattern: '(?:step|stepping|walk|walking|lie|lying|lay|laying) (?:out )?(?:in front of|into|on|onto) (?:a |the )?(?:train|traffic|tracks|train tracks|railway|bus|truck|lorry|motorway|highway)' },
  { category: 'means', weight: 2, pattern: '(?:slit|slitting|slice|slicing|open|opening) (?:my )?(?:wrists?|throat|veins)|(?:cut|cutting) my (?:wrists?|throat|veins)' },
  { category: 'means', weight: 2, pattern: '(?:shoot|shooting|shot) <myself>|(?:gun|pistol|revolver|rifle|shotgun|barrel) (?:to|against|in) my (?:head|mouth|temple)|blow my (?:brains|head) out' },
  { category: 'means', weight: 0.8, pattern: '(?:bought|buy|buying|got|get|getting|have|own|borrowed|borrow|found) (?:a |my |dads |his |her |the )?(?:gun|pistol|handgun|revolver|rifle|shotgun|firearm)', supporting: true },
  { category: 'means', weight: 2, pattern: '(?:drown|drowning|drowned) <myself>|walk(?:ing)? into the (?:sea|ocean|river|lake)' },
  { category: 'means', weight: 1.5, pattern: '(?:crash|crashing|drive|driving|swerve|swerving) (?:my car |the car )?(?:into|off) (?:a |the )?(?:tree|wall|bridge|cliff|barrier|oncoming traffic|truck|lorry)|crash my car on purpose' },
  { category: 'means', weight: 2, pattern: 'carbon monoxide|car running in the garage|(?:exhaust|hose) (?:pipe )?into the car|(?:charcoal|bbq|barbecue) in (?:my|the) (?:room|car|bathroom)|exit bag|plastic bag over my head|(?:suffocate|suffocating|strangle|strangling) <myself>' },
  { category: 'means', weight: 2, pattern: '(?:drink|drinking|drank|swallow|swallowing|swallowed) (?:some )?(?:bleach|antifreeze|poison|drain cleaner|weed killer|pesticide|rat poison)' },
  { category: 'means', weight: 2, pattern: '(?:starve|starving) <myself> to death|bleed(?:ing)? (?:out|to death)|(?:knife|blade|razor) (?:to|on|against) my (?:wrists?|throat|neck)' },
  { category: 'means', weight: 0.5, pattern: '<pills>|ropes?|guns?|bridge|train tracks|tracks|ledge|rooftop|knife|knives|razors?|razor blades?|blades?|lighter', supporting: true },

  // ── intent ────────────────────────────────────────────────────────────────────────────────
  { category: 'intent', weight: 2, pattern: '<goingto> (?:just )?(?:<selfkill>|<kill> <myself>|hang <myself>|shoot <myself>|drown <myself>|overdose|od|jump (?:off|in front of) (?:a |the )?\\p{L}+|do it tonight|end it tonight)' },
  { category: 'intent', weight: 2, pattern: '(?:tonight|tomorrow|today|this weekend|friday|saturday|sunday|monday|next week) (?:is|will be|s) the (?:night|day)' },
  { category: 'intent', weight: 2, pattern: '(?:ive|i have|i ve|i) (?:decided|made up my mind|made my decision) (?:to )?(?:<selfkill>|<kill> <myself>|die|end it|its time to go)' },
  { category: 'intent', weight: 1.5, pattern: '(?:im|i am) ready to (?:die|<selfkill>|go to sleep forever|end it)' },
  {
    category: 'intent',
    weight: 2,
    pattern: '(?:tonight|today|this weekend|tomorrow) (?:is|will be) my last|this is (?:my )?goodbye|goodbye forever|(?:wont|will not) be (?:here|around|alive) (?:tomorrow|much longer|for (?:much|long)|by (?:the )?(?:morning|tomorrow|next week|monday|the weekend))|by the time you (?:read|get|see) this',
    figurative: { after: '^ (?:at|of|before|in|on|with|for the|from|as)\\b|^ ,? ?(?:im|i am) (?:travel|flying|away|on|moving)' },
  },
  { category: 'intent', weight: 2, pattern: '(?:tried|attempted|trying|try|attempting) (?:to )?(?:<selfkill>|<kill> <myself>|end my life|take my life|hang <myself>|overdose)|attempted suicide|(?:suicide|overdose) attempt' },
  { category: 'intent', weight: 0.8, pattern: '(?:doing|do) it tonight|(?:going|gonna) (?:to )?do it (?:tonight|tomorrow|soon)', supporting: true },

  // ── self-harm ─────────────────────────────────────────────────────────────────────────────
  { category: 'self-harm', weight: 1.2, pattern: '(?:been|started|start|keep|kept|back to) cutting(?: again)?|cutting again|(?:urge|urges) to cut', figurative: { after: '^ (?:back|down|out|corners|costs|ties|in|off|up|the|my|our|class|school|work|it close)\\b' } },
  { category: 'self-harm', weight: 1.2, pattern: '(?:cut|cutting|cuttin|cuts|slash|slashing|slashed|carve|carving|carved) (?:into )?(?:<myself>|my (?:arms?|legs?|thighs?|skin|stomach|hips?|body))', figurative: { after: '^ (?:on|with|while|when|shaving|cooking|chopping|on the|by accident|accidentally)\\b' } },
  {
    category: 'self-harm',
    weight: 1.2,
    pattern: '(?:burn|burning|burned|burnt|scratch|scratching|scratched|hit|hitting|punch|punching|bite|biting|harm|harming|harmed|hurt|hurting|injure|injuring|injured|bang|banging|beat|beating) <myself>',
    figurative: { after: '^ (?:at (?:the |work|gym)|at the gym|playing|running|skiing|lifting|on (?:the|a|my)|while|when|cooking|ironing|in (?:a|the) (?:fall|kitchen|game|match)|falling|by accident|accidentally|up about|over it|over this|over that|up over|for (?:it|that|this|not|being|forgetting|saying|missing))\\b' },
  },
  { category: 'self-harm', weight: 0.6, pattern: '(?:punish|punishing|starve|starving) <myself>' },
  { category: 'self-harm', weight: 1.2, pattern: 'self ?harm(?:ing|ed)?|selfharm(?:ing|ed)?|self ?injur(?:y|ing|ed|e)|self ?mutilat(?:e|ion|ing)|(?:relapse|relapsed|relapsing) (?:on |into |with )?(?:sh|self ?harm)' },
  { category: 'self-harm', weight: 1.2, pattern: '(?:made|make|making) <myself> bleed|(?:until|til|till|untill) (?:i|it) (?:bleed|bled|bleeds)|(?:fresh|new|deep) (?:cuts|scars|wounds) on my' },
  { category: 'self-harm', weight: 1.2, pattern: '(?:urges?|cravings?|itch|tempted|need|want) to (?:cut|burn|hurt|harm) (?:<myself>|again)|(?:urges?|cravings?) to (?:cut|burn|sh)' },
  { category: 'self-harm', weight: 1.5, pattern: '(?:razor|blade|lighter|knife|scissors) (?:on|into|across) my (?:skin|arms?|wrists?|legs?|thighs?|stomach)' },

  // ── harm to others ────────────────────────────────────────────────────────────────────────
  {
    category: 'harm-to-others',
    weight: 1.5,
    pattern:
      '(?:<wantto>|<goingto>|(?:ive been|been|im|i am|i keep) (?:thinking|dreaming|fantasi[sz]ing) (?:about|of)|(?:urge|urges|thoughts) (?:to|of|about)|fantasi[sz]e about|planning to|plan to|i will|ill|i ll|i might|i may|might) (?:kill|killing|murder|murdering|hurt|hurting|harm|harming|stab|stabbing|shoot|shooting|strangle|strangling|choke|choking|smother|smothering|poison|poisoning|drown|drowning|shake|shaking|beat|beating) <victim>',
    figurative: { before: '\\b(?:could|couldve|could have)(?: (?:just|literally|honestly|seriously))?$', after: NOT_HARM_AFTER },
  },
  {
    category: 'harm-to-others',
    weight: 1,
    pattern: '(?:kill|murder|stab|shoot|strangle|smother|poison) <victim>',
    figurative: { before: '\\b(?:could|couldve|could have|would)(?: (?:just|literally|honestly|seriously))?$|\\b(?:dont|do not|you|u|they|he|she|it|would|gonna|going to|to|will|ll)$', after: NOT_HARM_AFTER },
  },
  { category: 'harm-to-others', weight: 1, pattern: 'kys|kill your ?self|go (?:and )?die|(?:hope|wish) (?:you|u|he|she|they) (?:die|dies|would die|were dead|was dead)|(?:should|ought to) (?:just )?(?:die|kill (?:yourself|himself|herself|themselves))' },
  { category: 'harm-to-others', weight: 1.5, pattern: 'shoot up (?:the|my|a|this) (?:school|office|work|place|church|mall|class|building)|(?:bring|bringing|brought|take|taking|took) (?:a |my |the )?(?:gun|knife|weapon) to (?:school|work|class|the office)' },
  { category: 'harm-to-others', weight: 0.8, pattern: '(?:make|making) (?:them|him|her|everyone|everybody) pay|(?:they ll|theyll|they will|he ll|she ll|everyone will|they re all going to|theyre all going to) (?:all )?(?:be sorry|regret it|pay for (?:it|this))', supporting: true },

  // ── other languages (a stretch: the most common forms only) ───────────────────────────────
  { lang: 'es', category: 'ideation', weight: 1, pattern: '(?:quiero|quisiera|me quiero) (?:morir|morirme|matarme|suicidarme|desaparecer)|me quiero matar|(?:matarme|suicidarme|quitarme la vida)|no quiero (?:seguir )?(?:vivir|viviendo|estar aqui)', figurative: { after: '^ (?:de|del) (?:risa|hambre|verguenza|sueno|calor)' } },
  { lang: 'es', category: 'intent', weight: 2, pattern: '(?:voy a|me voy a) (?:matarme|suicidarme|quitarme la vida)|me voy a (?:matar|suicidar)', figurative: { after: '^ (?:de|del) (?:risa|hambre|verguenza|sueno|calor)' } },
  { lang: 'es', category: 'self-harm', weight: 1.2, pattern: '(?:cortarme|me corto|me corte|hacerme dano)', figurative: { after: '^ (?:el|la|las|los) (?:pelo|cabello|unas|flequillo|barba)' } },
  { lang: 'fr', category: 'ideation', weight: 1, pattern: '(?:je veux|jai envie de|envie de|je voudrais) (?:mourir|me tuer|me suicider|disparaitre|en finir)|me suicider|mettre fin a (?:mes jours|ma vie)|en finir avec (?:la vie|tout)', figurative: { after: '^ de (?:rire|honte|faim)' } },
  { lang: 'fr', category: 'intent', weight: 2, pattern: 'je vais (?:me tuer|me suicider|en finir)', figurative: { after: '^ de (?:rire|honte|faim)' } },
  { lang: 'fr', category: 'self-harm', weight: 1.2, pattern: 'me (?:scarifier|mutiler|couper les (?:bras|poignets|veines))|je me scarifie|automutilation' },
  { lang: 'de', category: 'ideation', weight: 1, pattern: '(?:ich will|ich mochte|ich moechte|ich wunschte ich ware) (?:sterben|tot sein|tot|nicht mehr leben|mich umbringen)|will nicht mehr leben|mich (?:selbst )?umbringen|selbstmordgedanken|suizidgedanken' },
  { lang: 'de', category: 'ideation', weight: 0.6, pattern: 'selbstmord|suizid' },
  { lang: 'de', category: 'intent', weight: 2, pattern: 'ich (?:bringe|bring) mich um|ich werde mich (?:umbringen|toten)' },
  { lang: 'de', category: 'self-harm', weight: 1.2, pattern: 'mich ritzen|ritze mich|selbstverletzung|mich selbst verletzen' },
  { lang: 'pt', category: 'ideation', weight: 1, pattern: '(?:quero|queria) (?:morrer|me matar|sumir)|me matar|tirar (?:a )?minha (?:propria )?vida|nao quero (?:mais )?viver|suicidar' },
  { lang: 'pt', category: 'intent', weight: 2, pattern: 'vou me matar', figurative: { after: '^ de (?:rir|fome|vergonha)' } },
  { lang: 'pt', category: 'self-harm', weight: 1.2, pattern: 'me (?:cortar|cortando|cortei|machucar)', figurative: { after: '^ (?:o|a) (?:cabelo|franja|barba)' } },
  { lang: 'it', category: 'ideation', weight: 1, pattern: 'voglio morire|uccidermi|farla finita|togliermi la vita|non voglio (?:piu )?vivere' },
  { lang: 'it', category: 'intent', weight: 2, pattern: 'mi (?:ammazzo|uccido)|sto per (?:uccidermi|ammazzarmi)' },
  { lang: 'it', category: 'self-harm', weight: 1.2, pattern: 'tagliarmi|mi taglio|autolesionismo', figurative: { after: '^ (?:i|il|la) (?:capelli|frangia|barba)' } },
];
