// The status bar item: connection state, the completion model in use, routing mode, last latency,
// and parts other features set (a running download, spend against the budget).
import * as vscode from 'vscode';
import type { ConnectionState } from './client-api';

/** A part of the item's text (with codicons) and a line of its tooltip; `warning` tints the item. */
export interface StatusPart {
  text: string;
  tooltip: string;
  warning?: boolean;
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('gearbox.status', vscode.StatusBarAlignment.Right, 100);
  private state: ConnectionState = 'stopped';
  private latencyMs: number | undefined;
  private detail: string | undefined;
  private readonly parts = new Map<'download' | 'budget', StatusPart>();

  constructor() {
    this.item.name = 'Gearbox';
    this.item.command = 'gearbox.showStatus';
    this.render();
    this.item.show();
  }

  setState(state: ConnectionState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    this.render();
  }

  setLatency(ms: number): void {
    // A run of cache hits reports 0 ms per keystroke: do not push the same text to the UI each time.
    if (ms === this.latencyMs) return;
    this.latencyMs = ms;
    this.render();
  }

  refresh(): void {
    this.render();
  }

  /** Sets (or, with undefined, clears) a part shown while the daemon runs. */
  setPart(key: 'download' | 'budget', part: StatusPart | undefined): void {
    const before = this.parts.get(key);
    if (part === before || (part && before && JSON.stringify(part) === JSON.stringify(before))) return;
    if (part) this.parts.set(key, part);
    else this.parts.delete(key);
    this.render();
  }

  private render(): void {
    const cfg = vscode.workspace.getConfiguration('gearbox');
    const model = cfg.get<string>('models.completion') || 'auto';
    const mode = cfg.get<string>('routing.mode') || 'auto';
    const enabled = cfg.get<boolean>('inlineCompletion.enabled', true);
    this.item.backgroundColor = undefined;
    switch (this.state) {
      case 'starting':
        this.item.text = '$(sync~spin) Gearbox';
        this.item.tooltip = 'Gearbox: connecting to the daemon…';
        break;
      case 'stopping':
        this.item.text = '$(sync~spin) Gearbox';
        this.item.tooltip = 'Gearbox: stopping…';
        break;
      case 'running': {
        const latency = this.latencyMs === undefined ? '' : ` · ${this.latencyMs} ms`;
        const label = model === 'auto' ? 'Auto' : model;
        const localOnly = mode === 'local-only' ? ' · local only' : '';
        const parts = [...this.parts.values()];
        const extra = parts.map((p) => ` · ${p.text}`).join('');
        this.item.text = `$(gear) Gearbox: ${label}${localOnly}${enabled ? '' : ' · off'}${latency}${extra}`;
        this.item.tooltip = new vscode.MarkdownString(
          `**Gearbox** is running\n\n- completion model: \`${model}\`\n- routing: \`${mode}\`` +
            `\n- inline completion: ${enabled ? 'on' : 'off'}` +
            (this.latencyMs === undefined ? '' : `\n- last completion: ${this.latencyMs} ms`) +
            parts.map((p) => `\n- ${p.tooltip.replace(/\n/g, '\n- ')}`).join('') +
            '\n\nClick for status, logs and restart.',
        );
        if (parts.some((p) => p.warning))
          this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      }
      case 'stopped':
      case 'startFailed': {
        const detail = this.detail ? ` (${this.detail})` : '';
        this.item.text = '$(warning) Gearbox: daemon down';
        this.item.tooltip = `Gearbox: the daemon is not running${detail}. Click for options.`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      }
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
