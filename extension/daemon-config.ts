// "Gearbox: Open Daemon Configuration": the config.json the running daemon reads (it knows its path:
// --config, $GEARBOX_CONFIG or the default), created when missing. The shipped JSON schema
// (contributes.jsonValidation) explains and checks each field; the daemon reloads the file on save.
import * as vscode from 'vscode';
import type { GearboxClient } from './client-api';
import { errorMessage } from './core/refactor-logic';

/** A new file: valid, empty, and saying where the documentation is. */
const NEW_CONFIG = '{\n  // Gearbox daemon configuration (JSON with comments): hover a field for what it does.\n}\n';

export function registerDaemonConfigCommand(context: vscode.ExtensionContext, client: GearboxClient): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('gearbox.openDaemonConfig', async () => {
      let file: vscode.Uri;
      try {
        file = vscode.Uri.file((await client.request('gearbox/models/list', {})).configPath);
      } catch (err) {
        void vscode.window.showErrorMessage(`Gearbox: cannot ask the daemon for its config: ${errorMessage(err)}`);
        return;
      }
      try {
        await vscode.workspace.fs.stat(file);
      } catch {
        await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(file, '..'));
        await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(NEW_CONFIG));
      }
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    }),
  );
}
