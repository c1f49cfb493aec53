// Converts a checkout of doocs/leetcode (LeetCode problems with their difficulty, CC-BY-SA) into
// more LeetCode-shaped training statements for the difficulty fit, written OUTSIDE the repo:
//
//   node --import tsx scripts/prepare-leetcode-doocs.ts <doocs git dir> [out.jsonl]
//   (default out: $GEARBOX_DIFFICULTY_DATA or /work/.cache-data/difficulty, file doocs-leetcode.jsonl)
//
// Each row has the shared file's shape (the description up to its first example, then the Python
// starter code) so it reads like the statements the held-out split holds. Problems without a Python
// `class Solution` (SQL, shell, pandas) are skipped. Which ids the shared file holds (and so its
// held-out 20 %) is decided by the loader (scripts/difficulty-data.ts), which drops those rows.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PUBLIC_DIR } from './difficulty-data';

const repo = process.argv[2];
if (!repo) {
  console.error('usage: prepare-leetcode-doocs.ts <doocs/leetcode git dir> [out.jsonl]');
  process.exit(2);
}
const out = process.argv[3] ?? path.join(PUBLIC_DIR, 'doocs-leetcode.jsonl');
const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { maxBuffer: 1 << 30 });

const files = git('ls-tree', '-r', '-z', '--name-only', 'HEAD')
  .toString('utf8')
  .split('\0')
  .filter((f) => /^solution\/.*\/README_EN\.md$/.test(f));
// One `git cat-file --batch` for all files: "<sha> blob <size>\n<content>\n" per file.
const batch = execFileSync('git', ['-C', repo, 'cat-file', '--batch'], {
  input: files.map((f) => `HEAD:${f}`).join('\n'),
  maxBuffer: 1 << 30,
});
const rows: string[] = [];
let at = 0;
for (const _ of files) {
  const nl = batch.indexOf(10, at);
  const header = batch.subarray(at, nl).toString('utf8');
  if (header.endsWith(' missing')) {
    at = nl + 1;
    continue;
  }
  const size = Number(header.split(' ')[2]);
  const md = batch.subarray(nl + 1, nl + 1 + size).toString('utf8');
  at = nl + 1 + size + 1;
  const row = convert(md);
  if (row) rows.push(JSON.stringify(row));
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${rows.join('\n')}\n`);
console.log(`${rows.length} of ${files.length} problems → ${out}`);

function convert(md: string): { id: string; difficulty: string; statement: string } | undefined {
  const difficulty = /^difficulty:\s*(Easy|Medium|Hard)\s*$/m.exec(md)?.[1];
  const id = /\]\(https:\/\/leetcode\.com\/problems\/([a-z0-9-]+)\/?\)/.exec(md)?.[1];
  const desc = /<!-- description:start -->([\s\S]*?)<!-- description:end -->/.exec(md)?.[1];
  const py = /#### Python3\s*```python\n([\s\S]*?)```/.exec(md)?.[1];
  if (!difficulty || !id || !desc || !py || !/^class Solution\b/m.test(py)) return undefined;
  const cut = desc.search(/<strong[^>]*>\s*Example\s*1\s*:|<strong>\s*Constraints:/i);
  const text = htmlToText(cut >= 0 ? desc.slice(0, cut) : desc);
  const starter = starterCode(py);
  if (!text || !starter) return undefined;
  const fence = '```';
  const ask = 'Please complete the following python code precisely:';
  const statement = `${text}\n\u00a0\n${ask}\n${fence}python\n${starter}\n${fence}`;
  return { id, difficulty, statement };
}

/** The solution's class and method signature lines: the starter code LeetCode shows. */
function starterCode(py: string): string | undefined {
  const lines = py.split('\n');
  const start = lines.findIndex((l) => /^class Solution\b/.test(l));
  if (start < 0) return undefined;
  let end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  if (end < 0) end = lines.length;
  const sig = lines.slice(start, end).filter((l, i) => i === 0 || /^ {4}def \w+\(.*\)(?:\s*->.*)?:\s*$/.test(l));
  return sig.length > 1 ? sig.join('\n') : undefined;
}

/** LeetCode's HTML as the shared file renders it: tags dropped (10<sup>9</sup> reads "109"), lines kept. */
function htmlToText(html: string): string {
  return html
    .replace(/<\/p>\s*<p>/gi, '\n')
    .replace(/<\/(?:p|li|pre|div|ul|ol)>/gi, '\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .split('\n')
    .map((l) => l.trim())
    .filter((l, i, all) => l || (i > 0 && all[i - 1]))
    .join('\n')
    .replace(/[\s\u00a0]+$/, '')
    .trim();
}
