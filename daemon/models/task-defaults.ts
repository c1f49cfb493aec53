// The daemon-wide model per task (config `defaults.models`, set by gearbox/models/setDefaults) in
// force wherever a workspace leaves the choice to the router ("auto" or nothing): "Use for
// completion" in one window reaches every window that has not pinned a model of its own.
import type { TaskKind, WorkspaceSettings } from '../../shared/protocol';

const TASKS: TaskKind[] = ['completion', 'chat', 'refactor'];

export function withTaskDefaults(
  settings: WorkspaceSettings,
  defaults: WorkspaceSettings['models'],
): WorkspaceSettings {
  let models: WorkspaceSettings['models'] | undefined;
  for (const task of TASKS) {
    const own = settings.models?.[task];
    const fallback = defaults[task];
    if ((own === undefined || own === 'auto') && fallback && fallback !== 'auto') {
      models ??= { ...settings.models };
      models[task] = fallback;
    }
  }
  return models ? { ...settings, models } : settings;
}
