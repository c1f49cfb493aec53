// Spend against the budget in the status bar, when the workspace sets a cap (gearbox.budget.*): the
// caps from the settings, the spend from gearbox/usage (all workspaces, today and this month).
// Refreshed on connect, when the caps change, after a chat answer and once a minute while a cap is set.
import * as vscode from 'vscode';
import type { GearboxClient } from './client-api';
import { budgetStatus } from './core/budget-status';
import { errorMessage } from './core/refactor-logic';
import type { StatusBar } from './status-bar';

const POLL_MS = 60_000;
/** After the last chat chunk: the answer is done and recorded by then. */
const AFTER_CHAT_MS = 1500;

export function registerBudgetStatus(
  context: vscode.ExtensionContext,
  client: GearboxClient,
  statusBar: StatusBar,
): void {
  let poll: ReturnType<typeof setInterval> | undefined;
  let afterChat: ReturnType<typeof setTimeout> | undefined;
  const caps = () => {
    const c = vscode.workspace.getConfiguration('gearbox.budget');
    return { dailyUsd: c.get<number>('dailyUsd', 0), monthlyUsd: c.get<number>('monthlyUsd', 0) };
  };
  const refresh = async (): Promise<void> => {
    const { dailyUsd, monthlyUsd } = caps();
    const capped = dailyUsd > 0 || monthlyUsd > 0;
    if (capped && !poll) poll = setInterval(() => void refresh(), POLL_MS);
    if (!capped && poll) {
      clearInterval(poll);
      poll = undefined;
    }
    if (!capped || client.state !== 'running') {
      statusBar.setPart('budget', undefined);
      return;
    }
    try {
      const u = await client.request('gearbox/usage', { since: '1d', workspace: 'current' });
      // The caps as set now (the daemon may not have pulled a just-changed setting yet).
      const s = budgetStatus({ ...u.budget, dailyUsd, monthlyUsd });
      statusBar.setPart('budget', s && { text: s.text, tooltip: s.tooltip, warning: s.level !== 'ok' });
    } catch (err) {
      client.log.warn(`budget status: ${errorMessage(err)}`);
    }
  };
  context.subscriptions.push(
    client.onDidChangeState((s) => s === 'running' && void refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('gearbox.budget') && void refresh()),
    client.onNotification('gearbox/chatChunk', () => {
      clearTimeout(afterChat);
      afterChat = setTimeout(() => void refresh(), AFTER_CHAT_MS);
    }),
    {
      dispose: () => {
        clearInterval(poll);
        clearTimeout(afterChat);
      },
    },
  );
  if (client.state === 'running') void refresh();
}
