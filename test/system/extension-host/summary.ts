// Mocha-style summary of a runner results file (see runner/extension.cjs), ending with "N passed, M failed".
import type { SuiteResults } from './runner/extension.cjs';

export function formatSummary(r: SuiteResults): string {
  const lines: string[] = [];
  lines.push(`extension-host suite${r.vscodeVersion ? ` (VS Code ${r.vscodeVersion})` : ''}`);
  for (const p of r.passes)
    lines.push(`  ✔ ${p.fullTitle}${p.durationMs !== undefined ? ` (${p.durationMs} ms)` : ''}`);
  for (const p of r.pending) lines.push(`  - ${p.fullTitle} (pending)`);
  r.failures.forEach((f, i) => lines.push(`  ${i + 1}) ${f.fullTitle}`));
  r.failures.forEach((f, i) => {
    lines.push('', `  ${i + 1}) ${f.fullTitle}:`, `     ${f.error.message.split('\n').join('\n     ')}`);
    if (f.error.expected !== undefined || f.error.actual !== undefined)
      lines.push(`     expected: ${f.error.expected}`, `     actual:   ${f.error.actual}`);
    if (f.error.stack)
      lines.push(
        ...f.error.stack
          .split('\n')
          .slice(1, 6)
          .map((l) => `     ${l.trim()}`),
      );
  });
  lines.push(
    '',
    `suite time ${(r.durationMs / 1000).toFixed(1)} s${r.pending.length ? `, ${r.pending.length} pending` : ''}`,
  );
  lines.push(`${r.passes.length} passed, ${r.failures.length} failed`);
  return lines.join('\n');
}

/** Why a run counts as failed, or undefined when it passed. */
export function failureReason(r: SuiteResults): string | undefined {
  if (r.failures.length > 0) return `${r.failures.length} test(s) failed`;
  if (r.passes.length === 0) return 'no tests ran';
  return undefined;
}
