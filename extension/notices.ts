// Shows a Notice (extension/core/no-model-notice.ts) and runs the command of the button picked.
import * as vscode from 'vscode';
import type { Notice } from './core/no-model-notice';

export function showNotice(notice: Notice, log: vscode.LogOutputChannel): void {
  log.info(notice.message);
  void vscode.window.showInformationMessage(notice.message, ...notice.buttons.map((b) => b.label)).then((pick) => {
    const button = notice.buttons.find((b) => b.label === pick);
    if (button) void vscode.commands.executeCommand(button.command, ...(button.args ?? []));
  });
}
