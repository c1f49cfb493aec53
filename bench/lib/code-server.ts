// Helpers for the benchmarks that drive a real VS Code through the e2e harness
// (test/system/e2e/launch.ts and actions.ts): the extension's log files, and its log level.
import { WorkbenchActions } from '../../test/system/e2e/actions';
import { gearboxLogFiles, type CodeServerE2E } from '../../test/system/e2e/launch';

export { gearboxLogFiles };
import { WorkbenchSelectors } from '../../test/system/e2e/selectors';

/** All lines of the extension's log files (every window so far). */
export function gearboxLogLines(e2e: CodeServerE2E): string[] {
  return e2e.extensionLogLines();
}

/**
 * Sets the Gearbox output channel's log level with "Developer: Set Log Level…" (Gearbox → level).
 * Returns false (and leaves a note) when the quick picks did not offer it.
 */
export async function setGearboxLogLevel(e2e: CodeServerE2E, level: 'Trace' | 'Debug' | 'Info'): Promise<boolean> {
  try {
    await WorkbenchActions.runCommand(e2e, 'Developer: Set Log Level...');
    const rows = WorkbenchSelectors.quickPickRows(e2e.page);
    await rows.first().waitFor({ state: 'visible', timeout: 10_000 });
    await e2e.page.keyboard.type('Gearbox', { delay: 10 });
    const gearbox = rows.filter({ hasText: /^Gearbox/ }).first();
    await gearbox.waitFor({ state: 'visible', timeout: 10_000 });
    await gearbox.click();
    const row = rows.filter({ hasText: new RegExp(`^${level}`) }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    await WorkbenchSelectors.quickInput(e2e.page)
      .waitFor({ state: 'hidden', timeout: 5_000 })
      .catch(() => undefined);
    return true;
  } catch (err) {
    e2e.notes.push(`could not set the Gearbox log level to ${level}: ${(err as Error).message.split('\n')[0]}`);
    await e2e.page.keyboard.press('Escape').catch(() => undefined);
    return false;
  }
}

/** Number of `completion` lines (one per answered inline completion request) in the daemon's log. */
export function daemonCompletions(e2e: CodeServerE2E): number {
  return e2e
    .daemonLog()
    .split('\n')
    .filter((l) => l.includes('"msg":"completion"')).length;
}
