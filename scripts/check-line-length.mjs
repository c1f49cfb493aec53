#!/usr/bin/env node
// Fails when a source line is longer than 120 characters (the formatter wraps code, not strings or
// comments). Checks the files git tracks, or the ones named on the command line.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const MAX = 120;
const SOURCE = /\.(ts|mts|cts|mjs|cjs|js|css)$/;
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
        .split('\n')
        .filter((f) => SOURCE.test(f) && fs.existsSync(f));
const long = [];
for (const f of files) {
  fs.readFileSync(f, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.length > MAX) long.push(`${f}:${i + 1}: ${line.length} characters`);
    });
}
if (long.length) {
  console.error(`${long.length} line(s) over ${MAX} characters:\n${long.join('\n')}`);
  process.exit(1);
}
console.log(`line length: ${files.length} files, none over ${MAX} characters`);
