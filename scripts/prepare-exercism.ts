// Converts a checkout of exercism/python (MIT) into the Exercism rows of the difficulty data, written
// OUTSIDE the repo:
//
//   node --import tsx scripts/prepare-exercism.ts <exercism/python git dir> [out.jsonl]
//   (default out: $GEARBOX_DIFFICULTY_DATA or /work/.cache-data/difficulty, file exercism-python.jsonl)
//
// Each practice exercise becomes its instructions and its starter stub, what Aider's edit benchmark
// hands a model, with the track's difficulty (1-10) from config.json. scripts/difficulty-data.ts
// uses them to place the map (the published 7B's pass rate on these exercises) and, by difficulty,
// as a graded dev set; the text weights are never fitted on them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PUBLIC_DIR } from './difficulty-data';

const repo = process.argv[2];
if (!repo) {
  console.error('usage: prepare-exercism.ts <exercism/python git dir> [out.jsonl]');
  process.exit(2);
}
const out = process.argv[3] ?? path.join(PUBLIC_DIR, 'exercism-python.jsonl');
const show = (file: string): string | undefined => {
  try {
    return execFileSync('git', ['-C', repo, 'show', `HEAD:${file}`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
};
const config = JSON.parse(show('config.json') ?? '{}') as {
  exercises?: { practice?: { slug: string; difficulty: number; status?: string }[] };
};
const rows: string[] = [];
for (const ex of config.exercises?.practice ?? []) {
  if (ex.status === 'deprecated') continue;
  const dir = `exercises/practice/${ex.slug}`;
  const instructions = show(`${dir}/.docs/instructions.md`);
  const stub = show(`${dir}/${ex.slug.replace(/-/g, '_')}.py`);
  if (!instructions || !stub) continue;
  rows.push(JSON.stringify({ slug: ex.slug, difficulty: ex.difficulty, instructions, stub }));
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${rows.join('\n')}\n`);
console.log(`wrote ${rows.length} exercises to ${out}`);
