// What to tell a user whom no model can serve: the one command or click that fixes it, as data
// (an enum of actions, the preset or model) for the editor, and as a line for the CLI and logs.
import type { LocalModelState, NoModelFix, TaskKind } from '../../shared/protocol';

export interface LocalModelView {
  id: string;
  tasks: readonly string[];
  state: LocalModelState;
  /** 0..100 while downloading. */
  percent?: number;
}

export const ADD_LOCAL_MODEL_COMMAND = 'gearbox.addLocalModel';
export const SET_API_KEY_COMMAND = 'gearbox.setApiKey';

export function noModelFixes(
  task: TaskKind,
  models: readonly LocalModelView[],
  recommendedPreset: string | null,
): NoModelFix[] {
  const fixes: NoModelFix[] = [];
  const mine = models.filter((m) => m.tasks.includes(task));
  const downloading = mine.find((m) => m.state === 'downloading');
  const missing = mine.find((m) => m.state === 'not-downloaded');
  if (downloading) {
    fixes.push({
      action: 'wait-for-download',
      modelId: downloading.id,
      text: `${downloading.id} is downloading (${downloading.percent ?? 0}%); it serves ${task} once it is on disk`,
    });
  } else if (missing) {
    fixes.push({
      action: 'download-local-model',
      modelId: missing.id,
      cliCommand: `gearbox models download ${missing.id}`,
      text: `download ${missing.id}: run \`gearbox models download ${missing.id}\``,
    });
  } else {
    const preset = recommendedPreset ?? undefined;
    fixes.push({
      action: 'add-local-model',
      ...(preset ? { presetId: preset, cliCommand: `gearbox models add ${preset}` } : {}),
      editorCommand: ADD_LOCAL_MODEL_COMMAND,
      text: preset
        ? `add a local model: run \`gearbox models add ${preset}\` or use "Gearbox: Add Local Model…"`
        : 'add a local model with "Gearbox: Add Local Model…" (`gearbox models recommend` lists what fits)',
    });
  }
  fixes.push({
    action: 'set-api-key',
    editorCommand: SET_API_KEY_COMMAND,
    text: 'or add an API key with "Gearbox: Set API Key" (or OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY)',
  });
  return fixes;
}

/** "To fix: add a local model: …; or add an API key with …". */
export function fixesText(fixes: readonly NoModelFix[]): string {
  return fixes.length ? `To fix: ${fixes.map((f) => f.text).join('; ')}.` : '';
}
