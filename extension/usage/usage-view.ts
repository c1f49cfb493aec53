// The Usage view (`gearbox.usage`): daily cost chart, local/closed split, savings and budget bars,
// from `gearbox/usage`, and what routing learned from the user's feedback (`gearbox/routing/stats`).
// A webview with a strict CSP (nonce'd script and stylesheet, nothing else); every message in either
// direction is validated (shared/usage-webview-protocol.ts). Refreshes when shown, shortly after a
// chat answer finishes streaming, after a calibration reset, and every 30 s while visible.
import * as vscode from 'vscode';
import {
  toSnapshot,
  UsageHostToWebview,
  UsageWebviewToHost,
  type UsageRange,
  type UsageScope,
} from '../../shared/usage-webview-protocol';
import type { GearboxClient } from '../client-api';
import { webviewHtml } from '../webview-html';
import { RESET_CALIBRATION_COMMAND } from './routing-reset';

const USAGE_VIEW_ID = 'gearbox.usage';
const POLL_MS = 30_000;
/** After the last chat chunk: the answer is done and recorded by then. */
const AFTER_CHAT_MS = 1500;

export function registerUsageView(
  context: vscode.ExtensionContext,
  client: GearboxClient,
  onDidResetCalibration: vscode.Event<void>,
): vscode.Disposable {
  const disposables: vscode.Disposable[] = [];
  const distRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
  const log = client.log;
  let view: vscode.WebviewView | undefined;
  let range: UsageRange = context.globalState.get<UsageRange>('gearbox.usage.range') ?? '30d';
  let scope: UsageScope = context.globalState.get<UsageScope>('gearbox.usage.scope') ?? 'current';
  let poll: ReturnType<typeof setInterval> | undefined;
  let afterChat: ReturnType<typeof setTimeout> | undefined;
  let inflight = false;
  let again = false;

  const post = (m: UsageHostToWebview) => {
    const checked = UsageHostToWebview.safeParse(m);
    if (!checked.success) {
      log.warn(
        'usage view: dropping an invalid message to the webview ' +
          `(${checked.error.issues.map((i) => i.path.join('.')).join(', ')})`,
      );
      return;
    }
    if (view) void Promise.resolve(view.webview.postMessage(checked.data)).catch(() => undefined);
  };

  const refresh = async (): Promise<void> => {
    if (!view?.visible) return;
    if (inflight) {
      again = true;
      return;
    }
    inflight = true;
    try {
      const params = { since: range, workspace: scope };
      const [u, routing] = await Promise.all([
        client.request('gearbox/usage', params),
        // A daemon without routing learning: the view shows usage alone.
        client.request('gearbox/routing/stats', params).catch((err: Error) => {
          log.warn(`usage view: gearbox/routing/stats failed: ${err.message}`);
          return undefined;
        }),
      ]);
      post({ type: 'usage', range, scope, data: toSnapshot(u, routing) });
    } catch (err) {
      post({ type: 'error', message: `Could not load usage: ${(err as Error).message}`.slice(0, 2000) });
    } finally {
      inflight = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };

  const setPolling = (on: boolean) => {
    if (on && !poll) poll = setInterval(() => void refresh(), POLL_MS);
    if (!on && poll) {
      clearInterval(poll);
      poll = undefined;
    }
  };

  const onMessage = (raw: unknown) => {
    const parsed = UsageWebviewToHost.safeParse(raw);
    if (!parsed.success) {
      log.warn('usage view: dropping an invalid message from the webview');
      return;
    }
    const m = parsed.data;
    if (m.type === 'setRange') {
      range = m.range;
      void context.globalState.update('gearbox.usage.range', range);
    } else if (m.type === 'setScope') {
      scope = m.scope;
      void context.globalState.update('gearbox.usage.scope', scope);
    }
    if (m.type === 'resetCalibration') {
      void vscode.commands.executeCommand(RESET_CALIBRATION_COMMAND);
      return;
    }
    if (m.type === 'ready') post({ type: 'loading' });
    void refresh();
  };

  const provider: vscode.WebviewViewProvider = {
    resolveWebviewView(webviewView) {
      view = webviewView;
      webviewView.webview.options = { enableScripts: true, localResourceRoots: [distRoot] };
      webviewView.webview.html = renderUsageHtml(webviewView.webview, distRoot);
      const subs = [
        webviewView.webview.onDidReceiveMessage(onMessage),
        webviewView.onDidChangeVisibility(() => {
          setPolling(webviewView.visible);
          if (webviewView.visible) void refresh();
        }),
      ];
      setPolling(webviewView.visible);
      webviewView.onDidDispose(() => {
        subs.forEach((s) => s.dispose());
        setPolling(false);
        if (view === webviewView) view = undefined;
      });
    },
  };

  disposables.push(
    vscode.window.registerWebviewViewProvider(USAGE_VIEW_ID, provider),
    // A chat answer streams as chunks; refresh once they stop (the request is recorded by then).
    client.onNotification('gearbox/chatChunk', () => {
      if (!view?.visible) return;
      if (afterChat) clearTimeout(afterChat);
      afterChat = setTimeout(() => {
        afterChat = undefined;
        void refresh();
      }, AFTER_CHAT_MS);
    }),
    client.onDidChangeState((s) => {
      if (s === 'running') void refresh();
    }),
    onDidResetCalibration(() => void refresh()),
    vscode.commands.registerCommand('gearbox.showUsage', async () => {
      if (view) {
        view.show(false);
        void refresh();
        return;
      }
      await vscode.commands.executeCommand(`${USAGE_VIEW_ID}.focus`);
    }),
    {
      dispose: () => {
        setPolling(false);
        if (afterChat) clearTimeout(afterChat);
      },
    },
  );
  return vscode.Disposable.from(...disposables);
}

function renderUsageHtml(webview: vscode.Webview, distRoot: vscode.Uri): string {
  return webviewHtml(webview, distRoot, { script: 'usage.js', style: 'usage.css', title: 'Gearbox Usage' });
}
