// Selects the difficulty estimator's learned vocabulary: the words whose presence in a problem
// statement (its prose, and the words of its stub's function name) best tells a contest Hard from
// an Easy (LeetCode train rows only), each with the sign its weight will be held to. The fit
// (scripts/difficulty-fit.ts) then weighs them jointly with the hand-made features, on every
// source, so a word that also appears in easy function tasks or editor prompts is weighed down there.
//
// Which words may enter: whole lower-case words of three letters or more (hyphens allowed), seen in
// at least MIN_DOCS statements, not an English function word or common verb (their use in statements
// is the template's, not the problem's: "since the answer may be very large", "see the example").
// A word a hard ask category of lexicon.json covers may enter only as a hard word, so adding "race
// condition" or "optimise" can never lower the score through the vocabulary. (A word of an easy
// category may weigh either way here: "array" says "a short function task" in a chat, yet Hard
// statements use it more.)
// Ranked by |log-odds Hard vs Easy| · √(documents): strong and frequent first.
import { askSigns } from '../daemon/routing/request-scan';
import type { Row, Vocabulary } from './difficulty-fit';

export const VOCABULARY_SIZE = 150;
const MIN_DOCS = 20;

const STOPWORDS = new Set(
  (
    'a about above after again against all also although am an and any are as at be because been before being ' +
    'below between both but by can cannot could did do does doing down during each either even few first for ' +
    'from further had has have having he hence her here hers him his how however if in into is it its itself ' +
    'just let lets may me might more most must my neither no nor not now of off on once one only or other our ' +
    'out over own same second she should since so some still such than that the their them themselves then ' +
    'there therefore these they third this those though three through thus to too two under until up us very ' +
    'was we were what when where whether which while who whom why will with would yet you your ' +
    'call called come comes find finds found get gets give gives go goes going got know known like made make ' +
    'makes put puts said say says see take takes taken thing things time times use used using want wants way ways'
  ).split(' '),
);

const WORD = /^[a-z][a-z-]{2,}$/;

export function selectVocabulary(rows: readonly Row[], size = VOCABULARY_SIZE): Vocabulary {
  const contest = rows.filter((r) => r.domain === 'leetcode' && r.label !== 1);
  const hard = contest.filter((r) => r.label === 2).length;
  const easy = contest.length - hard;
  const docs = new Map<string, { all: number; hard: number }>();
  for (const r of contest)
    for (const w of r.words) {
      if (!WORD.test(w) || STOPWORDS.has(w)) continue;
      const d = docs.get(w) ?? { all: 0, hard: 0 };
      d.all++;
      if (r.label === 2) d.hard++;
      docs.set(w, d);
    }
  const ranked: { word: string; logOdds: number; score: number }[] = [];
  for (const [word, d] of docs) {
    if (d.all < MIN_DOCS) continue;
    // Add-one smoothing, so a word seen only in Hard statements does not get an infinite weight.
    const logOdds = Math.log((d.hard + 1) / (hard + 2)) - Math.log((d.all - d.hard + 1) / (easy + 2));
    if (logOdds < 0 && askSigns(word).includes(1)) continue;
    ranked.push({ word, logOdds, score: Math.abs(logOdds) * Math.sqrt(d.all) });
  }
  ranked.sort((a, b) => b.score - a.score || (a.word < b.word ? -1 : 1));
  const top = ranked.slice(0, size);
  return { words: top.map((t) => t.word), signs: top.map((t) => (t.logOdds > 0 ? 1 : -1)) };
}
