// The curated preset list: the built-in presets.json, or a file the config names (a test list that
// points at a fake hub, a team's own list). Validated like every other input.
import fs from 'node:fs';
import { z } from 'zod';
import { Preset, type ModelRole, type TaskKind } from '../../shared/protocol';
import builtin from './presets.json' with { type: 'json' };

export const PresetFile = z
  .object({ source: z.string().optional(), presets: z.array(Preset).min(1) })
  .refine((f) => new Set(f.presets.map((p) => p.id)).size === f.presets.length, {
    message: 'preset ids must be unique',
  });

/** The tasks a model of this role serves: instruct models chat and refactor, FIM models complete. */
export function tasksOfRole(role: ModelRole): TaskKind[] {
  return role === 'completion' ? ['completion'] : ['chat', 'refactor'];
}

/** The preset list in force: `file` when given (a clear error when it is unusable), else the built-in one. */
export function loadPresets(file?: string): Preset[] {
  if (!file) return PresetFile.parse(builtin).presets;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the preset list ${file}: ${(err as Error).message}`);
  }
  const parsed = PresetFile.safeParse(json);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`The preset list ${file} is invalid: ${why}`);
  }
  return parsed.data.presets;
}
