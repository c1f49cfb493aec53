// Gearbox: Reset Routing Calibration — forgets what routing learned from this user's feedback (the
// daemon's gearbox/routing/reset), after asking. The Usage view refreshes when it is done.
import * as vscode from 'vscode';
import type { GearboxClient } from '../client-api';

export const RESET_CALIBRATION_COMMAND = 'gearbox.resetRoutingCalibration';

export function registerRoutingReset(client: GearboxClient): {
  disposable: vscode.Disposable;
  onDidReset: vscode.Event<void>;
} {
  const didReset = new vscode.EventEmitter<void>();
  const command = vscode.commands.registerCommand(RESET_CALIBRATION_COMMAND, async () => {
    const pick = await vscode.window.showWarningMessage(
      'Reset routing calibration? Gearbox forgets what it learned from your feedback (accepted and rejected ' +
        'answers) and routes by the published model capabilities again.',
      { modal: true },
      'Reset',
    );
    if (pick !== 'Reset') return;
    try {
      const r = await client.request('gearbox/routing/reset', {});
      client.log.info(`routing calibration reset: ${r.models} model shifts, ${r.difficulty} difficulty offsets`);
      didReset.fire();
      void vscode.window.showInformationMessage(
        `Gearbox: routing calibration reset (${r.models} model${r.models === 1 ? '' : 's'}, ` +
          `${r.difficulty} kind${r.difficulty === 1 ? '' : 's'} of request forgotten).`,
      );
    } catch (err) {
      void vscode.window.showErrorMessage(
        `Gearbox: could not reset the routing calibration: ${(err as Error).message}`,
      );
    }
  });
  return { disposable: vscode.Disposable.from(command, didReset), onDidReset: didReset.event };
}
