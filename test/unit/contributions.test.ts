// package.json's settings and the daemon config's JSON schema are generated from the zod schemas
// (scripts/contributions.ts, run by `npm run build`): these tests fail when package.json was edited
// by hand or a schema changed without a build, and check that what is declared means what the
// daemon and the extension parse.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DaemonConfigSchema } from '../../daemon/config';
import { ExtensionSettings } from '../../extension/core/settings-schema';
import {
  configurationContribution,
  daemonConfigJsonSchema,
  jsonValidationContribution,
} from '../../scripts/contributions';
import { WorkspaceSettings } from '../../shared/protocol';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
type Setting = Record<string, unknown>;
const declared = pkg.contributes.configuration.properties as Record<string, Setting>;

/** Dotted paths of every leaf of a zod object (defaults and optionals unwrapped). */
function leaves(schema: z.ZodType, prefix: string): string[] {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  if (!(s instanceof z.ZodObject)) return [prefix];
  return Object.entries(s.shape).flatMap(([k, v]) => leaves(v as z.ZodType, `${prefix}.${k}`));
}

/** {"gearbox.routing.mode": x} → {routing: {mode: x}}: how VS Code hands the section to the client. */
function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.').slice(1);
    let at = out;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts.at(-1)!] = value;
  }
  return out;
}

describe('generated contributions (settings, config.json schema)', () => {
  it('package.json declares exactly the settings the schemas generate (run npm run build after a change)', () => {
    assert.deepEqual(pkg.contributes.configuration, configurationContribution());
    assert.deepEqual(pkg.contributes.jsonValidation, jsonValidationContribution());
  });

  it('every setting the daemon reads from a workspace and every extension setting is declared', () => {
    const wanted = [...leaves(WorkspaceSettings, 'gearbox'), ...leaves(ExtensionSettings, 'gearbox')];
    assert.ok(wanted.includes('gearbox.budget.dailyUsd') && wanted.includes('gearbox.privatePaths'));
    assert.deepEqual(Object.keys(declared).sort(), [...wanted].sort());
  });

  it('every setting has a description and a scope', () => {
    const bad = Object.entries(declared)
      .filter(([, s]) => !(s.description || s.markdownDescription) || !s.scope)
      .map(([k]) => k);
    assert.deepEqual(bad, []);
  });

  it("the declared defaults are what the daemon's schema makes of an empty workspace", () => {
    const defaults = Object.fromEntries(
      Object.entries(declared)
        .filter(([k]) => !k.startsWith('gearbox.inlineCompletion.') && !k.startsWith('gearbox.daemon.'))
        .map(([k, s]) => [k, s.default]),
    );
    const parsed = WorkspaceSettings.parse(nest(defaults));
    // "auto" is what an absent model pin means; the Settings UI shows the word.
    assert.deepEqual(parsed.models, { completion: 'auto', chat: 'auto', refactor: 'auto' });
    assert.deepEqual({ ...parsed, models: {} }, WorkspaceSettings.parse({}));
    const ext = Object.fromEntries(
      Object.entries(declared)
        .filter(([k]) => k.startsWith('gearbox.inlineCompletion.') || k.startsWith('gearbox.daemon.'))
        .map(([k, s]) => [k, s.default]),
    );
    assert.deepEqual(ExtensionSettings.parse(nest(ext)), ExtensionSettings.parse({ inlineCompletion: {}, daemon: {} }));
  });

  it('an enum setting explains each of its values', () => {
    for (const [key, s] of Object.entries(declared)) {
      if (!Array.isArray(s.enum)) continue;
      assert.equal((s.enumDescriptions as unknown[] | undefined)?.length, s.enum.length, key);
    }
  });

  it("the config.json schema covers every field of the daemon's config, allows comments, and describes each", () => {
    const schema = daemonConfigJsonSchema();
    assert.equal(schema.allowComments, true);
    const props = schema.properties as Record<string, Setting>;
    assert.deepEqual(Object.keys(props).sort(), Object.keys(DaemonConfigSchema.shape).sort());
    const plumbing = new Set(['logLevel', 'timeouts']);
    const undescribed = Object.entries(props)
      .filter(([k, p]) => !plumbing.has(k) && !p.description)
      .map(([k]) => k);
    assert.deepEqual(undescribed, []);
    // A user's file: defaulted fields are optional, nothing is required at the top.
    assert.equal(schema.required, undefined);
    const local = (props.localModels!.items as Setting).properties as Record<string, Setting>;
    assert.match(String(local.source!.description), /hf: URI/);
  });
});
