// The last command of each terminal and its output, for @terminal: read through VS Code's terminal
// shell integration (window.onDidStart/EndTerminalShellExecution, VS Code 1.93+). The extension's
// engine allows older VS Code, whose API has none of it: feature-detected, and @terminal then says why.
import * as vscode from 'vscode';
import type { TerminalRun } from './chips';

/** The most output characters kept per command (its end: where errors usually are). */
const MAX_OUTPUT = 100_000;

/** The parts of the shell integration API used here (not in @types/vscode 1.91). */
interface ShellExecution {
  commandLine: { value: string };
  cwd?: vscode.Uri;
  read(): AsyncIterable<string>;
}
interface ShellExecutionEvent {
  terminal: vscode.Terminal;
  execution: ShellExecution;
  exitCode?: number;
}
interface ShellIntegrationWindow {
  onDidStartTerminalShellExecution?: vscode.Event<ShellExecutionEvent>;
  onDidEndTerminalShellExecution?: vscode.Event<ShellExecutionEvent>;
}

export class TerminalWatch implements vscode.Disposable {
  private readonly runs = new Map<vscode.Terminal, TerminalRun>();
  private readonly outputs = new WeakMap<ShellExecution, { text: string }>();
  private latest: TerminalRun | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  readonly available: boolean;

  constructor() {
    const w = vscode.window as unknown as ShellIntegrationWindow;
    this.available = !!(w.onDidStartTerminalShellExecution && w.onDidEndTerminalShellExecution);
    if (!this.available) return;
    this.disposables.push(
      w.onDidStartTerminalShellExecution!((e) => void this.read(e.execution)),
      w.onDidEndTerminalShellExecution!((e) => this.ended(e)),
      vscode.window.onDidCloseTerminal((t) => this.runs.delete(t)),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** The last finished command of `terminal`, else of any terminal. */
  last(terminal?: vscode.Terminal): TerminalRun | undefined {
    return (terminal && this.runs.get(terminal)) ?? this.latest;
  }

  /** Why there is no command to attach, and what to do. */
  whyNone(terminal: vscode.Terminal | undefined): string {
    if (!this.available)
      return '@terminal needs VS Code 1.93 or later (terminal shell integration), which this editor does not have.';
    if (!terminal) return 'No terminal is open: run the command in a terminal, then add @terminal.';
    const integrated = (terminal as vscode.Terminal & { shellIntegration?: unknown }).shellIntegration;
    if (!integrated)
      return (
        'Shell integration is not active in this terminal, so its commands cannot be read: use bash, zsh, fish ' +
        'or PowerShell with terminal.integrated.shellIntegration.enabled on, then run the command again.'
      );
    return 'No command has finished in this terminal since Gearbox started: run it again, then add @terminal.';
  }

  private async read(execution: ShellExecution): Promise<void> {
    const out = { text: '' };
    this.outputs.set(execution, out);
    try {
      for await (const chunk of execution.read()) {
        out.text += chunk;
        if (out.text.length > MAX_OUTPUT * 2) out.text = out.text.slice(-MAX_OUTPUT);
      }
    } catch {
      /* the terminal closed while reading: keep what arrived */
    }
  }

  private ended(e: ShellExecutionEvent): void {
    const run: TerminalRun = {
      commandLine: e.execution.commandLine.value,
      output: (this.outputs.get(e.execution)?.text ?? '').slice(-MAX_OUTPUT),
      ...(e.exitCode !== undefined ? { exitCode: e.exitCode } : {}),
      ...(e.execution.cwd ? { cwd: e.execution.cwd.fsPath } : {}),
    };
    this.runs.set(e.terminal, run);
    this.latest = run;
  }
}
