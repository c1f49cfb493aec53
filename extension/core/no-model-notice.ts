// The one notification for "no model can serve this": its words and buttons, from the fixes the
// daemon's error carries (data.fixes: an action and the editor command that does it) or, without
// them, a default (Set API Key, Open Settings). And a gate so that a window shows it once, whoever
// notices first (the connect-time check or a failed completion). No `vscode` import.
import { NoModelFix, type FixAction, type TaskKind } from '../../shared/protocol';
import { z } from 'zod';

export interface NoticeButton {
  label: string;
  command: string;
  args?: unknown[];
}

export interface Notice {
  message: string;
  buttons: NoticeButton[];
}

const BUTTON_LABELS: Record<FixAction, string | undefined> = {
  'add-local-model': 'Add Local Model…',
  'download-local-model': 'Download Model',
  'set-api-key': 'Set API Key',
  // Nothing to click: the download is on its way.
  'wait-for-download': undefined,
};

export const SET_API_KEY: NoticeButton = { label: 'Set API Key', command: 'gearbox.setApiKey' };
export const OPEN_SETTINGS: NoticeButton = {
  label: 'Open Settings',
  command: 'workbench.action.openSettings',
  args: ['gearbox'],
};

const TASK_WORDS: Record<TaskKind, string> = {
  completion: 'inline completion',
  chat: 'chat',
  refactor: 'refactors',
};

const ErrorData = z.object({ fixes: z.array(NoModelFix) });

/** The fixes in a NoModelAvailable error's data, or [] when it carries none (or none we can read). */
export function fixesOf(data: unknown): NoModelFix[] {
  const parsed = ErrorData.safeParse(data);
  return parsed.success ? parsed.data.fixes : [];
}

/** What to tell the user whom no model can serve `task`, with the buttons that fix it. */
export function noModelNotice(task: TaskKind, fixes: readonly NoModelFix[]): Notice {
  const what = `Gearbox: no model can serve ${TASK_WORDS[task]}`;
  const buttons: NoticeButton[] = [];
  for (const f of fixes) {
    const label = BUTTON_LABELS[f.action];
    if (!label || !f.editorCommand || buttons.some((b) => b.command === f.editorCommand)) continue;
    buttons.push({ label, command: f.editorCommand });
  }
  if (fixes.length > 0) {
    const texts = fixes.map((f) => f.text.replace(/\.$/, ''));
    return { message: `${what}. To fix it: ${texts.join('; ')}.`, buttons };
  }
  return {
    message:
      `${what}: no local model is configured and no API key is set. ` +
      'Set an API key, or add a local GGUF model to the daemon config (gearbox.daemon.configPath).',
    buttons: [SET_API_KEY, OPEN_SETTINGS],
  };
}

/** Lets one "no model" notification through per window; later ones are dropped (and logged by the caller). */
export class NoticeGate {
  private shown = false;

  /** True the first time only. */
  take(): boolean {
    if (this.shown) return false;
    this.shown = true;
    return true;
  }

  get used(): boolean {
    return this.shown;
  }
}
